import { McshError } from '../util/errors.js'

/**
 * A small regular-expression engine whose matching time is linear in the subject: patterns are
 * compiled to an NFA program and run as a Pike VM over sets of states, never by backtracking.
 * Filters arrive from the network, so a pattern like `(a+)+$` must not be able to hang a daemon.
 *
 * Syntax follows JavaScript (without the `u` flag): literals, `.`, `\d \D \w \W \s \S \b \B`,
 * `\t \n \r \f \v \0 \xHH \uHHHH \cX`, escaped punctuation, classes `[a-z]` and `[^...]`, `^ $`,
 * groups `( )`, `(?: )`, `(?<name> )`, alternation, and the quantifiers `* + ? {m} {m,} {m,n}` (a lazy
 * `?` suffix is accepted and ignored: only match/no-match matters). Flags: `i` only.
 * Backreferences and lookarounds are rejected, as is anything else this engine cannot run in linear time.
 *
 * Only the first MAX_SUBJECT_LENGTH characters of a subject are searched: a match must lie entirely
 * within them, and `$` does not match at the cut (assertions still see the real characters).
 */

export const MAX_SUBJECT_LENGTH = 4096
/** Largest count allowed in `{m}`, `{m,}` and `{m,n}`. */
export const MAX_REPEAT = 1000
/** Largest compiled program, in NFA states. */
export const MAX_PROGRAM_STATES = 10_000
const MAX_GROUP_DEPTH = 100

export class SafeRegexError extends McshError {
  /** 1-based column in the pattern (not counting the delimiting slash). */
  readonly column: number
  readonly reason: string
  readonly pattern: string

  constructor(pattern: string, column: number, reason: string) {
    super('MCSH_BAD_REGEX', `bad regex /${pattern}/ at column ${column}: ${reason}`)
    this.name = 'SafeRegexError'
    this.pattern = pattern
    this.column = column
    this.reason = reason
  }
}

export interface SafeRegex {
  readonly source: string
  readonly flags: string
  /** True when the pattern matches somewhere in the subject (search, not full match). */
  test(subject: string): boolean
}

type AssertKind = 0 | 1 | 2 | 3 // start, end, word boundary, not word boundary
const A_START = 0
const A_END = 1
const A_WORDB = 2
const A_NWORDB = 3

type Node =
  | { t: 'empty' }
  | { t: 'char'; c: number }
  | { t: 'any' }
  | { t: 'set'; ranges: number[]; negated: boolean }
  | { t: 'assert'; kind: AssertKind }
  | { t: 'cat'; items: Node[] }
  | { t: 'alt'; items: Node[] }
  | { t: 'repeat'; item: Node; min: number; max: number }

const DIGIT = [0x30, 0x39]
const WORD = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a]
const SPACE = [
  0x09, 0x0d, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f, 0x205f, 0x205f,
  0x3000, 0x3000, 0xfeff, 0xfeff,
]

function normalizeRanges(ranges: number[]): number[] {
  const pairs: Array<[number, number]> = []
  for (let k = 0; k + 1 < ranges.length; k += 2) pairs.push([ranges[k] as number, ranges[k + 1] as number])
  pairs.sort((a, b) => a[0] - b[0])
  const out: number[] = []
  for (const [lo, hi] of pairs) {
    const last = out.length - 1
    if (last > 0 && lo <= (out[last] as number) + 1) {
      if (hi > (out[last] as number)) out[last] = hi
    } else {
      out.push(lo, hi)
    }
  }
  return out
}

function complement(ranges: number[]): number[] {
  const norm = normalizeRanges(ranges)
  const out: number[] = []
  let next = 0
  for (let k = 0; k < norm.length; k += 2) {
    const lo = norm[k] as number
    const hi = norm[k + 1] as number
    if (lo > next) out.push(next, lo - 1)
    next = hi + 1
  }
  if (next <= 0xffff) out.push(next, 0xffff)
  return out
}

function inRanges(ranges: number[], c: number): boolean {
  // Ranges are sorted and disjoint; classes are short, so a linear scan with early exit is fine.
  for (let k = 0; k < ranges.length; k += 2) {
    if (c < (ranges[k] as number)) return false
    if (c <= (ranges[k + 1] as number)) return true
  }
  return false
}

