import { describe, expect, it } from 'vitest'
import { MAX_FACT_NAME_LENGTH, MAX_FACT_VALUE_LENGTH, flattenFacts } from '../../../src/facts/flatten.js'

describe('flattenFacts', () => {
  it('turns nested objects into dotted names', () => {
    expect(flattenFacts({ os: { family: 'debian', release: { major: 12, full: '12.5' } }, virtual: false })).toEqual({
      'os.family': 'debian',
      'os.release.major': 12,
      'os.release.full': '12.5',
      virtual: false,
    })
  })

  it('applies a prefix', () => {
    expect(flattenFacts({ a: 1, b: { c: 'x' } }, 'ohai')).toEqual({ 'ohai.a': 1, 'ohai.b.c': 'x' })
    expect(flattenFacts('scalar', 'name')).toEqual({ name: 'scalar' })
    expect(flattenFacts('scalar')).toEqual({})
  })

  it('joins arrays of scalars with commas and skips empty arrays', () => {
    expect(flattenFacts({ roles: ['web', 'db'], ports: [80, 443], flags: [true, null, false], none: [] })).toEqual({
      roles: 'web,db',
      ports: '80,443',
      flags: 'true,false',
    })
  })

  it('indexes arrays holding objects, scalars included', () => {
    expect(flattenFacts({ disks: [{ name: 'sda', size: 100 }, { name: 'sdb', size: 200 }], mixed: ['a', { b: 1 }, ['x', 'y']] })).toEqual({
      'disks.0.name': 'sda',
      'disks.0.size': 100,
      'disks.1.name': 'sdb',
      'disks.1.size': 200,
      'mixed.0': 'a',
      'mixed.1.b': 1,
      'mixed.2': 'x,y',
    })
  })

  it('skips null and undefined, empty names, functions; stringifies odd numbers and dates', () => {
    expect(
      flattenFacts({ a: null, b: undefined, c: { d: null }, '': 'nameless', f: () => 1, n: Number.NaN, big: 10n, at: new Date(0) }),
    ).toEqual({ n: 'NaN', big: '10', at: '1970-01-01T00:00:00.000Z' })
  })

  it('truncates long values and drops over-long names', () => {
    const long = 'x'.repeat(MAX_FACT_VALUE_LENGTH + 100)
    const okName = 'n'.repeat(MAX_FACT_NAME_LENGTH)
    const out = flattenFacts({ long, [okName]: 1, ['m'.repeat(MAX_FACT_NAME_LENGTH + 1)]: 2, deep: { [okName]: 3 } })
    expect((out.long as string).length).toBe(MAX_FACT_VALUE_LENGTH)
    expect(out[okName]).toBe(1)
    expect(Object.keys(out).sort()).toEqual(['long', okName].sort())
  })

  it('does not split a surrogate pair when truncating', () => {
    const s = 'a'.repeat(MAX_FACT_VALUE_LENGTH - 1) + '😀' + 'tail'
    const out = flattenFacts({ s }).s as string
    expect(out.length).toBe(MAX_FACT_VALUE_LENGTH - 1)
  })

  it('survives cycles and keeps __proto__ as an ordinary fact', () => {
    const a: Record<string, unknown> = { name: 'a' }
    a.self = a
    expect(flattenFacts(a)).toEqual({ name: 'a' })
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as unknown
    const out = flattenFacts(parsed)
    expect(out['__proto__.polluted']).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    const top = flattenFacts(JSON.parse('{"__proto__": "x"}') as unknown)
    expect(Object.hasOwn(top, '__proto__')).toBe(true)
    expect(Object.getPrototypeOf(top)).toBe(Object.prototype)
  })

  it('keeps shared (non-cyclic) references', () => {
    const shared = ['a', 'b']
    expect(flattenFacts({ x: shared, y: shared })).toEqual({ x: 'a,b', y: 'a,b' })
  })
})
