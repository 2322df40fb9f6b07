import { describe, expect, it } from 'vitest'
import {
  cachedSafeRegex,
  compileSafeRegex,
  LruCache,
  MAX_PROGRAM_STATES,
  MAX_SUBJECT_LENGTH,
  SafeRegexError,
  safeRegexProgramSize,
} from '../../../src/filter/safe-regex.js'
import { isMcshError } from '../../../src/util/errors.js'
import { pick, seededRandom } from '../../../src/util/random.js'

function t(pattern: string, subject: string, flags = ''): boolean {
  return compileSafeRegex(pattern, flags).test(subject)
}

function errorOf(pattern: string, flags = ''): SafeRegexError {
  try {
    compileSafeRegex(pattern, flags)
  } catch (e) {
    if (e instanceof SafeRegexError) return e
    throw e
  }
  throw new Error(`expected /${pattern}/ to be rejected`)
}

describe('safe regex: supported syntax', () => {
  it('searches unanchored by default and honours ^ and $', () => {
    expect(t('lin', 'redhat-linux')).toBe(true)
    expect(t('^lin', 'redhat-linux')).toBe(false)
    expect(t('^red', 'redhat-linux')).toBe(true)
    expect(t('ux$', 'redhat-linux')).toBe(true)
    expect(t('^$', '')).toBe(true)
    expect(t('^a$', 'ab')).toBe(false)
  })

  it('handles dot, classes, negated classes and escapes', () => {
    expect(t('^a.c$', 'abc')).toBe(true)
    expect(t('^a.c$', 'a\nc')).toBe(false)
    expect(t('^[a-z0-9_-]+$', 'web-01_x')).toBe(true)
    expect(t('^[a-z0-9_-]+$', 'Web')).toBe(false)
    expect(t('^[^0-9]+$', 'abc')).toBe(true)
    expect(t('^[^0-9]+$', 'ab1')).toBe(false)
    expect(t('^\\d+\\.\\d+$', '5.15')).toBe(true)
    expect(t('^\\D\\W\\S$', 'a-b')).toBe(true)
    expect(t('^\\w+\\s\\w+$', 'red hat')).toBe(true)
    expect(t('\\/etc\\/hosts', '/etc/hosts')).toBe(true)
    expect(t('a\\\\b', 'a\\b')).toBe(true)
    expect(t('\\t\\n', 'x\t\ny')).toBe(true)
    expect(t('\\x41\\u0042', 'AB')).toBe(true)
    expect(t('[\\d.]+', 'v1.2')).toBe(true)
    expect(t('[\\]]', ']')).toBe(true)
    expect(t('[]', 'anything')).toBe(false)
    expect(t('[^]', 'x')).toBe(true)
  })

  it('handles groups, alternation and quantifiers', () => {
    expect(t('^(web|db)-\\d+$', 'db-12')).toBe(true)
    expect(t('^(?:web|db)-\\d+$', 'app-1')).toBe(false)
    expect(t('^(?<role>web)$', 'web')).toBe(true)
    expect(t('^ab*c$', 'ac')).toBe(true)
    expect(t('^ab+c$', 'ac')).toBe(false)
    expect(t('^ab?c$', 'abbc')).toBe(false)
    expect(t('^a{3}$', 'aaa')).toBe(true)
    expect(t('^a{3}$', 'aaaa')).toBe(false)
    expect(t('^a{2,}$', 'aaaaa')).toBe(true)
    expect(t('^a{2,}$', 'a')).toBe(false)
    expect(t('^a{2,3}$', 'aaa')).toBe(true)
    expect(t('^a{2,3}$', 'aaaa')).toBe(false)
    expect(t('^a{0}b$', 'b')).toBe(true)
    expect(t('^a+?b*?c??$', 'aab')).toBe(true)
    expect(t('^x{,2}$', 'x{,2}')).toBe(true) // not a quantifier: literal, as in JavaScript
    expect(t('\\bweb\\b', 'a web server')).toBe(true)
    expect(t('\\bweb\\b', 'webserver')).toBe(false)
    expect(t('web\\B', 'webserver')).toBe(true)
  })

  it('supports the i flag', () => {
    expect(t('^LINUX$', 'linux', 'i')).toBe(true)
    expect(t('^[a-c]+$', 'ABC', 'i')).toBe(true)
    expect(t('^[^a-c]$', 'B', 'i')).toBe(false)
    expect(t('^LINUX$', 'linux')).toBe(false)
  })
})

describe('safe regex: rejected constructs', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['(a)\\1', 4, /backreferences/],
    ['x(?=y)', 2, /lookahead '\(\?='/],
    ['x(?!y)', 2, /negative lookahead/],
    ['(?<=y)x', 1, /lookbehind '\(\?<='/],
    ['(?<!y)x', 1, /negative lookbehind/],
    ['ab\\k<n>', 3, /named backreferences/],
    ['a**', 3, /nothing to repeat/],
    ['*a', 1, /nothing to repeat/],
    ['^*', 2, /nothing to repeat/],
    ['(ab', 1, /unterminated group/],
    ['ab)', 3, /unmatched '\)'/],
    ['[ab', 1, /unterminated character class/],
    ['[z-a]', 2, /range out of order/],
    ['a{3,2}', 2, /numbers out of order/],
    ['a{1001}', 2, /above 1000/],
    ['a{1,99999999999}', 2, /above 1000/],
    ['a{99999999999,}', 2, /above 1000/],
    ['{2}', 1, /nothing to repeat/],
    ['\\p{L}', 1, /unicode property/],
    ['\\q', 1, /unknown escape/],
    ['ab\\', 3, /at end of pattern/],
    ['(?x)', 1, /unsupported group syntax/],
  ]
  for (const [pattern, column, reason] of cases) {
    it(`/${pattern}/ fails at column ${column}`, () => {
      const e = errorOf(pattern)
      expect(e.column).toBe(column)
      expect(e.reason).toMatch(reason)
      expect(e.message).toContain(`at column ${column}`)
      expect(isMcshError(e, 'MCSH_BAD_REGEX')).toBe(true)
    })
  }

  it('rejects flags other than i', () => {
    expect(errorOf('a', 'g').reason).toMatch(/only 'i'/)
    expect(errorOf('a', 'ii').reason).toMatch(/twice/)
  })

  it('bounds the compiled program', () => {
    expect(safeRegexProgramSize('a{1000}')).toBeLessThanOrEqual(MAX_PROGRAM_STATES)
    const e = errorOf('(a{1000}){20}')
    expect(e.reason).toMatch(/more than 10000 states/)
    expect(() => compileSafeRegex('((a|b){100}){100}')).toThrow(SafeRegexError)
  })
})

