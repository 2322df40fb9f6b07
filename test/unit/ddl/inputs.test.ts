import { beforeAll, describe, expect, it } from 'vitest'
import { InputError, coerceInputs, loadDdlFile, validateInputs } from '../../../src/ddl/index.js'
import type { ActionDdl, Ddl } from '../../../src/ddl/index.js'
import { McshError } from '../../../src/util/errors.js'
import { RPCUTIL_DDL_PATH, kitchenSinkAction } from './fixtures.js'

function inputError(fn: () => unknown): InputError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(InputError)
    expect(e).toBeInstanceOf(McshError)
    return e as InputError
  }
  throw new Error('expected an InputError')
}

const sink: ActionDdl = kitchenSinkAction()
let rpcutil: Ddl
let getFact: ActionDdl
beforeAll(async () => {
  rpcutil = await loadDdlFile(RPCUTIL_DDL_PATH)
  getFact = rpcutil.actions.get_fact as ActionDdl
})

describe('coerceInputs', () => {
  it('keeps strings as they are', () => {
    expect(coerceInputs(sink, { name: ' a b ' })).toEqual({ name: ' a b ' })
  })

  it('parses numbers and integers', () => {
    expect(coerceInputs(sink, { ratio: '0.5', count: '42' })).toEqual({ ratio: 0.5, count: 42 })
    expect(coerceInputs(sink, { ratio: '-1e3', count: ' -7 ' })).toEqual({ ratio: -1000, count: -7 })
    expect(inputError(() => coerceInputs(sink, { ratio: 'abc' })).message).toBe(`input 'ratio' must be a number but was "abc"`)
    const e = inputError(() => coerceInputs(sink, { count: '4.5' }))
    expect(e).toMatchObject({ kind: 'invalid', input: 'count', code: 'MCSH_INPUT_INVALID' })
    expect(e.message).toBe(`input 'count' must be an integer but was "4.5"`)
    expect(() => coerceInputs(sink, { ratio: '' })).toThrow(InputError)
  })

  it('parses booleans', () => {
    for (const word of ['true', 'TRUE', 't', 'yes', 'y', '1', 'on']) expect(coerceInputs(sink, { force: word })).toEqual({ force: true })
    for (const word of ['false', 'f', 'No', 'n', '0', 'off']) expect(coerceInputs(sink, { force: word })).toEqual({ force: false })
    expect(inputError(() => coerceInputs(sink, { force: 'maybe' })).message).toBe(
      `input 'force' must be a boolean (true or false) but was "maybe"`,
    )
  })

  it('maps list values to the allowed value with the same text', () => {
    expect(coerceInputs(sink, { mode: 'fast' })).toEqual({ mode: 'fast' })
    expect(coerceInputs(sink, { mode: '7' })).toEqual({ mode: 7 })
    expect(coerceInputs(sink, { mode: 'true' })).toEqual({ mode: true })
    expect(coerceInputs(sink, { mode: 'medium' })).toEqual({ mode: 'medium' })
  })

  it('parses arrays from JSON5 or a comma list', () => {
    expect(coerceInputs(sink, { hosts: 'a, b ,c' })).toEqual({ hosts: ['a', 'b', 'c'] })
    expect(coerceInputs(sink, { hosts: '["a","b"]' })).toEqual({ hosts: ['a', 'b'] })
    expect(coerceInputs(sink, { hosts: "['a, b']" })).toEqual({ hosts: ['a, b'] })
    expect(coerceInputs(sink, { hosts: '' })).toEqual({ hosts: [] })
    expect(inputError(() => coerceInputs(sink, { hosts: '[a' })).message).toMatch(/^input 'hosts' must be an array of strings but was "\[a" \(/)
  })

  it('parses hashes from JSON5', () => {
    expect(coerceInputs(sink, { options: '{"a": 1}' })).toEqual({ options: { a: 1 } })
    expect(coerceInputs(sink, { options: "{a: 'x', b: [true]}" })).toEqual({ options: { a: 'x', b: [true] } })
    expect(inputError(() => coerceInputs(sink, { options: 'a=1' })).message).toMatch(
      /^input 'options' must be a hash \(JSON object\) but was "a=1" \(/,
    )
  })

  it('rejects unknown inputs, listing the valid ones and suggesting a close one', () => {
    const e = inputError(() => coerceInputs(getFact, { fatc: 'x' }))
    expect(e).toMatchObject({ kind: 'invalid', input: 'fatc' })
    expect(e.message).toBe(`rpcutil get_fact has no input 'fatc' (inputs: fact); did you mean 'fact'?`)
    expect(inputError(() => coerceInputs(getFact, { zzz: 'x' })).message).toBe(`rpcutil get_fact has no input 'zzz' (inputs: fact)`)
    expect(inputError(() => coerceInputs(rpcutil.actions.ping as ActionDdl, { x: '1' })).message).toBe(
      `rpcutil ping takes no inputs but was given 'x'`,
    )
  })

  it('does not fill defaults', () => {
    expect(coerceInputs(sink, { name: 'abc' })).toEqual({ name: 'abc' })
  })
})

describe('validateInputs', () => {
  it('accepts valid data and applies defaults, without sharing them', () => {
    const first = validateInputs(sink, { name: 'abc', force: false })
    expect(first).toEqual({ name: 'abc', force: false, count: 3, options: { a: [1] } })
    ;(first.options as { a: number[] }).a.push(2)
    expect(validateInputs(sink, { name: 'abc' }).options).toEqual({ a: [1] })
  })

  it('leaves defaults out when asked', () => {
    expect(validateInputs(sink, { name: 'abc' }, { applyDefaults: false })).toEqual({ name: 'abc' })
  })

  it('reports a missing required input as kind missing', () => {
    const e = inputError(() => validateInputs(getFact, {}))
    expect(e).toMatchObject({ kind: 'missing', input: 'fact', code: 'MCSH_INPUT_MISSING' })
    expect(e.message).toBe("missing required input 'fact' (The name of the fact): run `help rpcutil get_fact` to see inputs")
    expect(inputError(() => validateInputs(getFact, { fact: null })).kind).toBe('missing')
  })

  it('lets optional inputs be absent', () => {
    expect(validateInputs(sink, { name: 'abc', ratio: undefined }, { applyDefaults: false })).toEqual({ name: 'abc' })
  })

  it('checks regular expressions', () => {
    expect(validateInputs(getFact, { fact: 'os.family' })).toEqual({ fact: 'os.family' })
    const e = inputError(() => validateInputs(getFact, { fact: 'a b' }))
    expect(e).toMatchObject({ kind: 'invalid', input: 'fact', code: 'MCSH_INPUT_INVALID' })
    expect(e.message).toBe(`input 'fact' must match /^[\\w\\-\\.]+$/ but was "a b"`)
  })

  it('checks the get_facts list pattern', () => {
    const getFacts = rpcutil.actions.get_facts as ActionDdl
    expect(validateInputs(getFacts, { facts: 'os.family, kernel,fqdn' })).toEqual({ facts: 'os.family, kernel,fqdn' })
    expect(() => validateInputs(getFacts, { facts: 'os.family,,kernel' })).toThrow(/must match/)
  })

  it('checks maxlength in characters', () => {
    expect(validateInputs(sink, { name: 'abcdefgh' }).name).toBe('abcdefgh')
    expect(inputError(() => validateInputs(sink, { name: 'abcdefghi' })).message).toBe(
      `input 'name' must be at most 8 characters but was 9 characters long`,
    )
    expect(validateInputs(getFact, { fact: 'a'.repeat(90) }).fact).toHaveLength(90)
    expect(() => validateInputs(getFact, { fact: 'a'.repeat(91) })).toThrow(/at most 90 characters/)
  })

  it('checks types', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: 5 }, `input 'name' must be a string but was 5`],
      [{ name: 'a', ratio: Number.NaN }, `input 'ratio' must be a number but was NaN`],
      [{ name: 'a', ratio: '1' }, `input 'ratio' must be a number but was "1"`],
      [{ name: 'a', ratio: Infinity }, `input 'ratio' must be a number but was Infinity`],
      [{ name: 'a', count: 1.5 }, `input 'count' must be an integer but was 1.5`],
      [{ name: 'a', force: 'yes' }, `input 'force' must be a boolean (true or false) but was "yes"`],
      [{ name: 'a', hosts: 'a,b' }, `input 'hosts' must be an array of strings but was "a,b"`],
      [{ name: 'a', hosts: ['a', 1] }, `input 'hosts' must be an array of strings but was ["a",1]`],
      [{ name: 'a', options: [] }, `input 'options' must be a hash (JSON object) but was []`],
    ]
    for (const [data, message] of cases) expect(inputError(() => validateInputs(sink, data)).message).toBe(message)
    expect(validateInputs(sink, { name: 'a', ratio: 2, count: -1, force: true, options: {} })).toMatchObject({ ratio: 2, count: -1 })
  })

  it('checks list membership', () => {
    expect(validateInputs(sink, { name: 'a', mode: 'slow' }).mode).toBe('slow')
    expect(validateInputs(sink, { name: 'a', mode: 7 }).mode).toBe(7)
    expect(inputError(() => validateInputs(sink, { name: 'a', mode: 'medium' })).message).toBe(
      `input 'mode' must be one of "fast", "slow", 7, true but was "medium"`,
    )
    expect(() => validateInputs(sink, { name: 'a', mode: '7' })).toThrow(/must be one of/)
  })

  it('applies validation to each array element', () => {
    expect(validateInputs(sink, { name: 'a', hosts: ['web1', 'db.example.com'] }).hosts).toEqual(['web1', 'db.example.com'])
    expect(inputError(() => validateInputs(sink, { name: 'a', hosts: ['web1', 'bad_host'] })).message).toBe(
      `input 'hosts' element 2 must be a hostname but was "bad_host"`,
    )
  })

  it('never echoes a secret value', () => {
    const e = inputError(() => validateInputs(sink, { name: 'a', password: 'hunter2' }))
    expect(e.message).toBe(`input 'password' must match /^\\d+$/ but was <redacted>`)
    expect(e.message).not.toContain('hunter2')
  })

  it('rejects unknown inputs unless allowed', () => {
    expect(inputError(() => validateInputs(getFact, { fact: 'a', fcat: 'b' })).message).toBe(
      `rpcutil get_fact has no input 'fcat' (inputs: fact); did you mean 'fact'?`,
    )
    expect(validateInputs(getFact, { fact: 'a', process_results: true }, { allowUnknown: true })).toEqual({ fact: 'a', process_results: true })
  })

  it('works on coerced command line input end to end', () => {
    const data = coerceInputs(sink, { name: 'abc', count: '10', force: 'yes', hosts: 'web1,web2', mode: '7' })
    expect(validateInputs(sink, data)).toEqual({
      name: 'abc', count: 10, force: true, hosts: ['web1', 'web2'], mode: 7, options: { a: [1] },
    })
  })
})

describe('validateInputs with hostile keys', () => {
  it('keeps __proto__ a plain property when unknown keys are allowed', () => {
    const data = JSON.parse('{"fact": "a", "__proto__": {"polluted": true}}') as Record<string, unknown>
    expect(() => validateInputs(getFact, data)).toThrow(/has no input '__proto__'/)
    const result = validateInputs(getFact, data, { allowUnknown: true })
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype)
    expect(Object.keys(result)).toEqual(['__proto__', 'fact'])
  })
})
