import { McshError } from '../util/errors.js'
import { checkRegex, FilterSyntaxError, parseCompound, regexLiteralOf } from './compound.js'
import type { CompoundExpression } from './compound.js'
import { cachedSafeRegex, LruCache, SafeRegexError } from './safe-regex.js'
import { emptyFilter } from './types.js'
import type { FactOperator, FactTerm, Filter } from './types.js'

/** Limits for filters arriving from the network (validateFilter). */
export const FILTER_LIMITS = {
  termsPerList: 64,
  compoundChars: 1024,
  regexChars: 256,
  valueChars: 1024,
  nameChars: 256,
} as const

export const FACT_OPERATORS: readonly FactOperator[] = ['==', '!=', '<', '>', '<=', '>=', '=~']

/** Longest first, so `<=` is not read as `<`. `=>` and `=<` are MCollective's spellings of `>=` and `<=`. */
const FACT_TERM_OPERATORS: ReadonlyArray<readonly [string, FactOperator | '=']> = [
  ['=~', '=~'],
  ['==', '=='],
  ['!=', '!='],
  ['<=', '<='],
  ['>=', '>='],
  ['=>', '>='],
  ['=<', '<='],
  ['<', '<'],
  ['>', '>'],
  ['=', '='],
]

const OPERATOR_CHARS = new Set(['=', '<', '>', '!', '~'])

function isSpace(ch: string | undefined): boolean {
  return ch !== undefined && /\s/.test(ch)
}

function foundAt(source: string, index: number): string {
  return index >= source.length ? 'end of input' : `'${source[index] as string}'`
}

function fail(source: string, index: number, expected: string, found = foundAt(source, index)): never {
  throw new FilterSyntaxError(source, index + 1, expected, found)
}

/** Reads a fact term in source[start, end); columns in errors are relative to the whole source. */
function parseFactTermIn(source: string, start: number, end: number): FactTerm {
  let k = start
  while (k < end && isSpace(source[k])) k++
  const nameStart = k
  while (k < end && !isSpace(source[k]) && !OPERATOR_CHARS.has(source[k] as string)) k++
  const fact = source.slice(nameStart, k)
  if (fact === '') fail(source, nameStart, 'a fact name', nameStart >= end ? 'end of input' : foundAt(source, nameStart))
  while (k < end && isSpace(source[k])) k++
  const opStart = k
  const match = FACT_TERM_OPERATORS.find(([text]) => source.startsWith(text, k) && k + text.length <= end)
  if (!match) {
    fail(source, opStart, 'an operator (=, ==, !=, <, >, <=, >=, =~) after the fact name', opStart >= end ? 'end of input' : foundAt(source, opStart))
  }
  const [opText, op] = match
  k += opText.length
  while (k < end && isSpace(source[k])) k++
  let valueEnd = end
  while (valueEnd > k && isSpace(source[valueEnd - 1])) valueEnd--
  if (k >= valueEnd) fail(source, k, `a value after '${opText}'`, 'end of input')
  const raw = source.slice(k, valueEnd)
  const valueStart = k

  const first = raw[0] as string
  if (first === "'" || first === '"') {
    const text = unquote(source, valueStart, raw)
    if (op === '=~') {
      if (text === '') fail(source, valueStart, "a regex after '=~'", `'${raw}'`)
      checkRegex(source, valueStart + 1, text, '')
      return { fact, operator: '=~', value: `/${text}/` }
    }
    if ((op === '=' || op === '==' || op === '!=') && regexLiteralOf(text)) {
      fail(source, valueStart, 'a value that does not look like /regex/ (a fact filter would read it as a regex; use a compound filter to compare with it literally)', `'${raw}'`)
    }
    return { fact, operator: op === '=' ? '==' : op, value: text }
  }

  if (op === '=~') {
    const lit = raw.startsWith('/') ? regexWithFlags(source, valueStart, raw) : undefined
    const pattern = lit?.pattern ?? raw
    const flags = lit?.flags ?? ''
    checkRegex(source, lit ? valueStart + 1 : valueStart, pattern, flags)
    return { fact, operator: '=~', value: `/${pattern}/${flags}` }
  }
  const lit = regexLiteralOf(raw)
  if (lit && (op === '=' || op === '==' || op === '!=')) {
    checkRegex(source, valueStart + 1, lit.pattern, lit.flags)
    return { fact, operator: op === '!=' ? '!=' : '=~', value: raw }
  }
  return { fact, operator: op === '=' ? '==' : op, value: raw }
}

