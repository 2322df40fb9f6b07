import JSON5 from 'json5'
import { McshError } from '../util/errors.js'
import { didYouMean } from './suggest.js'
import type { ActionDdl, InputDdl, InputType } from './types.js'
import { describeValidation, passesValidation } from './validators.js'

/**
 * A request's inputs do not fit the action's DDL. `kind` maps to the reply status the daemon sends:
 * 'missing' → 3 (missing data), 'invalid' → 4 (invalid data).
 */
export class InputError extends McshError {
  readonly kind: 'missing' | 'invalid'
  readonly input: string

  constructor(kind: 'missing' | 'invalid', input: string, message: string, options?: { cause?: unknown }) {
    super(kind === 'missing' ? 'MCSH_INPUT_MISSING' : 'MCSH_INPUT_INVALID', message, options)
    this.name = 'InputError'
    this.kind = kind
    this.input = input
  }
}

const TRUE_WORDS = new Set(['true', 't', 'yes', 'y', '1', 'on'])
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n', '0', 'off'])
const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i
const INTEGER_TEXT = /^[+-]?\d+$/

const EXPECTED: Record<Exclude<InputType, 'list'>, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean (true or false)',
  array: 'an array of strings',
  hash: 'a hash (JSON object)',
}

/**
 * Turns `key=value` strings from the command line or shell into typed values: numbers for
 * number/integer, true/false for boolean (true/t/yes/y/1/on, false/f/no/n/0/off), JSON5 or a comma
 * separated list for array, JSON5 for hash, the matching allowed value for list. Does not fill defaults
 * and does not run validations; `validateInputs` does both.
 */
export function coerceInputs(action: ActionDdl, raw: Record<string, string>): Record<string, unknown> {
  const result: Record<string, unknown> = {}
  for (const [name, text] of Object.entries(raw)) {
    const input = inputNamed(action, name)
    if (input === undefined) throw unknownInput(action, name)
    result[name] = coerceValue(input, text)
  }
  return result
}

function coerceValue(input: InputDdl, text: string): unknown {
  const invalid = (detail = ''): InputError =>
    new InputError('invalid', input.name, `input '${input.name}' must be ${expectedOf(input)} but was ${show(input, text)}${detail}`)
  const trimmed = text.trim()
  switch (input.type) {
    case 'string':
      return text
    case 'number':
      if (!NUMBER_TEXT.test(trimmed) || !Number.isFinite(Number(trimmed))) throw invalid()
      return Number(trimmed)
    case 'integer':
      if (!INTEGER_TEXT.test(trimmed)) throw invalid()
      return Number(trimmed)
    case 'boolean': {
      const word = trimmed.toLowerCase()
      if (TRUE_WORDS.has(word)) return true
      if (FALSE_WORDS.has(word)) return false
      throw invalid()
    }
    case 'list':
      return input.list?.find((allowed) => String(allowed) === text) ?? text
    case 'array':
      if (trimmed.startsWith('[')) return parseJson(trimmed, invalid)
      return trimmed === '' ? [] : trimmed.split(',').map((item) => item.trim()).filter((item) => item !== '')
    case 'hash':
      return parseJson(trimmed, invalid)
  }
}

function parseJson(text: string, invalid: (detail?: string) => InputError): unknown {
  try {
    return JSON5.parse(text)
  } catch (e) {
    throw invalid(` (${(e as Error).message.replace(/^JSON5: /, '')})`)
  }
}

/**
 * Checks `data` against the action's inputs and returns a copy with defaults filled in (unless
 * `applyDefaults` is false). Absent and null values count as not given. Throws `InputError` for the
 * first problem: an undeclared input (unless `allowUnknown`, which passes such keys through), a
 * missing required input, or a value of the wrong type or failing its validation.
 */