describe('safe regex: linear time', () => {
  it('does not hang on catastrophic patterns', () => {
    const subject = `${'a'.repeat(30_000)}!`
    expect(t('(a+)+$', subject)).toBe(false)
    expect(t('(a|aa)+$', subject)).toBe(false)
    expect(t('(a*)*b', subject)).toBe(false)
    expect(t('^(\\w+\\s?)*$', `${'word '.repeat(800)}!`)).toBe(false)
  })

  it('answers correctly within the searched prefix', () => {
    expect(t('(a+)+$', `${'a'.repeat(4000)}!`)).toBe(false)
    expect(t('(a+)+$', 'a'.repeat(4000))).toBe(true)
  })

  it(`searches only the first ${MAX_SUBJECT_LENGTH} characters, and $ does not match at the cut`, () => {
    const long = `${'x'.repeat(MAX_SUBJECT_LENGTH)}needle`
    expect(t('needle', long)).toBe(false)
    expect(t('x$', 'x'.repeat(MAX_SUBJECT_LENGTH + 10))).toBe(false)
    expect(t('^x+', 'x'.repeat(MAX_SUBJECT_LENGTH + 10))).toBe(true)
  })
})

describe('safe regex: agrees with JavaScript RegExp', () => {
  const rnd = seededRandom(20240611)
  const alphabet = ['a', 'b', 'c', 'A', 'B', '1', ' ', '-']

  function atom(depth: number): string {
    const r = rnd()
    if (depth < 3 && r < 0.15) return `(${alt(depth + 1)})`
    if (depth < 3 && r < 0.22) return `(?:${alt(depth + 1)})`
    if (r < 0.3) return '.'
    if (r < 0.4) return pick(rnd, ['[ab]', '[^a]', '[a-c]', '[A-Z1]', '[-a]', '[\\d\\s]'])
    if (r < 0.48) return pick(rnd, ['\\d', '\\w', '\\s', '\\W', '\\D', '\\S'])
    return pick(rnd, ['a', 'b', 'c', 'a', 'b', 'A', '1', '\\-', ' '])
  }

  function quantified(depth: number): string {
    const r = rnd()
    if (r < 0.05) return pick(rnd, ['^', '$', '\\b', '\\B'])
    const a = atom(depth)
    const q = rnd()
    const lazy = rnd() < 0.2 ? '?' : ''
    if (q < 0.15) return `${a}*${lazy}`
    if (q < 0.27) return `${a}+${lazy}`
    if (q < 0.37) return `${a}?${lazy}`
    if (q < 0.45) {
      const m = Math.floor(rnd() * 3)
      const form = pick(rnd, [`{${m}}`, `{${m},}`, `{${m},${m + Math.floor(rnd() * 3)}}`])
      return `${a}${form}${lazy}`
    }
    return a
  }

  function seq(depth: number): string {
    const n = 1 + Math.floor(rnd() * 4)
    let s = ''
    for (let k = 0; k < n; k++) s += quantified(depth)
    return s
  }

  function alt(depth: number): string {
    return rnd() < 0.25 ? `${seq(depth)}|${seq(depth)}` : seq(depth)
  }

  function subject(): string {
    const n = Math.floor(rnd() * 10)
    let s = ''
    for (let k = 0; k < n; k++) s += pick(rnd, alphabet)
    return s
  }

  it('on a few hundred generated patterns and subjects', () => {
    let compared = 0
    for (let k = 0; k < 400; k++) {
      const pattern = alt(0)
      const flags = rnd() < 0.3 ? 'i' : ''
      const ours = compileSafeRegex(pattern, flags)
      const theirs = new RegExp(pattern, flags)
      for (let j = 0; j < 8; j++) {
        const s = subject()
        const expected = theirs.test(s)
        if (ours.test(s) !== expected) {
          throw new Error(`/${pattern}/${flags} on ${JSON.stringify(s)}: expected ${expected}`)
        }
        compared++
      }
    }
    expect(compared).toBe(3200)
  })
})

describe('caches', () => {
  it('LruCache evicts the least recently used entry', () => {
    const c = new LruCache<string, number>(2)
    c.set('a', 1)
    c.set('b', 2)
    expect(c.get('a')).toBe(1)
    c.set('c', 3)
    expect(c.get('b')).toBeUndefined()
    expect(c.get('a')).toBe(1)
    expect(c.size).toBe(2)
  })

  it('cachedSafeRegex returns the same compiled regex for the same source', () => {
    expect(cachedSafeRegex('^web', 'i')).toBe(cachedSafeRegex('^web', 'i'))
    expect(cachedSafeRegex('^web', '')).not.toBe(cachedSafeRegex('^web', 'i'))
  })
})
