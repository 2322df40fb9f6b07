import { basename } from 'node:path'
import { compileFilter, emptyFilter, FilterSyntaxError, parseClassTerm, parseCompound, parseFactTerm, SafeRegexError } from '../filter/index.js'
import type { CompiledFilter, CompoundExpression, Filter, NodeInventory } from '../filter/index.js'
import { errorMessage, McshError } from '../util/errors.js'

export type Effect = 'allow' | 'deny'

/**
 * One `allow`/`deny` line. `facts` and `classes` are the fields' text (`'*'` for "any", and `classes`
 * is `'*'` when the line leaves it out); `text` is the line's fields joined by single spaces.
 */
export interface PolicyRule {
  effect: Effect
  callers: '*' | string[]
  actions: '*' | string[]
  facts: string
  classes: string
  line: number
  text: string
}

export interface Policy {
  file: string
  defaultEffect?: Effect
  rules: PolicyRule[]
}

/** A line of a policy file that does not parse. `column` (1-based, in the raw line) when known. */
export class PolicySyntaxError extends McshError {
  readonly file: string
  readonly line: number
  readonly column: number | undefined

  constructor(file: string, line: number, message: string, column?: number) {
    super('MCSH_POLICY_SYNTAX', `${file} line ${line}${column === undefined ? '' : `, column ${column}`}: ${message}`)
    this.name = 'PolicySyntaxError'
    this.file = file
    this.line = line
    this.column = column
  }
}

export type Decision = { allowed: boolean; reason: string }

/** A rule ready for the hot path: sets for callers and actions, one compiled matcher for facts and classes. */
interface CompiledRule {
  rule: PolicyRule
  anyCaller: boolean
  callerExact: ReadonlySet<string>
  callerPrefixes: readonly string[]
  anyAction: boolean
  actions: ReadonlySet<string>
  /** Undefined when both FACTS and CLASSES are `*`. */
  matcher: CompiledFilter | undefined
}

/** Where a field sits, so errors can point at a column of the raw line. */
interface FieldContext {
  file: string
  line: number
  /** 0-based offset of the field in the raw line, or undefined for rules not read from a file. */
  offset: number | undefined
  name: 'CALLERS' | 'ACTIONS' | 'FACTS' | 'CLASSES'
}

const AGENT_OR_ACTION = /^[A-Za-z_][\w-]*$/
/** `type=value` as on the wire (`cert=alice`, `uid=500`), with an optional trailing `*` wildcard. */
const CALLER_ID = /^[A-Za-z][\w.-]*=[\w.:@=-]*\*?$/
const COMPOUND_TOKEN = /^(?:and|or|not)$/i
const FACT_OPERATOR_CHAR = /[=<>]/

function fieldError(ctx: FieldContext, indexInField: number, message: string): PolicySyntaxError {
  const column = ctx.offset === undefined ? undefined : ctx.offset + indexInField + 1
  return new PolicySyntaxError(ctx.file, ctx.line, `${ctx.name}: ${message}`, column)
}

function tokens(text: string): Array<{ text: string; index: number }> {
  const out: Array<{ text: string; index: number }> = []
  const re = /\S+/g
  let m: RegExpExecArray | null
  while ((m = re.exec(text)) !== null) out.push({ text: m[0], index: m.index })
  return out
}

/** The part of a FilterSyntaxError's message after "bad filter "…" at column N: ". */
function filterErrorDetail(err: FilterSyntaxError): string {
  const prefix = `bad filter "${err.source}" at column ${err.column}: `
  return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : `expected ${err.expected} but found ${err.found}`
}

function rethrowFilterError(ctx: FieldContext, e: unknown, tokenIndex: number, what: string): never {
  if (e instanceof FilterSyntaxError) throw fieldError(ctx, tokenIndex + e.column - 1, `bad ${what}: ${filterErrorDetail(e)}`)
  if (e instanceof SafeRegexError) throw fieldError(ctx, tokenIndex, `bad ${what}: ${e.message}`)
  throw e
}

/**
 * After MCollective's test for a compound field: a keyword, a leading `!` or `(`, a trailing `)`,
 * `&&`/`||`, or quotes. Parentheses inside a token (`kernel=/^(5|6)/`) belong to a regex.
 */
