import type { FactValue } from './types.js'

/** Longer fact names are dropped rather than cut, so two long names can never collide. */
export const MAX_FACT_NAME_LENGTH = 256
/** Longer string values are truncated to this many UTF-16 code units (never splitting a surrogate pair). */
export const MAX_FACT_VALUE_LENGTH = 64 * 1024
/** Deeper nesting is ignored: real fact trees are a handful of levels deep, and this bounds recursion. */
export const MAX_FACT_DEPTH = 64

/**
 * Turns a nested document (facter/ohai JSON, a YAML facts file) into flat, dotted fact names.
 *
 * - objects: `{os: {family: 'debian'}}` → `os.family = 'debian'`
 * - arrays of scalars: joined with ',' (`[1, 2]` → `'1,2'`); empty arrays are skipped
 * - arrays holding any object or array: one key per index (`disks.0.size`), scalars included
 * - null/undefined, functions, symbols, empty names and cycles: skipped
 * - non-finite numbers and bigints become strings, dates ISO 8601 strings
 * - names over 256 characters are dropped; string values over 64 KiB are truncated
 *
 * A scalar with no prefix has no name, so it yields `{}`.
 */
export function flattenFacts(nested: unknown, prefix = ''): Record<string, FactValue> {
  const out: Record<string, FactValue> = {}
  walk(nested, prefix, out, 0, new Set())
  return out
}

/** Assigns without ever touching the prototype (a fact may legitimately be named `__proto__`). */
export function setFact(target: Record<string, FactValue>, name: string, value: FactValue): void {
  if (name === '__proto__') {
    Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true })
  } else {
    target[name] = value
  }
}

function walk(value: unknown, name: string, out: Record<string, FactValue>, depth: number, seen: Set<object>): void {
  if (depth > MAX_FACT_DEPTH) return
  const scalar = toScalar(value)
  if (scalar !== undefined) {
    if (name !== '') put(out, name, scalar)
    return
  }
  if (typeof value !== 'object' || value === null || seen.has(value)) return
  seen.add(value)
  try {
    if (Array.isArray(value)) {
      const items = value as unknown[]
      if (items.some((v) => typeof v === 'object' && v !== null && !(v instanceof Date))) {
        items.forEach((v, i) => walk(v, join(name, String(i)), out, depth + 1, seen))
        return
      }
      const parts = items.map(toScalar).filter((v): v is FactValue => v !== undefined)
      if (parts.length > 0 && name !== '') put(out, name, parts.map(String).join(','))
      return
    }
    const entries = value instanceof Map ? [...value.entries()] : Object.entries(value)
    for (const [key, v] of entries) {
      if (typeof key !== 'string' && typeof key !== 'number') continue
      const k = String(key)
      if (k === '') continue
      walk(v, join(name, k), out, depth + 1, seen)
    }
  } finally {
    seen.delete(value)
  }
}

function toScalar(value: unknown): FactValue | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      return Number.isFinite(value) ? value : String(value)
    case 'bigint':
      return value.toString()
    default:
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString()
      return undefined
  }
}

function join(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`
}

function put(out: Record<string, FactValue>, name: string, value: FactValue): void {
  if (name.length > MAX_FACT_NAME_LENGTH) return
  setFact(out, name, typeof value === 'string' ? truncate(value) : value)
}

function truncate(s: string): string {
  if (s.length <= MAX_FACT_VALUE_LENGTH) return s
  let end = MAX_FACT_VALUE_LENGTH
  const last = s.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end -= 1
  return s.slice(0, end)
}