/** A whole quoted value: the text between matching quotes, with \\, \' and \" unescaped. */
function unquote(source: string, start: number, raw: string): string {
  const q = raw[0] as string
  let out = ''
  let k = 1
  for (;;) {
    if (k >= raw.length) fail(source, start, `a closing ${q} for the string starting here`, 'end of input')
    const c = raw[k] as string
    if (c === q) break
    if (c === '\\' && (raw[k + 1] === '\\' || raw[k + 1] === "'" || raw[k + 1] === '"')) {
      out += raw[k + 1] as string
      k += 2
      continue
    }
    out += c
    k++
  }
  if (k !== raw.length - 1) fail(source, start + k + 1, 'end of input after the quoted value')
  return out
}

/** `/pattern/flags` where the text must be a regex (it starts with a slash); checks the flags. */
function regexWithFlags(source: string, start: number, raw: string): { pattern: string; flags: string } {
  const m = /^\/([\s\S]*)\/([A-Za-z]*)$/.exec(raw)
  if (!m) fail(source, start, "a regex closed by '/'", 'end of input')
  const pattern = m[1] as string
  const flags = m[2] as string
  if (pattern === '') fail(source, start, 'a regex pattern between the slashes', "'//'")
  const flagStart = start + raw.length - flags.length
  for (let f = 0; f < flags.length; f++) {
    if (flags[f] !== 'i' || flags.indexOf('i') !== f) fail(source, flagStart + f, "the regex flag 'i' or nothing")
  }
  return { pattern, flags }
}

/**
 * A fact term as typed after `-F` or `filter fact`: `os=linux`, `os==linux`, `os!=linux`, `memory>=4096`,
 * `os=~/lin/` (or MCollective's `os=~lin`), `kernel=/^5\./`. Spaces around the operator are allowed.
 * A `/re/` or `/re/i` value with `=`/`==` becomes `=~`; with `!=` it stays `!=` and means "does not match".
 * `=~` values are stored as `/pattern/flags`. A quoted value ('Red Hat') is literal.
 */
export function parseFactTerm(text: string): FactTerm {
  return parseFactTermIn(text, 0, text.length)
}

type NameKind = 'class' | 'identity' | 'agent'

function parseNameTermIn(kind: NameKind, source: string, start: number, end: number): string {
  let k = start
  while (k < end && isSpace(source[k])) k++
  let e = end
  while (e > k && isSpace(source[e - 1])) e--
  const article = kind === 'identity' || kind === 'agent' ? 'an' : 'a'
  if (k >= e) fail(source, k, `${article} ${kind} name or /regex/`, 'end of input')
  const raw = source.slice(k, e)
  if (raw.startsWith('/')) {
    const { pattern, flags } = regexWithFlags(source, k, raw)
    checkRegex(source, k + 1, pattern, flags)
    return `/${pattern}/${flags}`
  }
  const space = raw.search(/\s/)
  if (space >= 0) fail(source, k + space, `a single ${kind} name without spaces`)
  return raw
}

/** A class name (`apache`, `role::web`) or `/regex/[i]`. */
export function parseClassTerm(text: string): string {
  return parseNameTermIn('class', text, 0, text.length)
}

/** An identity (`web1.example.com`) or `/regex/[i]`. */
export function parseIdentityTerm(text: string): string {
  return parseNameTermIn('identity', text, 0, text.length)
}

/** An agent name (`package`) or `/regex/[i]`. */
export function parseAgentTerm(text: string): string {
  return parseNameTermIn('agent', text, 0, text.length)
}

/**
 * MCollective's `-W`: space-separated terms, each a fact term when it contains an operator
 * (`=`, `<`, `>`, `!=`, `=~`) and a class otherwise; a whole `/regex/` term is a class regex.
 * Fact terms here cannot contain spaces (use `-F` for those).
 */
export function parseWithFilter(text: string): Filter {
  const filter = emptyFilter()
  const re = /\S+/g
  let m: RegExpExecArray | null
  while ((m = re.exec(text)) !== null) {
    const term = m[0]
    const start = m.index
    const end = start + term.length
    if (!regexLiteralOf(term) && !term.startsWith('/') && /[=<>]/.test(term)) {
      filter.fact.push(parseFactTermIn(text, start, end))
    } else {
      filter.class.push(parseNameTermIn('class', text, start, end))
    }
  }
  if (filter.fact.length === 0 && filter.class.length === 0) fail(text, text.length, 'a fact or class term', 'end of input')
  return filter
}

