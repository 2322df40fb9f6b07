import type { FactValue } from '../facts/types.js'
import { parseCompound, regexLiteralOf } from './compound.js'
import type { CompoundExpression, Literal } from './compound.js'
import { cachedSafeRegex, LruCache } from './safe-regex.js'
import type { FactOperator, FactTerm, Filter, NodeInventory } from './types.js'

export interface MatchContext {
  /**
   * Answers a data-plugin term such as `fstat('/etc/hosts').size > 0` (name 'fstat', args ['/etc/hosts'],
   * field 'size'). Undefined means "no such data": the term is false. Without this callback every data
   * term is false. Whatever it throws propagates out of `matches`.
   */
  dataLookup?(name: string, args: string[], field?: string): FactValue | undefined
}

export interface CompiledFilter {
  readonly filter: Filter
  matches(node: NodeInventory, ctx?: MatchContext): boolean
}

type Predicate = (node: NodeInventory, ctx: MatchContext | undefined) => boolean
type ValueTest = (actual: FactValue | undefined) => boolean

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/

/** A finite number when the text is one (no hex, no blanks, no `Infinity`), else undefined. */
function strictNumber(text: string): number | undefined {
  if (!NUMBER.test(text)) return undefined
  const n = Number(text)
  return Number.isFinite(n) ? n : undefined
}

function numberOf(actual: FactValue): number | undefined {
  if (typeof actual === 'number') return Number.isFinite(actual) ? actual : undefined
  if (typeof actual === 'string') return strictNumber(actual)
  return undefined
}

/** A comparison of a node's value (a fact or a data lookup) with a literal. A missing value never matches. */
export function compileValueTest(operator: FactOperator, value: Literal): ValueTest {
  if (value.type === 'regex') {
    const re = cachedSafeRegex(value.pattern, value.flags)
    if (operator === '!=') return (a) => a !== undefined && !re.test(String(a))
    if (operator === '=~' || operator === '==') return (a) => a !== undefined && re.test(String(a))
    // The parsers never produce this; a regex has no order, so compare with its text.
    return compileValueTest(operator, { type: 'text', value: `/${value.pattern}/${value.flags}` })
  }
  const text = value.value
  const num = strictNumber(text)
  const equal = (a: FactValue): boolean => String(a) === text || (typeof a === 'number' && num !== undefined && a === num)
  switch (operator) {
    case '==':
      return (a) => a !== undefined && equal(a)
    case '!=':
      return (a) => a !== undefined && !equal(a)
    case '=~': {
      const re = cachedSafeRegex(text, '')
      return (a) => a !== undefined && re.test(String(a))
    }
    default: {
      const cmp = comparator(operator)
      return (a) => {
        if (a === undefined) return false
        const an = num === undefined ? undefined : numberOf(a)
        if (an !== undefined && num !== undefined) return cmp(an, num)
        return cmp(String(a), text)
      }
    }
  }
}

function comparator(op: '<' | '>' | '<=' | '>='): <T extends number | string>(x: T, y: T) => boolean {
  switch (op) {
    case '<':
      return (x, y) => x < y
    case '>':
      return (x, y) => x > y
    case '<=':
      return (x, y) => x <= y
    case '>=':
      return (x, y) => x >= y
  }
}

/** A FactTerm as sent on the wire, read as an operator and a literal (see the FactTerm docs). */
export function factTermLiteral(t: FactTerm): { operator: FactOperator; value: Literal } {
  if (t.operator === '=~') return { operator: '=~', value: regexLiteralOf(t.value) ?? { type: 'regex', pattern: t.value, flags: '' } }
  if (t.operator === '==' || t.operator === '!=') {
    const re = regexLiteralOf(t.value)
    if (re) return { operator: t.operator === '==' ? '=~' : '!=', value: re }
  }
  return { operator: t.operator, value: { type: 'text', value: t.value } }
}

function compileFactTerm(t: FactTerm): Predicate {
  const { operator, value } = factTermLiteral(t)
  return compileFactComparison(t.fact, operator, value)
}

type NameTest = (name: string) => boolean

function compileNameTest(name: Literal): NameTest {
  if (name.type === 'regex') {
    const re = cachedSafeRegex(name.pattern, name.flags)
    return (s) => re.test(s)
  }
  const want = name.value
  return (s) => s === want
}

function nameLiteral(entry: string): Literal {
  return regexLiteralOf(entry) ?? { type: 'text', value: entry }
}

