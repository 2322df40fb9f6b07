import { McshError } from '../util/errors.js'
import { cachedSafeRegex, SafeRegexError } from './safe-regex.js'
import type { FactOperator } from './types.js'

/**
 * Compound filters (MCollective's `-S`): a lexer and a recursive-descent parser to a plain-data AST.
 *
 *   expression := or
 *   or         := and (('or' | '||') and)*
 *   and        := unary (('and' | '&&') unary)*
 *   unary      := ('not' | '!') unary | primary
 *   primary    := '(' expression ')' | term
 *   term       := fact OP value                      os=linux, memory >= 4096, kernel=~/^5\./
 *               | WORD | /re/                          a class: apache, /^role::web/
 *               | 'class:' (WORD | /re/)
 *               | 'identity:' (WORD | /re/)
 *               | 'agent:' (WORD | /re/)
 *               | 'fact:' WORD OP value
 *               | NAME '(' [arg (',' arg)*] ')' ['.' FIELD] OP value     a data plugin call
 *   OP         := '=' | '==' | '!=' | '=~' | '<' | '>' | '<=' | '>='
 *   value      := WORD | NUMBER | 'single' | "double" | /re/[i]
 *
 * Keywords are case-insensitive. `=`/`==` with a /re/ value, and `=~` with any value, are regex matches;
 * `!=` with a /re/ value is a regex non-match.
 */

export interface TextLiteral {
  type: 'text'
  value: string
}

export interface RegexLiteral {
  type: 'regex'
  pattern: string
  flags: string
}

export type Literal = TextLiteral | RegexLiteral

export interface AndExpression {
  kind: 'and'
  terms: CompoundExpression[]
}

export interface OrExpression {
  kind: 'or'
  terms: CompoundExpression[]
}

export interface NotExpression {
  kind: 'not'
  term: CompoundExpression
}

/** `operator` is never `=` (normalized to `==`); `=~` always has a regex value. */
export interface FactComparison {
  kind: 'fact'
  fact: string
  operator: FactOperator
  value: Literal
}

export interface NameTerm {
  kind: 'class' | 'identity' | 'agent'
  name: Literal
}

/** `fstat('/etc/hosts').size > 0`: asked of the matcher's `dataLookup` callback. */
export interface DataComparison {
  kind: 'data'
  name: string
  args: string[]
  field?: string
  operator: FactOperator
  value: Literal
}

export type CompoundExpression = AndExpression | OrExpression | NotExpression | FactComparison | NameTerm | DataComparison

export const MAX_COMPOUND_DEPTH = 100

/** A filter that does not parse. `column` is 1-based; end of input is at `source.length + 1`. */
export class FilterSyntaxError extends McshError {
  readonly column: number
  readonly expected: string
  readonly found: string
  readonly source: string

  constructor(source: string, column: number, expected: string, found: string, detail?: string) {
    super('MCSH_FILTER_SYNTAX', `bad filter "${source}" at column ${column}: ${detail ?? `expected ${expected} but found ${found}`}`)
    this.name = 'FilterSyntaxError'
    this.source = source
    this.column = column
    this.expected = expected
    this.found = found
  }
}

/** Two lines: the source line holding the error, and a caret under the column. */
export function formatFilterError(err: FilterSyntaxError): string {
  const src = err.source
  let offset = Math.max(0, Math.min(err.column - 1, src.length))
  const lineStart = src.lastIndexOf('\n', offset - 1) + 1
  let lineEnd = src.indexOf('\n', lineStart)
  if (lineEnd < 0) lineEnd = src.length
  if (offset > lineEnd) offset = lineEnd
  const line = src.slice(lineStart, lineEnd)
  const pad = line.slice(0, offset - lineStart).replace(/[^\t]/g, ' ')
  return `${line}\n${pad}^`
}

/** A regex failure at pattern index `patternStart` (0-based, in `source`) as a FilterSyntaxError. */
export function regexSyntaxError(source: string, patternStart: number, err: SafeRegexError): FilterSyntaxError {
  return new FilterSyntaxError(source, patternStart + err.column, 'a supported regular expression', err.reason, `bad regex: ${err.reason}`)
}

/** Compiles (through the shared cache) to validate; maps failures to columns in `source`. */
export function checkRegex(source: string, patternStart: number, pattern: string, flags: string): void {
  try {
    cachedSafeRegex(pattern, flags)
  } catch (e) {
    if (e instanceof SafeRegexError) throw regexSyntaxError(source, patternStart, e)
    throw e
  }
}