/** JavaScript's non-unicode case canonicalization (ECMA-262 Canonicalize with ignoreCase). */
function canonicalize(c: number): number {
  if (c < 128) return c >= 0x61 && c <= 0x7a ? c - 32 : c
  const u = String.fromCharCode(c).toUpperCase()
  if (u.length !== 1) return c
  const cu = u.charCodeAt(0)
  return cu < 128 ? c : cu
}

function lowerVariant(c: number): number {
  if (c < 128) return c >= 0x41 && c <= 0x5a ? c + 32 : c
  const l = String.fromCharCode(c).toLowerCase()
  if (l.length !== 1) return c
  const cl = l.charCodeAt(0)
  return cl < 128 ? c : cl
}

function isWordChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f
}

function isLineTerminator(c: number): boolean {
  return c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029
}

class PatternParser {
  private i = 0

  constructor(private readonly p: string) {}

  parse(): Node {
    const node = this.parseAlt(0)
    if (this.i < this.p.length) {
      // Only an unmatched ')' stops the top-level alternation early.
      this.fail(this.i, "unmatched ')'")
    }
    return node
  }

  private fail(index: number, reason: string): never {
    throw new SafeRegexError(this.p, index + 1, reason)
  }

  private parseAlt(depth: number): Node {
    const items = [this.parseSeq(depth)]
    while (this.p[this.i] === '|') {
      this.i++
      items.push(this.parseSeq(depth))
    }
    return items.length === 1 ? (items[0] as Node) : { t: 'alt', items }
  }

  private parseSeq(depth: number): Node {
    const items: Node[] = []
    while (this.i < this.p.length) {
      const ch = this.p[this.i]
      if (ch === '|' || ch === ')') break
      const isGroup = ch === '('
      let atom = this.parseAtom(depth)
      let quantified = false
      for (;;) {
        const q = this.readQuantifier()
        if (q === undefined) break
        if (quantified || (atom.t === 'assert' && !isGroup)) this.fail(q.start, `nothing to repeat before '${this.p.slice(q.start, this.i)}'`)
        quantified = true
        atom = { t: 'repeat', item: atom, min: q.min, max: q.max }
        if (this.p[this.i] === '?') this.i++ // lazy: same match/no-match answer
      }
      items.push(atom)
    }
    if (items.length === 0) return { t: 'empty' }
    return items.length === 1 ? (items[0] as Node) : { t: 'cat', items }
  }

  /** A `{m}`, `{m,}` or `{m,n}` at index `at`, or undefined when the brace is a literal (as in JavaScript). */
  private braceQuantifier(at: number): { min: number; max: number; end: number } | undefined {
    const re = /\{(\d+)(,(\d*))?\}/y
    re.lastIndex = at
    const m = re.exec(this.p)
    if (!m) return undefined
    const minText = m[1] as string
    const maxText = m[3]
    // Longer numbers are only ever too large; keep them out of Number() precision trouble.
    const count = (text: string): number => (text.length > 6 ? MAX_REPEAT + 1 : Number(text))
    const min = count(minText)
    const max = m[2] === undefined ? min : maxText === undefined || maxText === '' ? Infinity : count(maxText)
    return { min, max, end: at + m[0].length }
  }

  private readQuantifier(): { start: number; min: number; max: number } | undefined {
    const start = this.i
    const ch = this.p[start]
    if (ch === '*') {
      this.i++
      return { start, min: 0, max: Infinity }
    }
    if (ch === '+') {
      this.i++
      return { start, min: 1, max: Infinity }
    }
    if (ch === '?') {
      this.i++
      return { start, min: 0, max: 1 }
    }
    if (ch === '{') {
      const b = this.braceQuantifier(start)
      if (!b) return undefined
      if (b.min > MAX_REPEAT || (b.max !== Infinity && b.max > MAX_REPEAT)) {
        this.fail(start, `repetition count above ${MAX_REPEAT} in '${this.p.slice(start, b.end)}'`)
      }
      if (b.max < b.min) this.fail(start, `numbers out of order in '${this.p.slice(start, b.end)}'`)
      this.i = b.end
      return { start, min: b.min, max: b.max }
    }
    return undefined
  }