function factKey(t: FactTerm): string {
  return `${t.fact}\u0000${t.operator}\u0000${t.value}`
}

function union<T>(a: readonly T[], b: readonly T[], key: (t: T) => string): T[] {
  const seen = new Set<string>()
  const out: T[] = []
  for (const t of [...a, ...b]) {
    const k = key(t)
    if (seen.has(k)) continue
    seen.add(k)
    out.push(t)
  }
  return out
}

/**
 * Both filters at once: facts, classes, agents and compounds are ANDed by concatenation (exact
 * duplicates dropped). Identities are the exception: a filter's identities are ORed, so combining
 * `-I a` with `-I b` gives a filter reaching a OR b, not a node that is both.
 */
export function combineFilters(a: Filter, b: Filter): Filter {
  const id = (s: string): string => s
  return {
    fact: union(a.fact, b.fact, factKey).map((t) => ({ ...t })),
    class: union(a.class, b.class, id),
    identity: union(a.identity, b.identity, id),
    agent: union(a.agent, b.agent, id),
    compound: union(a.compound, b.compound, id),
  }
}

export function filterIsEmpty(f: Filter): boolean {
  return f.fact.length === 0 && f.class.length === 0 && f.identity.length === 0 && f.agent.length === 0 && f.compound.length === 0
}

export type FilterTermKind = 'fact' | 'class' | 'identity' | 'agent' | 'where' | 'with'

/**
 * A copy of `filter` with one term parsed from user text added, for `-F/-C/-I/-A/-S/-W` and the shell's
 * `filter fact|class|identity|agent|where|with`. Compound (`where`) text is validated and stored as typed.
 */
export function addFilterTerm(filter: Filter, kind: FilterTermKind, text: string): Filter {
  const add = emptyFilter()
  switch (kind) {
    case 'fact':
      add.fact.push(parseFactTerm(text))
      break
    case 'class':
      add.class.push(parseClassTerm(text))
      break
    case 'identity':
      add.identity.push(parseIdentityTerm(text))
      break
    case 'agent':
      add.agent.push(parseAgentTerm(text))
      break
    case 'where':
      parseCompound(text)
      add.compound.push(text.trim())
      break
    case 'with':
      return combineFilters(filter, parseWithFilter(text))
  }
  return combineFilters(filter, add)
}

function bad(message: string, cause?: unknown): never {
  throw new McshError('MCSH_BAD_FILTER', `bad filter: ${message}`, cause === undefined ? undefined : { cause })
}