/**
 * `/pattern/` or `/pattern/i` as a whole string (the form of regex entries in a Filter), else undefined.
 * Anything else that merely starts with a slash, such as `/usr/lib`, is not a regex.
 */
export function regexLiteralOf(text: string): RegexLiteral | undefined {
  const m = /^\/([\s\S]+)\/(i?)$/.exec(text)
  return m ? { type: 'regex', pattern: m[1] as string, flags: m[2] as string } : undefined
}

/** `/pattern/flags`, escaping bare slashes so the result lexes back to the same pattern. */
export function formatRegex(pattern: string, flags: string): string {
  let out = ''
  let inClass = false
  for (let k = 0; k < pattern.length; k++) {
    const ch = pattern[k] as string
    if (ch === '\\') {
      out += ch + (pattern[k + 1] ?? '')
      k++
      continue
    }
    if (ch === '[') inClass = true
    else if (ch === ']') inClass = false
    else if (ch === '/' && !inClass) {
      out += '\\/'
      continue
    }
    out += ch
  }
  return `/${out}/${flags}`
}

type TokenKind = 'lparen' | 'rparen' | 'comma' | 'not' | 'and' | 'or' | 'op' | 'word' | 'string' | 'regex' | 'type' | 'call' | 'field' | 'eof'

interface Token {
  kind: TokenKind
  /** 0-based index of the first character. */
  start: number
  end: number
  /** Word text, string contents, operator, type name, call name or field name. */
  value: string
  pattern?: string
  flags?: string
}

const SPECIAL = new Set(['(', ')', "'", '"', '!', '=', '<', '>', '~', '&', '|'])
const OPERATORS = ['==', '=~', '!=', '<=', '>=', '=', '<', '>'] as const
const TYPED_PREFIX = /^(class|identity|agent|fact):/
const DATA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const KEYWORDS = new Set(['and', 'or', 'not'])

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v'
}

function describeFound(source: string, t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of input'
    case 'string':
      return `the string ${source.slice(t.start, t.end)}`
    case 'regex':
      return `the regex ${source.slice(t.start, t.end)}`
    default: {
      const raw = source.slice(t.start, t.end)
      return `'${raw.length > 24 ? `${raw.slice(0, 24)}…` : raw}'`
    }
  }
}

class Lexer {
  private pos = 0
  private buffered: Token | undefined
  /** 0: normal; 1: a call name was just read, '(' opens its arguments; 2: inside call arguments. */
  private callState = 0
  private afterCallClose = false

  constructor(readonly source: string) {}

  fail(index: number, expected: string, found: string): never {
    throw new FilterSyntaxError(this.source, index + 1, expected, found)
  }

  peek(): Token {
    this.buffered ??= this.lex()
    return this.buffered
  }

  next(): Token {
    const t = this.peek()
    this.buffered = undefined
    return t
  }