  private parseAtom(depth: number): Node {
    const start = this.i
    const ch = this.p[start] as string
    switch (ch) {
      case '(':
        return this.parseGroup(depth)
      case '[':
        return this.parseClass()
      case '.':
        this.i++
        return { t: 'any' }
      case '^':
        this.i++
        return { t: 'assert', kind: A_START }
      case '$':
        this.i++
        return { t: 'assert', kind: A_END }
      case '\\':
        return this.parseEscape()
      case '*':
      case '+':
      case '?':
        return this.fail(start, `nothing to repeat before '${ch}'`)
      case '{': {
        const b = this.braceQuantifier(start)
        if (b) this.fail(start, `nothing to repeat before '${this.p.slice(start, b.end)}'`)
        this.i++
        return { t: 'char', c: 0x7b }
      }
      default:
        this.i++
        return { t: 'char', c: ch.charCodeAt(0) }
    }
  }

  private parseGroup(depth: number): Node {
    const start = this.i
    if (depth >= MAX_GROUP_DEPTH) this.fail(start, `groups nested deeper than ${MAX_GROUP_DEPTH}`)
    this.i++
    if (this.p[this.i] === '?') {
      const rest = this.p.slice(this.i, this.i + 3)
      if (rest.startsWith('?:')) {
        this.i += 2
      } else if (rest.startsWith('?=')) {
        this.fail(start, "lookahead '(?=' is not supported")
      } else if (rest.startsWith('?!')) {
        this.fail(start, "negative lookahead '(?!' is not supported")
      } else if (rest === '?<=') {
        this.fail(start, "lookbehind '(?<=' is not supported")
      } else if (rest === '?<!') {
        this.fail(start, "negative lookbehind '(?<!' is not supported")
      } else if (rest.startsWith('?<')) {
        const m = /^\?<([A-Za-z_$][\w$]*)>/.exec(this.p.slice(this.i))
        if (!m) this.fail(start, "lookbehind or malformed named group '(?<' is not supported")
        this.i += m[0].length
      } else {
        this.fail(start, `unsupported group syntax '(${rest.slice(0, 2)}'`)
      }
    }
    const inner = this.parseAlt(depth + 1)
    if (this.p[this.i] !== ')') this.fail(start, "unterminated group: missing ')'")
    this.i++
    return inner
  }

  /** An escape outside a class: a character, a set, or an assertion. */
  private parseEscape(): Node {
    const start = this.i
    const e = this.p[start + 1]
    if (e === undefined) this.fail(start, "'\\' at end of pattern")
    switch (e) {
      case 'b':
        this.i += 2
        return { t: 'assert', kind: A_WORDB }
      case 'B':
        this.i += 2
        return { t: 'assert', kind: A_NWORDB }
      default: {
        const atom = this.escapeAtom(false)
        return typeof atom === 'number' ? { t: 'char', c: atom } : { t: 'set', ranges: normalizeRanges(atom), negated: false }
      }
    }
  }