export function validateInputs(
  action: ActionDdl,
  data: Record<string, unknown>,
  opts: { applyDefaults?: boolean; allowUnknown?: boolean } = {},
): Record<string, unknown> {
  const applyDefaults = opts.applyDefaults ?? true
  const result: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(data)) {
    if (inputNamed(action, name) !== undefined) continue
    if (!opts.allowUnknown) throw unknownInput(action, name)
    // defineProperty: a key such as "__proto__" from the wire must stay a plain property.
    Object.defineProperty(result, name, { value, enumerable: true, writable: true, configurable: true })
  }
  for (const input of Object.values(action.inputs)) {
    let value = Object.hasOwn(data, input.name) ? data[input.name] : undefined
    if ((value === undefined || value === null) && applyDefaults && input.default !== undefined) {
      value = structuredClone(input.default)
    }
    if (value === undefined || value === null) {
      if (input.optional) continue
      throw new InputError(
        'missing',
        input.name,
        `missing required input '${input.name}' (${input.prompt}): run \`help ${actionLabel(action)}\` to see inputs`,
      )
    }
    const problem = problemWith(input, value)
    if (problem !== undefined) throw new InputError('invalid', input.name, `input '${input.name}' ${problem}`)
    result[input.name] = value
  }
  return result
}

/**
 * What is wrong with `value` for `input`, completing "input 'x' …" ("must be an integer but was
 * \"a\""), or undefined if it is acceptable. Also used to check DDL defaults.
 */
export function problemWith(input: InputDdl, value: unknown): string | undefined {
  const mismatch = (): string => `must be ${expectedOf(input)} but was ${show(input, value)}`
  switch (input.type) {
    case 'string':
      return typeof value === 'string' ? stringProblem(input, value, '') : mismatch()
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : mismatch()
    case 'integer':
      return Number.isSafeInteger(value) ? undefined : mismatch()
    case 'boolean':
      return typeof value === 'boolean' ? undefined : mismatch()
    case 'list':
      return (input.list ?? []).some((allowed) => allowed === value) ? undefined : mismatch()
    case 'array':
      if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) return mismatch()
      for (const [i, item] of (value as string[]).entries()) {
        const problem = stringProblem(input, item, `element ${i + 1} `)
        if (problem !== undefined) return problem
      }
      return undefined
    case 'hash':
      return isPlainObject(value) ? undefined : mismatch()
  }
}

function stringProblem(input: InputDdl, value: string, prefix: string): string | undefined {
  const length = [...value].length
  if (input.maxlength > 0 && length > input.maxlength) {
    return `${prefix}must be at most ${input.maxlength} characters but was ${length} characters long`
  }
  if (input.validation !== undefined && !passesValidation(input.validation, value)) {
    return `${prefix}must ${describeValidation(input.validation)} but was ${show(input, value)}`
  }
  return undefined
}

function expectedOf(input: InputDdl): string {
  if (input.type === 'list') return `one of ${(input.list ?? []).map((v) => JSON.stringify(v)).join(', ')}`
  return EXPECTED[input.type]
}

const SHOW_MAX_CHARS = 80

function show(input: InputDdl, value: unknown): string {
  if (input.secret) return '<redacted>'
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > SHOW_MAX_CHARS ? `${text.slice(0, SHOW_MAX_CHARS)}…` : text
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

function inputNamed(action: ActionDdl, name: string): InputDdl | undefined {
  return Object.hasOwn(action.inputs, name) ? action.inputs[name] : undefined
}

function actionLabel(action: ActionDdl): string {
  return action.agent === undefined ? action.name : `${action.agent} ${action.name}`
}

function unknownInput(action: ActionDdl, name: string): InputError {
  const names = Object.keys(action.inputs)
  if (names.length === 0) {
    return new InputError('invalid', name, `${actionLabel(action)} takes no inputs but was given '${name}'`)
  }
  return new InputError(
    'invalid',
    name,
    `${actionLabel(action)} has no input '${name}' (inputs: ${names.join(', ')})${didYouMean(name, names, "'")}`,
  )
}