function typeName(v: unknown): string {
  if (v === null) return 'null'
  if (v === undefined) return 'nothing'
  if (Array.isArray(v)) return 'an array'
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`
}

function checkRegexForWire(where: string, pattern: string, flags: string): void {
  if (pattern.length > FILTER_LIMITS.regexChars) bad(`${where} has a regex of ${pattern.length} characters (at most ${FILTER_LIMITS.regexChars})`)
  if (pattern === '') bad(`${where} has an empty regex`)
  try {
    cachedSafeRegex(pattern, flags)
  } catch (e) {
    if (e instanceof SafeRegexError) bad(`${where} has a bad regex /${pattern}/: ${e.reason} (column ${e.column})`, e)
    throw e
  }
}

function stringList(input: Record<string, unknown>, key: keyof Filter): unknown[] {
  const v = input[key]
  if (v === undefined) return []
  if (!Array.isArray(v)) bad(`filter.${key} must be an array (got ${typeName(v)})`)
  if (v.length > FILTER_LIMITS.termsPerList) bad(`filter.${key} has ${v.length} entries (at most ${FILTER_LIMITS.termsPerList})`)
  return v
}

function validateName(key: NameKind, index: number, v: unknown): string {
  const where = `filter.${key}[${index}]`
  if (typeof v !== 'string') bad(`${where} must be a string (got ${typeName(v)})`)
  if (v === '') bad(`${where} is empty`)
  if (v.length > FILTER_LIMITS.valueChars) bad(`${where} is ${v.length} characters long (at most ${FILTER_LIMITS.valueChars})`)
  if (v.startsWith('/')) {
    const lit = regexLiteralOf(v)
    if (!lit) bad(`${where} starts with '/' but is not /regex/ or /regex/i: ${JSON.stringify(v)}`)
    checkRegexForWire(where, lit.pattern, lit.flags)
  } else if (/\s/.test(v)) {
    bad(`${where} contains whitespace: ${JSON.stringify(v)}`)
  }
  return v
}

function validateFact(index: number, v: unknown): FactTerm {
  const where = `filter.fact[${index}]`
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(`${where} must be an object with fact, operator and value (got ${typeName(v)})`)
  const t = v as Record<string, unknown>
  const { fact, operator, value } = t
  if (typeof fact !== 'string') bad(`${where}.fact must be a string (got ${typeName(fact)})`)
  if (fact === '' || /\s/.test(fact)) bad(`${where}.fact must be a non-empty name without spaces (got ${JSON.stringify(fact)})`)
  if (fact.length > FILTER_LIMITS.nameChars) bad(`${where}.fact is ${fact.length} characters long (at most ${FILTER_LIMITS.nameChars})`)
  if (typeof operator !== 'string' || !(FACT_OPERATORS as readonly string[]).includes(operator)) {
    bad(`${where}.operator must be one of ${FACT_OPERATORS.join(', ')} (got ${typeof operator === 'string' ? JSON.stringify(operator) : typeName(operator)})`)
  }
  if (typeof value !== 'string') bad(`${where}.value must be a string (got ${typeName(value)})`)
  if (value.length > FILTER_LIMITS.valueChars) bad(`${where}.value is ${value.length} characters long (at most ${FILTER_LIMITS.valueChars})`)
  const lit = regexLiteralOf(value)
  if (operator === '=~') {
    checkRegexForWire(where, lit?.pattern ?? value, lit?.flags ?? '')
  } else if (lit && (operator === '==' || operator === '!=')) {
    checkRegexForWire(where, lit.pattern, lit.flags)
  }
  return { fact, operator: operator as FactOperator, value }
}

function checkCompoundRegexes(where: string, e: CompoundExpression): void {
  switch (e.kind) {
    case 'and':
    case 'or':
      for (const t of e.terms) checkCompoundRegexes(where, t)
      return
    case 'not':
      checkCompoundRegexes(where, e.term)
      return
    case 'class':
    case 'identity':
    case 'agent':
      if (e.name.type === 'regex' && e.name.pattern.length > FILTER_LIMITS.regexChars) {
        bad(`${where} has a regex of ${e.name.pattern.length} characters (at most ${FILTER_LIMITS.regexChars})`)
      }
      return
    case 'fact':
    case 'data':
      if (e.value.type === 'regex' && e.value.pattern.length > FILTER_LIMITS.regexChars) {
        bad(`${where} has a regex of ${e.value.pattern.length} characters (at most ${FILTER_LIMITS.regexChars})`)
      }
  }
}

/** Compounds already found valid, so the same request reaching many simulated nodes parses once. */
const validCompounds = new LruCache<string, true>(500)

function validateCompound(index: number, v: unknown): string {
  const where = `filter.compound[${index}]`
  if (typeof v !== 'string') bad(`${where} must be a string (got ${typeName(v)})`)
  if (v.length > FILTER_LIMITS.compoundChars) bad(`${where} is ${v.length} characters long (at most ${FILTER_LIMITS.compoundChars})`)
  if (validCompounds.get(v)) return v
  let ast: CompoundExpression
  try {
    ast = parseCompound(v)
  } catch (e) {
    if (e instanceof FilterSyntaxError) bad(`${where}: ${e.message}`, e)
    throw e
  }
  checkCompoundRegexes(where, ast)
  validCompounds.set(v, true)
  return v
}

const FILTER_KEYS = new Set(['fact', 'class', 'identity', 'agent', 'compound'])

/**
 * Checks a filter that arrived from the network and returns a clean copy, or throws
 * McshError('MCSH_BAD_FILTER') naming the offending entry. Missing lists count as empty. Unknown keys
 * are rejected rather than ignored: ignoring a restriction a newer sender added would make this node
 * act on a request that was not meant for it.
 */
export function validateFilter(input: unknown): Filter {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) bad(`a filter must be an object (got ${typeName(input)})`)
  const obj = input as Record<string, unknown>
  for (const key of Object.keys(obj)) {
    if (!FILTER_KEYS.has(key)) bad(`unknown filter key ${JSON.stringify(key)} (expected fact, class, identity, agent, compound)`)
  }
  return {
    fact: stringList(obj, 'fact').map((v, i) => validateFact(i, v)),
    class: stringList(obj, 'class').map((v, i) => validateName('class', i, v)),
    identity: stringList(obj, 'identity').map((v, i) => validateName('identity', i, v)),
    agent: stringList(obj, 'agent').map((v, i) => validateName('agent', i, v)),
    compound: stringList(obj, 'compound').map((v, i) => validateCompound(i, v)),
  }
}