  /** Reads `\X` at this.i; returns a code unit or a range list. */
  private escapeAtom(inClass: boolean): number | number[] {
    const start = this.i
    const e = this.p[start + 1] as string
    this.i += 2
    switch (e) {
      case 'd':
        return [...DIGIT]
      case 'D':
        return complement(DIGIT)
      case 'w':
        return [...WORD]
      case 'W':
        return complement(WORD)
      case 's':
        return [...SPACE]
      case 'S':
        return complement(SPACE)
      case 't':
        return 0x09
      case 'n':
        return 0x0a
      case 'r':
        return 0x0d
      case 'f':
        return 0x0c
      case 'v':
        return 0x0b
      case 'b':
        return 0x08 // only reached inside a class
      case '0':
        if (/[0-9]/.test(this.p[this.i] ?? '')) this.fail(start, 'octal escapes are not supported')
        return 0
      case 'x': {
        const hex = this.p.slice(this.i, this.i + 2)
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) this.fail(start, "'\\x' must be followed by two hex digits")
        this.i += 2
        return parseInt(hex, 16)
      }
      case 'u': {
        const hex = this.p.slice(this.i, this.i + 4)
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) this.fail(start, "'\\u' must be followed by four hex digits")
        this.i += 4
        return parseInt(hex, 16)
      }
      case 'c': {
        const l = this.p[this.i]
        if (l === undefined || !/[A-Za-z]/.test(l)) this.fail(start, "'\\c' must be followed by a letter")
        this.i++
        return l.charCodeAt(0) % 32
      }
      case 'k':
        return this.fail(start, "named backreferences '\\k' are not supported")
      case 'p':
      case 'P':
        return this.fail(start, `unicode property escapes '\\${e}' are not supported`)
      default:
        if (/[1-9]/.test(e)) {
          return this.fail(start, inClass ? `octal escape '\\${e}' is not supported` : `backreferences ('\\${e}') are not supported`)
        }
        if (/[A-Za-z]/.test(e)) return this.fail(start, `unknown escape '\\${e}'`)
        return e.charCodeAt(0)
    }
  }

  private parseClass(): Node {
    const start = this.i
    this.i++
    let negated = false
    if (this.p[this.i] === '^') {
      negated = true
      this.i++
    }
    const ranges: number[] = []
    for (;;) {
      if (this.i >= this.p.length) this.fail(start, "unterminated character class: missing ']'")
      if (this.p[this.i] === ']') {
        this.i++
        break
      }
      const loStart = this.i
      const lo = this.classAtom()
      if (this.p[this.i] === '-' && this.i + 1 < this.p.length && this.p[this.i + 1] !== ']') {
        this.i++
        const hi = this.classAtom()
        if (typeof lo !== 'number' || typeof hi !== 'number') {
          this.fail(loStart, `invalid range '${this.p.slice(loStart, this.i)}': a class escape cannot bound a range`)
        }
        if (lo > hi) this.fail(loStart, `range out of order '${this.p.slice(loStart, this.i)}'`)
        ranges.push(lo, hi)
      } else if (typeof lo === 'number') {
        ranges.push(lo, lo)
      } else {
        ranges.push(...lo)
      }
    }
    return { t: 'set', ranges: normalizeRanges(ranges), negated }
  }

  private classAtom(): number | number[] {
    const ch = this.p[this.i] as string
    if (ch === '\\') {
      if (this.i + 1 >= this.p.length) this.fail(this.i, "'\\' at end of pattern")
      const e = this.p[this.i + 1]
      if (e === 'B') this.fail(this.i, "'\\B' is not allowed in a character class")
      if (e === '-') {
        this.i += 2
        return 0x2d
      }
      return this.escapeAtom(true)
    }
    this.i++
    return ch.charCodeAt(0)
  }
}

const OP_CHAR = 0
const OP_ANY = 1
const OP_SET = 2
const OP_SPLIT = 3
const OP_JMP = 4
const OP_ASSERT = 5
const OP_MATCH = 6

interface Program {
  op: Uint8Array
  a: Int32Array
  b: Int32Array
  sets: Array<{ ranges: number[]; negated: boolean }>
  size: number
  anchoredStart: boolean
}

class Emitter {
  readonly op: number[] = []
  readonly a: number[] = []
  readonly b: number[] = []
  readonly sets: Array<{ ranges: number[]; negated: boolean }> = []

  constructor(
    private readonly pattern: string,
    private readonly ignoreCase: boolean,
  ) {}

  push(op: number, a = 0, b = 0): number {
    if (this.op.length >= MAX_PROGRAM_STATES) {
      throw new SafeRegexError(this.pattern, 1, `pattern compiles to more than ${MAX_PROGRAM_STATES} states; reduce the {m,n} repetition counts`)
    }
    this.op.push(op)
    this.a.push(a)
    this.b.push(b)
    return this.op.length - 1
  }