function compileSetTest(name: Literal, pick: (node: NodeInventory) => ReadonlySet<string>): Predicate {
  if (name.type === 'text') {
    const want = name.value
    return (node) => pick(node).has(want)
  }
  const test = compileNameTest(name)
  return (node) => {
    for (const s of pick(node)) if (test(s)) return true
    return false
  }
}

const classesOf = (node: NodeInventory): ReadonlySet<string> => node.classes
const agentsOf = (node: NodeInventory): ReadonlySet<string> => node.agents

/** A predicate for a parsed compound expression. */
export function compileCompoundExpression(e: CompoundExpression): Predicate {
  switch (e.kind) {
    case 'and': {
      const parts = e.terms.map(compileCompoundExpression)
      return (node, ctx) => parts.every((p) => p(node, ctx))
    }
    case 'or': {
      const parts = e.terms.map(compileCompoundExpression)
      return (node, ctx) => parts.some((p) => p(node, ctx))
    }
    case 'not': {
      const inner = compileCompoundExpression(e.term)
      return (node, ctx) => !inner(node, ctx)
    }
    case 'fact':
      return compileFactComparison(e.fact, e.operator, e.value)
    case 'class':
      return compileSetTest(e.name, classesOf)
    case 'agent':
      return compileSetTest(e.name, agentsOf)
    case 'identity': {
      const test = compileNameTest(e.name)
      return (node) => test(node.identity)
    }
    case 'data': {
      const test = compileValueTest(e.operator, e.value)
      const { name, args, field } = e
      return (_node, ctx) => {
        if (!ctx?.dataLookup) return false
        return test(ctx.dataLookup(name, [...args], field))
      }
    }
  }
}

function compileFactComparison(fact: string, operator: FactOperator, value: Literal): Predicate {
  const test = compileValueTest(operator, value)
  return (node) => test(Object.hasOwn(node.facts, fact) ? node.facts[fact] : undefined)
}

const compoundCache = new LruCache<string, Predicate>(500)

/** The predicate for a compound filter's text, parsed once per source through an LRU of ~500 entries. */
export function compileCompound(source: string): Predicate {
  let p = compoundCache.get(source)
  if (p === undefined) {
    p = compileCompoundExpression(parseCompound(source))
    compoundCache.set(source, p)
  }
  return p
}

function copyFilter(f: Filter): Filter {
  return {
    fact: f.fact.map((t) => ({ fact: t.fact, operator: t.operator, value: t.value })),
    class: [...f.class],
    identity: [...f.identity],
    agent: [...f.agent],
    compound: [...f.compound],
  }
}

function buildCompiled(filter: Filter): CompiledFilter {
  const identityTests = filter.identity.map((entry) => compileNameTest(nameLiteral(entry)))
  const all: Predicate[] = [
    ...filter.agent.map((entry) => compileSetTest(nameLiteral(entry), agentsOf)),
    ...filter.class.map((entry) => compileSetTest(nameLiteral(entry), classesOf)),
    ...filter.fact.map(compileFactTerm),
    ...filter.compound.map(compileCompound),
  ]
  return {
    filter,
    matches(node, ctx) {
      if (identityTests.length > 0 && !identityTests.some((t) => t(node.identity))) return false
      for (const p of all) if (!p(node, ctx)) return false
      return true
    },
  }
}

const filterCache = new LruCache<string, CompiledFilter>(500)

function filterKey(f: Filter): string {
  return JSON.stringify([f.fact.map((t) => [t.fact, t.operator, t.value]), f.class, f.identity, f.agent, f.compound])
}

/**
 * Compiles a filter for matching many nodes. Same semantics as MCollective: every fact, class, agent and
 * compound entry must hold; any one identity suffices (none means any); an empty filter matches all.
 * Results are cached by content, so calling this per node is cheap. Throws FilterSyntaxError or
 * SafeRegexError for malformed entries: run filters from the network through validateFilter first.
 */
export function compileFilter(filter: Filter): CompiledFilter {
  const key = filterKey(filter)
  let compiled = filterCache.get(key)
  if (compiled === undefined) {
    compiled = buildCompiled(copyFilter(filter))
    filterCache.set(key, compiled)
  }
  return compiled
}

export function matchFilter(filter: Filter, node: NodeInventory, ctx?: MatchContext): boolean {
  return compileFilter(filter).matches(node, ctx)
}

/** Evaluates one parsed compound expression against a node (no caching; for tests and tools). */
export function evaluateCompound(e: CompoundExpression, node: NodeInventory, ctx?: MatchContext): boolean {
  return compileCompoundExpression(e)(node, ctx)
}