  private lex(): Token {
    const src = this.source
    const fieldAllowed = this.afterCallClose
    this.afterCallClose = false
    if (fieldAllowed && src[this.pos] === '.') {
      const start = this.pos
      const m = /^\.([A-Za-z_][A-Za-z0-9_]*)/.exec(src.slice(start))
      if (!m) this.fail(start + 1, "a field name after '.'", this.foundAt(start + 1))
      this.pos += m[0].length
      return { kind: 'field', start, end: this.pos, value: m[1] as string }
    }
    while (this.pos < src.length && isSpace(src[this.pos] as string)) this.pos++
    const start = this.pos
    if (start >= src.length) return { kind: 'eof', start, end: start, value: '' }
    const ch = src[start] as string
    const two = src.slice(start, start + 2)
    const inArgs = this.callState === 2

    if (ch === '(') {
      this.pos++
      if (this.callState === 1) this.callState = 2
      return { kind: 'lparen', start, end: this.pos, value: ch }
    }
    if (ch === ')') {
      this.pos++
      if (inArgs) {
        this.callState = 0
        this.afterCallClose = true
      }
      return { kind: 'rparen', start, end: this.pos, value: ch }
    }
    if (ch === ',' && inArgs) {
      this.pos++
      return { kind: 'comma', start, end: this.pos, value: ch }
    }
    if (two === '&&' || two === '||') {
      this.pos += 2
      return { kind: two === '&&' ? 'and' : 'or', start, end: this.pos, value: two }
    }
    if (ch === '&' || ch === '|') this.fail(start, `'${ch}${ch}' or '${ch === '&' ? 'and' : 'or'}'`, `'${ch}'`)
    for (const op of OPERATORS) {
      if (src.startsWith(op, start)) {
        this.pos += op.length
        return { kind: 'op', start, end: this.pos, value: op }
      }
    }
    if (ch === '!') {
      this.pos++
      return { kind: 'not', start, end: this.pos, value: ch }
    }
    if (ch === '~') this.fail(start, "'=~' (a regex match)", "'~'")
    if (ch === "'" || ch === '"') return this.lexString(start, ch)
    if (ch === '/' && !inArgs) return this.lexRegex(start)
    if (!inArgs) {
      const typed = TYPED_PREFIX.exec(src.slice(start, start + 10))
      if (typed) {
        this.pos += typed[0].length
        return { kind: 'type', start, end: this.pos, value: typed[1] as string }
      }
    }
    while (this.pos < src.length) {
      const c = src[this.pos] as string
      if (isSpace(c) || SPECIAL.has(c) || (c === ',' && inArgs)) break
      this.pos++
    }
    const value = src.slice(start, this.pos)
    if (!inArgs && src[this.pos] === '(' && !KEYWORDS.has(value.toLowerCase())) {
      this.callState = 1
      return { kind: 'call', start, end: this.pos, value }
    }
    return { kind: 'word', start, end: this.pos, value }
  }

  private foundAt(index: number): string {
    if (index >= this.source.length) return 'end of input'
    return `'${this.source[index] as string}'`
  }

  private lexString(start: number, quote: string): Token {
    const src = this.source
    let value = ''
    let k = start + 1
    for (;;) {
      if (k >= src.length) this.fail(start, `a closing ${quote} for the string starting here`, 'end of input')
      const c = src[k] as string
      if (c === quote) break
      if (c === '\\' && (src[k + 1] === '\\' || src[k + 1] === "'" || src[k + 1] === '"')) {
        value += src[k + 1] as string
        k += 2
        continue
      }
      value += c
      k++
    }
    this.pos = k + 1
    return { kind: 'string', start, end: this.pos, value }
  }

  private lexRegex(start: number): Token {
    const src = this.source
    let k = start + 1
    let inClass = false
    for (;;) {
      if (k >= src.length) this.fail(start, "a closing '/' for the regex starting here", 'end of input')
      const c = src[k] as string
      if (c === '\\') {
        k += 2
        continue
      }
      if (c === '[') inClass = true
      else if (c === ']') inClass = false
      else if (c === '/' && !inClass) break
      k++
    }
    const pattern = src.slice(start + 1, k)
    if (pattern === '') this.fail(start, 'a regex pattern between the slashes', "'//'")
    k++
    const flagStart = k
    while (k < src.length && /[A-Za-z]/.test(src[k] as string)) k++
    const flags = src.slice(flagStart, k)
    for (let f = 0; f < flags.length; f++) {
      if (flags[f] !== 'i' || flags.indexOf('i') !== f) {
        this.fail(flagStart + f, "the regex flag 'i' or nothing", `'${flags[f] as string}'`)
      }
    }
    this.pos = k
    return { kind: 'regex', start, end: k, value: src.slice(start, k), pattern, flags }
  }
}

class Parser {
  private depth = 0
  /** Whether the last term was a bare word, which could also have been a fact missing its operator. */
  private lastBare = false

  constructor(
    private readonly lex: Lexer,
    private readonly source: string,
  ) {}

  private fail(t: Token, expected: string): never {
    throw new FilterSyntaxError(this.source, t.start + 1, expected, describeFound(this.source, t))
  }

  private isKeyword(t: Token, word: string): boolean {
    return t.kind === 'word' && t.value.toLowerCase() === word
  }

  parse(): CompoundExpression {
    const e = this.parseOr()
    const t = this.lex.peek()
    if (t.kind !== 'eof') this.fail(t, this.lastBare ? "an operator or 'and'/'or'" : "'and'/'or' or end of input")
    return e
  }