  emit(n: Node): void {
    switch (n.t) {
      case 'empty':
        return
      case 'char':
        this.push(OP_CHAR, this.ignoreCase ? canonicalize(n.c) : n.c)
        return
      case 'any':
        this.push(OP_ANY)
        return
      case 'set':
        this.sets.push({ ranges: n.ranges, negated: n.negated })
        this.push(OP_SET, this.sets.length - 1)
        return
      case 'assert':
        this.push(OP_ASSERT, n.kind)
        return
      case 'cat':
        for (const item of n.items) this.emit(item)
        return
      case 'alt': {
        const jumps: number[] = []
        n.items.forEach((item, k) => {
          if (k < n.items.length - 1) {
            const split = this.push(OP_SPLIT)
            this.a[split] = split + 1
            this.emit(item)
            jumps.push(this.push(OP_JMP))
            this.b[split] = this.op.length
          } else {
            this.emit(item)
          }
        })
        for (const j of jumps) this.a[j] = this.op.length
        return
      }
      case 'repeat': {
        if (n.max === Infinity) {
          if (n.min > 0) {
            for (let k = 0; k < n.min - 1; k++) this.emit(n.item)
            const body = this.op.length
            this.emit(n.item)
            const split = this.push(OP_SPLIT, body)
            this.b[split] = split + 1
          } else {
            const split = this.push(OP_SPLIT)
            this.a[split] = split + 1
            this.emit(n.item)
            this.push(OP_JMP, split)
            this.b[split] = this.op.length
          }
        } else {
          for (let k = 0; k < n.min; k++) this.emit(n.item)
          for (let k = n.min; k < n.max; k++) {
            const split = this.push(OP_SPLIT)
            this.a[split] = split + 1
            this.emit(n.item)
            this.b[split] = this.op.length
          }
        }
        return
      }
    }
  }
}

function startsAnchored(n: Node): boolean {
  if (n.t === 'assert') return n.kind === A_START
  if (n.t === 'cat') return n.items.length > 0 && startsAnchored(n.items[0] as Node)
  if (n.t === 'alt') return n.items.every(startsAnchored)
  if (n.t === 'repeat') return n.min > 0 && startsAnchored(n.item)
  return false
}

function compileProgram(pattern: string, ignoreCase: boolean): Program {
  const ast = new PatternParser(pattern).parse()
  const em = new Emitter(pattern, ignoreCase)
  em.emit(ast)
  em.push(OP_MATCH)
  return {
    op: Uint8Array.from(em.op),
    a: Int32Array.from(em.a),
    b: Int32Array.from(em.b),
    sets: em.sets,
    size: em.op.length,
    anchoredStart: startsAnchored(ast),
  }
}

/** Per-program scratch space, reused across calls (matching is synchronous). */
interface Scratch {
  clist: Int32Array
  nlist: Int32Array
  mark: Int32Array
  stack: Int32Array
}

class PikeRegex implements SafeRegex {
  private scratch: Scratch | undefined

  constructor(
    readonly source: string,
    readonly flags: string,
    private readonly prog: Program,
    private readonly ignoreCase: boolean,
  ) {}