function looksCompound(parts: ReadonlyArray<{ text: string }>): boolean {
  return parts.some((t) => COMPOUND_TOKEN.test(t.text) || /^[!(]|\)$|['"]|&&|\|\|/.test(t.text))
}

function hasDataTerm(e: CompoundExpression): boolean {
  switch (e.kind) {
    case 'and':
    case 'or':
      return e.terms.some(hasDataTerm)
    case 'not':
      return hasDataTerm(e.term)
    case 'data':
      return true
    default:
      return false
  }
}

function addCompound(ctx: FieldContext, text: string, filter: Filter): void {
  let expr: CompoundExpression
  try {
    expr = parseCompound(text)
  } catch (e) {
    rethrowFilterError(ctx, e, 0, 'compound expression')
  }
  // Nothing can answer a data plugin during authorization; a term that is always false would
  // silently disable a deny rule, so it is refused instead.
  if (hasDataTerm(expr)) throw fieldError(ctx, 0, 'data plugin terms such as fstat(...) cannot be used in a policy')
  filter.compound.push(text)
}

function parseFactsField(ctx: FieldContext, text: string, filter: Filter): void {
  if (text === '*') return
  const parts = tokens(text)
  const isList = !looksCompound(parts) && parts.every((t) => FACT_OPERATOR_CHAR.test(t.text))
  if (!isList) {
    addCompound(ctx, text, filter)
    return
  }
  for (const t of parts) {
    try {
      filter.fact.push(parseFactTerm(t.text))
    } catch (e) {
      rethrowFilterError(ctx, e, t.index, 'fact term')
    }
  }
}

function parseClassesField(ctx: FieldContext, text: string, filter: Filter): void {
  if (text === '*') return
  const parts = tokens(text)
  if (looksCompound(parts)) {
    addCompound(ctx, text, filter)
    return
  }
  for (const t of parts) {
    if (t.text === '*') throw fieldError(ctx, t.index, "'*' must be the whole field, not one of several classes")
    const isRegex = t.text.startsWith('/')
    if (!isRegex && FACT_OPERATOR_CHAR.test(t.text)) {
      throw fieldError(ctx, t.index, `expected a class name or /regex/ but found the fact term '${t.text}' (fact terms belong in FACTS)`)
    }
    try {
      filter.class.push(parseClassTerm(t.text))
    } catch (e) {
      rethrowFilterError(ctx, e, t.index, 'class')
    }
  }
}

function parseCallersField(ctx: FieldContext, text: string): '*' | string[] {
  if (text === '*') return '*'
  const out: string[] = []
  for (const t of tokens(text)) {
    if (t.text === '*') throw fieldError(ctx, t.index, "'*' must be the whole field, not one of several callers")
    const star = t.text.indexOf('*')
    if (star >= 0 && star !== t.text.length - 1) throw fieldError(ctx, t.index + star, `a '*' wildcard may only end a caller id, as in cert=ops-*, but found '${t.text}'`)
    if (!CALLER_ID.test(t.text) || t.text.endsWith('=')) {
      throw fieldError(ctx, t.index, `expected a caller id such as cert=alice or uid=500 (or '*') but found '${t.text}'`)
    }
    out.push(t.text)
  }
  return out
}

function parseActionsField(ctx: FieldContext, text: string): '*' | string[] {
  if (text === '*') return '*'
  const out: string[] = []
  for (const t of tokens(text)) {
    if (t.text === '*') throw fieldError(ctx, t.index, "'*' must be the whole field, not one of several actions")
    if (!AGENT_OR_ACTION.test(t.text)) {
      const hint = t.text.includes(',') ? ' (separate actions with spaces, not commas)' : ''
      throw fieldError(ctx, t.index, `expected an action name but found '${t.text}'${hint}`)
    }
    out.push(t.text)
  }
  return out
}

function compileMatcher(file: string, rule: PolicyRule, factsOffset?: number, classesOffset?: number): CompiledFilter | undefined {
  const filter = emptyFilter()
  parseFactsField({ file, line: rule.line, offset: factsOffset, name: 'FACTS' }, rule.facts, filter)
  parseClassesField({ file, line: rule.line, offset: classesOffset, name: 'CLASSES' }, rule.classes, filter)
  if (filter.fact.length === 0 && filter.class.length === 0 && filter.compound.length === 0) return undefined
  try {
    return compileFilter(filter)
  } catch (e) {
    throw new PolicySyntaxError(file, rule.line, `cannot compile FACTS/CLASSES: ${errorMessage(e)}`)
  }
}

function compileCallerAndActions(rule: PolicyRule, matcher: CompiledFilter | undefined): CompiledRule {
  const callers = rule.callers === '*' ? [] : rule.callers
  return {
    rule,
    anyCaller: rule.callers === '*',
    callerExact: new Set(callers.filter((c) => !c.endsWith('*'))),
    callerPrefixes: callers.filter((c) => c.endsWith('*')).map((c) => c.slice(0, -1)),
    anyAction: rule.actions === '*',
    actions: new Set(rule.actions === '*' ? [] : rule.actions),
    matcher,
  }
}

/** Compiled rules by policy; `rules` guards against a caller replacing the array after compiling. */
const compiledPolicies = new WeakMap<Policy, { rules: PolicyRule[]; compiled: CompiledRule[] }>()

function compiledRulesOf(policy: Policy): CompiledRule[] {
  const hit = compiledPolicies.get(policy)
  if (hit && hit.rules === policy.rules && hit.compiled.length === policy.rules.length) return hit.compiled
  // A policy built by hand rather than by parsePolicy: validate and compile its rules the same way.
  const compiled = policy.rules.map((rule) => {
    const at = (name: FieldContext['name']): FieldContext => ({ file: policy.file, line: rule.line, offset: undefined, name })
    if (rule.callers !== '*') parseCallersField(at('CALLERS'), rule.callers.join(' '))
    if (rule.actions !== '*') parseActionsField(at('ACTIONS'), rule.actions.join(' '))
    return compileCallerAndActions(rule, compileMatcher(policy.file, rule))
  })
  compiledPolicies.set(policy, { rules: policy.rules, compiled })
  return compiled
}

/** Text after a `#` that starts a word, outside quotes, is a comment. */
function stripComment(line: string): string {
  let quote: string | undefined
  for (let k = 0; k < line.length; k++) {
    const c = line[k] as string
    if (quote !== undefined) {
      if (c === '\\') k++
      else if (c === quote) quote = undefined
    } else if (c === "'" || c === '"') {
      quote = c
    } else if (c === '#' && (k === 0 || /\s/.test(line[k - 1] as string))) {
      return line.slice(0, k)
    }
  }
  return line
}

/** Fields are separated by any whitespace run that holds a TAB, or by two or more spaces. */
function splitFields(content: string, start: number): Array<{ text: string; offset: number }> {
  const fields: Array<{ text: string; offset: number }> = []
  const sep = /[ ]*\t[ \t]*| {2,}/g
  let from = start
  let m: RegExpExecArray | null
  sep.lastIndex = start
  while ((m = sep.exec(content)) !== null) {
    fields.push({ text: content.slice(from, m.index), offset: from })
    from = m.index + m[0].length
  }
  fields.push({ text: content.slice(from), offset: from })
  return fields
}

const FIELD_NAMES = ['CALLERS', 'ACTIONS', 'FACTS'] as const

/**
 * Parses an actionpolicy file (docs/authorization.md). Every problem is a PolicySyntaxError naming the
 * line (and column, when it is known) and what was expected there; nothing is skipped silently, since
 * a skipped deny line would widen access. `file` is used in messages and decisions as given.
 */
export function parsePolicy(text: string, file: string): Policy {
  const policy: Policy = { file, rules: [] }
  const compiled: CompiledRule[] = []
  let defaultLine = 0
  const lines = text.split('\n')
  for (const [index, rawWithCr] of lines.entries()) {
    const lineNo = index + 1
    const raw = rawWithCr.endsWith('\r') ? rawWithCr.slice(0, -1) : rawWithCr
    const content = stripComment(raw).replace(/\s+$/, '')
    const start = content.search(/\S/)
    if (start < 0) continue
    const lineError = (offset: number, message: string) => new PolicySyntaxError(file, lineNo, message, offset + 1)
    const firstWord = /^\S+/.exec(content.slice(start))?.[0] ?? ''
    const found = (w: { text: string } | undefined) => (w ? `'${w.text}'` : 'end of line')

    if (firstWord === 'policy') {
      const words = tokens(content)
      const [, second, third, extra] = words
      if (second?.text !== 'default') throw lineError(second?.index ?? content.length, `expected 'default' after 'policy' but found ${found(second)}`)
      const effect = third?.text
      if (third === undefined || (effect !== 'allow' && effect !== 'deny')) {
        throw lineError(third?.index ?? content.length, `expected allow or deny after 'policy default' but found ${found(third)}`)
      }
      if (extra) throw lineError(extra.index, `expected end of line after 'policy default ${effect}' but found '${extra.text}'`)
      if (defaultLine > 0) throw lineError(start, `'policy default' is already set on line ${defaultLine}`)
      policy.defaultEffect = effect
      defaultLine = lineNo
      continue
    }

    if (firstWord !== 'allow' && firstWord !== 'deny') throw lineError(start, `expected allow or deny but found '${firstWord}'`)
    const fields = splitFields(content, start)
    const effectField = fields[0] as { text: string; offset: number }
    if (effectField.text !== firstWord) {
      throw lineError(start + firstWord.length, `expected a TAB (or two or more spaces) after '${firstWord}': fields are separated by TABs or runs of 2+ spaces`)
    }
    if (fields.length < 4) {
      const last = fields[fields.length - 1] as { text: string; offset: number }
      throw lineError(content.length, `expected the ${FIELD_NAMES[fields.length - 1] as string} field after '${last.text}' but found end of line`)
    }
    if (fields.length > 5) {
      const sixth = fields[5] as { text: string; offset: number }
      throw lineError(
        sixth.offset,
        `expected at most 5 fields (effect, CALLERS, ACTIONS, FACTS, CLASSES) but found ${fields.length}: separate fields with a TAB or 2+ spaces and use single spaces inside a field`,
      )
    }
    const [, callersField, actionsField, factsField, classesField] = fields as [
      { text: string; offset: number },
      { text: string; offset: number },
      { text: string; offset: number },
      { text: string; offset: number },
      { text: string; offset: number } | undefined,
    ]
    const ctx = (f: { offset: number }, name: FieldContext['name']): FieldContext => ({ file, line: lineNo, offset: f.offset, name })
    const rule: PolicyRule = {
      effect: firstWord,
      callers: parseCallersField(ctx(callersField, 'CALLERS'), callersField.text),
      actions: parseActionsField(ctx(actionsField, 'ACTIONS'), actionsField.text),
      facts: factsField.text,
      classes: classesField?.text ?? '*',
      line: lineNo,
      text: fields.map((f) => f.text).join(' '),
    }
    compiled.push(compileCallerAndActions(rule, compileMatcher(file, rule, factsField.offset, classesField?.offset)))
    policy.rules.push(rule)
  }
  compiledPolicies.set(policy, { rules: policy.rules, compiled })
  return policy
}

function callerMatches(r: CompiledRule, callerId: string): boolean {
  if (r.anyCaller || r.callerExact.has(callerId)) return true
  for (const p of r.callerPrefixes) if (callerId.startsWith(p)) return true
  return false
}

const verb = (e: Effect): string => (e === 'allow' ? 'allowed' : 'denied')

/**
 * The first rule whose callers, actions, facts and classes all match decides; otherwise the file's
 * `policy default`, otherwise `globalDefault`. `policy` undefined means the agent has no policy file.
 * Throws PolicySyntaxError only for a hand-built policy with a bad rule.
 */
export function evaluatePolicy(policy: Policy | undefined, agent: string, request: { callerId: string; action: string }, node: NodeInventory, globalDefault: Effect): Decision {
  if (policy === undefined) {
    return { allowed: globalDefault === 'allow', reason: `${verb(globalDefault)}: no policy for agent '${agent}' and the global default is ${globalDefault}` }
  }
  for (const r of compiledRulesOf(policy)) {
    if (!callerMatches(r, request.callerId)) continue
    if (!r.anyAction && !r.actions.has(request.action)) continue
    if (r.matcher !== undefined && !r.matcher.matches(node)) continue
    return { allowed: r.rule.effect === 'allow', reason: `${verb(r.rule.effect)} by ${policy.file} line ${r.rule.line}: ${r.rule.text}` }
  }
  if (policy.defaultEffect !== undefined) {
    return { allowed: policy.defaultEffect === 'allow', reason: `${verb(policy.defaultEffect)} by the default of ${basename(policy.file)} (policy default ${policy.defaultEffect})` }
  }
  return {
    allowed: globalDefault === 'allow',
    reason: `${verb(globalDefault)}: no rule of ${basename(policy.file)} matched, it sets no policy default, and the global default is ${globalDefault}`,
  }
}