  private parseOr(): CompoundExpression {
    const terms = [this.parseAnd()]
    for (;;) {
      const t = this.lex.peek()
      if (t.kind !== 'or' && !this.isKeyword(t, 'or')) break
      this.lex.next()
      terms.push(this.parseAnd())
    }
    return terms.length === 1 ? (terms[0] as CompoundExpression) : { kind: 'or', terms }
  }

  private parseAnd(): CompoundExpression {
    const terms = [this.parseUnary()]
    for (;;) {
      const t = this.lex.peek()
      if (t.kind !== 'and' && !this.isKeyword(t, 'and')) break
      this.lex.next()
      terms.push(this.parseUnary())
    }
    return terms.length === 1 ? (terms[0] as CompoundExpression) : { kind: 'and', terms }
  }

  private enter(t: Token): void {
    if (++this.depth > MAX_COMPOUND_DEPTH) {
      throw new FilterSyntaxError(this.source, t.start + 1, `at most ${MAX_COMPOUND_DEPTH} nested parentheses or 'not's`, describeFound(this.source, t))
    }
  }

  private parseUnary(): CompoundExpression {
    const t = this.lex.peek()
    if (t.kind === 'not' || this.isKeyword(t, 'not')) {
      this.lex.next()
      this.enter(t)
      const term = this.parseUnary()
      this.depth--
      return { kind: 'not', term }
    }
    return this.parsePrimary()
  }

  private parsePrimary(): CompoundExpression {
    const t = this.lex.peek()
    switch (t.kind) {
      case 'lparen': {
        this.lex.next()
        this.enter(t)
        const e = this.parseOr()
        this.depth--
        const close = this.lex.peek()
        if (close.kind !== 'rparen') {
          this.fail(close, close.kind === 'eof' ? "')'" : this.lastBare ? "an operator, 'and'/'or' or ')'" : "'and'/'or' or ')'")
        }
        this.lex.next()
        this.lastBare = false
        return e
      }
      case 'type':
        this.lex.next()
        this.lastBare = false
        return this.parseTyped(t)
      case 'call':
        this.lex.next()
        this.lastBare = false
        return this.parseData(t)
      case 'regex':
        this.lex.next()
        this.lastBare = false
        return { kind: 'class', name: this.regexLiteral(t) }
      case 'word': {
        if (this.isKeyword(t, 'and') || this.isKeyword(t, 'or')) this.fail(t, "a fact, class or '('")
        this.lex.next()
        if (this.lex.peek().kind === 'op') {
          this.lastBare = false
          return this.parseComparison(t.value)
        }
        this.lastBare = true
        return { kind: 'class', name: { type: 'text', value: t.value } }
      }
      default:
        return this.fail(t, "a fact, class or '('")
    }
  }

  private regexLiteral(t: Token): RegexLiteral {
    const pattern = t.pattern as string
    const flags = t.flags as string
    checkRegex(this.source, t.start + 1, pattern, flags)
    return { type: 'regex', pattern, flags }
  }

  private parseTyped(t: Token): CompoundExpression {
    const what = t.value
    const v = this.lex.peek()
    if (what === 'fact') {
      if (v.kind !== 'word') this.fail(v, "a fact name after 'fact:'")
      this.lex.next()
      if (this.lex.peek().kind !== 'op') this.fail(this.lex.peek(), 'an operator after the fact name')
      return this.parseComparison(v.value)
    }
    const kind = what as NameTerm['kind']
    if (v.kind === 'word') {
      this.lex.next()
      return { kind, name: { type: 'text', value: v.value } }
    }
    if (v.kind === 'regex') {
      this.lex.next()
      return { kind, name: this.regexLiteral(v) }
    }
    return this.fail(v, `${kind === 'identity' ? 'an' : 'a'} ${kind} name or /regex/ after '${kind}:'`)
  }

  private parseComparison(fact: string): FactComparison {
    const { operator, value } = this.parseOperatorAndValue()
    return { kind: 'fact', fact, operator, value }
  }