  test(subject: string): boolean {
    const prog = this.prog
    const { op, a, b, sets } = prog
    const size = prog.size
    const s = this.scratch ?? {
      clist: new Int32Array(size),
      nlist: new Int32Array(size),
      mark: new Int32Array(size),
      stack: new Int32Array(size + 1),
    }
    this.scratch = undefined // a re-entrant call (there is none today) would allocate its own
    const { mark, stack } = s
    let clist = s.clist
    let nlist = s.nlist
    mark.fill(-1)
    const full = subject.length
    const n = Math.min(full, MAX_SUBJECT_LENGTH)
    const ignoreCase = this.ignoreCase
    let ccount = 0
    let ncount = 0
    let matched = false

    // Adds the epsilon closure of `pc` at position `pos` to `list`; returns the new length.
    const add = (list: Int32Array, count: number, pc0: number, pos: number): number => {
      let sp = 0
      stack[sp++] = pc0
      while (sp > 0) {
        const pc = stack[--sp] as number
        if (mark[pc] === pos) continue
        mark[pc] = pos
        switch (op[pc]) {
          case OP_JMP:
            stack[sp++] = a[pc] as number
            break
          case OP_SPLIT:
            stack[sp++] = b[pc] as number
            stack[sp++] = a[pc] as number
            break
          case OP_ASSERT: {
            let ok: boolean
            switch (a[pc]) {
              case A_START:
                ok = pos === 0
                break
              case A_END:
                ok = pos === full
                break
              default: {
                const before = pos > 0 && isWordChar(subject.charCodeAt(pos - 1))
                const after = pos < full && isWordChar(subject.charCodeAt(pos))
                ok = (before !== after) === (a[pc] === A_WORDB)
              }
            }
            if (ok) stack[sp++] = pc + 1
            break
          }
          case OP_MATCH:
            matched = true
            break
          default:
            list[count++] = pc
        }
      }
      return count
    }

    try {
      for (let pos = 0; pos <= n; pos++) {
        if (pos === 0 || !prog.anchoredStart) ccount = add(clist, ccount, 0, pos)
        if (matched) return true
        if (ccount === 0 && (prog.anchoredStart || pos === n)) return false
        if (pos === n) return false
        const c = subject.charCodeAt(pos)
        let cc = c
        let cl = c
        if (ignoreCase) {
          cc = canonicalize(c)
          cl = lowerVariant(c)
        }
        ncount = 0
        for (let k = 0; k < ccount; k++) {
          const pc = clist[k] as number
          let ok: boolean
          switch (op[pc]) {
            case OP_CHAR:
              ok = (ignoreCase ? cc : c) === a[pc]
              break
            case OP_ANY:
              ok = !isLineTerminator(c)
              break
            default: {
              const set = sets[a[pc] as number] as { ranges: number[]; negated: boolean }
              const hit = inRanges(set.ranges, c) || (ignoreCase && (inRanges(set.ranges, cc) || inRanges(set.ranges, cl)))
              ok = hit !== set.negated
            }
          }
          if (ok) ncount = add(nlist, ncount, pc + 1, pos + 1)
        }
        if (matched) return true
        const t = clist
        clist = nlist
        nlist = t
        ccount = ncount
      }
      return false
    } finally {
      s.clist = clist
      s.nlist = nlist
      this.scratch = s
    }
  }
}

/**
 * Compiles `pattern` (the text between the slashes) with `flags` ('' or 'i').
 * Throws SafeRegexError, with the column in the pattern, for anything unsupported or too large.
 */
export function compileSafeRegex(pattern: string, flags = ''): SafeRegex {
  for (let k = 0; k < flags.length; k++) {
    const f = flags[k] as string
    if (f !== 'i') throw new SafeRegexError(pattern, 1, `unsupported flag '${f}' (only 'i' is allowed)`)
    if (flags.indexOf(f) !== k) throw new SafeRegexError(pattern, 1, `flag '${f}' given twice`)
  }
  const ignoreCase = flags.includes('i')
  return new PikeRegex(pattern, flags, compileProgram(pattern, ignoreCase), ignoreCase)
}

/** The compiled size of a pattern in NFA states (for diagnostics and tests). */
export function safeRegexProgramSize(pattern: string, flags = ''): number {
  return compileProgram(pattern, flags.includes('i')).size
}

/** A small least-recently-used map (Map keeps insertion order; a hit re-inserts the key). */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>()

  constructor(readonly capacity: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key)
    if (v !== undefined) {
      this.map.delete(key)
      this.map.set(key, v)
    }
    return v
  }

  set(key: K, value: V): void {
    this.map.delete(key)
    this.map.set(key, value)
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next()
      if (!oldest.done) this.map.delete(oldest.value)
    }
  }

  get size(): number {
    return this.map.size
  }

  clear(): void {
    this.map.clear()
  }
}

const regexCache = new LruCache<string, SafeRegex>(500)

/** compileSafeRegex through a shared LRU of ~500 patterns, so the same filter on many nodes compiles once. */
export function cachedSafeRegex(pattern: string, flags = ''): SafeRegex {
  const key = `${flags}/${pattern}`
  let re = regexCache.get(key)
  if (re === undefined) {
    re = compileSafeRegex(pattern, flags)
    regexCache.set(key, re)
  }
  return re
}