  private parseOperatorAndValue(): { operator: FactOperator; value: Literal } {
    const opTok = this.lex.next()
    const op = opTok.value
    const v = this.lex.peek()
    let value: Literal
    if (v.kind === 'word' || v.kind === 'string') {
      value = { type: 'text', value: v.value }
    } else if (v.kind === 'regex') {
      value = this.regexLiteral(v)
    } else if (v.kind === 'call') {
      return this.fail(v, `a value after '${op}' (quote values that contain parentheses)`)
    } else {
      return this.fail(v, `a value after '${op}'`)
    }
    this.lex.next()
    if (op === '=~') {
      if (value.type === 'text') {
        if (value.value === '') this.fail(v, "a regex after '=~'")
        checkRegex(this.source, v.kind === 'string' ? v.start + 1 : v.start, value.value, '')
        value = { type: 'regex', pattern: value.value, flags: '' }
      }
      return { operator: '=~', value }
    }
    if (op === '=' || op === '==') return { operator: value.type === 'regex' ? '=~' : '==', value }
    if (op === '!=') return { operator: '!=', value }
    if (value.type === 'regex') this.fail(v, `a number or string after '${op}' (a regex only goes with =, ==, =~ or !=)`)
    return { operator: op as FactOperator, value }
  }

  private parseData(t: Token): DataComparison {
    if (!DATA_NAME.test(t.value)) this.fail(t, 'a data plugin name (letters, digits and _)')
    this.lex.next() // '(' — the lexer only makes a call token when one follows directly
    const args: string[] = []
    if (this.lex.peek().kind === 'rparen') {
      this.lex.next()
    } else {
      for (;;) {
        const a = this.lex.peek()
        if (a.kind !== 'word' && a.kind !== 'string') this.fail(a, 'an argument (a quoted string, word or number)')
        this.lex.next()
        args.push(a.value)
        const sep = this.lex.peek()
        if (sep.kind === 'comma') {
          this.lex.next()
          continue
        }
        if (sep.kind === 'rparen') {
          this.lex.next()
          break
        }
        this.fail(sep, "',' or ')'")
      }
    }
    let field: string | undefined
    if (this.lex.peek().kind === 'field') field = this.lex.next().value
    const opTok = this.lex.peek()
    if (opTok.kind !== 'op') this.fail(opTok, field === undefined ? "'.field' or an operator after the data call" : 'an operator after the data field')
    const { operator, value } = this.parseOperatorAndValue()
    const node: DataComparison = { kind: 'data', name: t.value, args, operator, value }
    if (field !== undefined) node.field = field
    return node
  }
}

/** Parses a compound filter; throws FilterSyntaxError with the column of the first problem. */
export function parseCompound(text: string): CompoundExpression {
  const lexer = new Lexer(text)
  return new Parser(lexer, text).parse()
}

const SAFE_WORD = /^[^\s()'"!=<>~&|,/][^\s()'"!=<>~&|,]*$/

function isSafeWord(s: string): boolean {
  return SAFE_WORD.test(s) && !TYPED_PREFIX.test(s)
}

function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

export function formatLiteral(v: Literal): string {
  if (v.type === 'regex') return formatRegex(v.pattern, v.flags)
  return isSafeWord(v.value) ? v.value : quote(v.value)
}

function formatOperator(op: FactOperator): string {
  if (op === '=~' || op === '==') return '='
  return op
}

/** Canonical text for an expression; parseCompound(formatCompound(e)) gives back e. */
export function formatCompound(e: CompoundExpression): string {
  switch (e.kind) {
    case 'and':
      return e.terms.map((t) => (t.kind === 'or' ? `(${formatCompound(t)})` : formatCompound(t))).join(' and ')
    case 'or':
      return e.terms.map((t) => formatCompound(t)).join(' or ')
    case 'not':
      return `not ${e.term.kind === 'and' || e.term.kind === 'or' ? `(${formatCompound(e.term)})` : formatCompound(e.term)}`
    case 'fact': {
      const name = isSafeWord(e.fact) && !KEYWORDS.has(e.fact.toLowerCase()) ? e.fact : `fact:${e.fact}`
      return `${name}${formatOperator(e.operator)}${formatLiteral(e.value)}`
    }
    case 'class':
      if (e.name.type === 'regex') return formatLiteral(e.name)
      return isSafeWord(e.name.value) && !KEYWORDS.has(e.name.value.toLowerCase()) ? e.name.value : `class:${e.name.value}`
    case 'identity':
    case 'agent':
      return `${e.kind}:${formatLiteral(e.name)}`
    case 'data':
      return `${e.name}(${e.args.map(quote).join(', ')})${e.field === undefined ? '' : `.${e.field}`}${formatOperator(e.operator)}${formatLiteral(e.value)}`
  }
}
