import { describe, expect, it } from 'vitest'
import {
  addFilterTerm,
  combineFilters,
  describeFilter,
  emptyFilter,
  filterIsEmpty,
  FilterSyntaxError,
  parseAgentTerm,
  parseClassTerm,
  parseFactTerm,
  parseIdentityTerm,
  parseWithFilter,
  summarizeFilter,
  validateFilter,
} from '../../../src/filter/index.js'
import type { Filter } from '../../../src/filter/index.js'
import { isMcshError } from '../../../src/util/errors.js'

function syntaxError(f: () => unknown): FilterSyntaxError {
  try {
    f()
  } catch (e) {
    if (e instanceof FilterSyntaxError) return e
    throw e
  }
  throw new Error('expected a FilterSyntaxError')
}

function badFilter(input: unknown): string {
  try {
    validateFilter(input)
  } catch (e) {
    if (isMcshError(e, 'MCSH_BAD_FILTER')) return e.message
    throw e
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`)
}

describe('parseFactTerm', () => {
  it('parses every operator', () => {
    expect(parseFactTerm('os=linux')).toEqual({ fact: 'os', operator: '==', value: 'linux' })
    expect(parseFactTerm('os==linux')).toEqual({ fact: 'os', operator: '==', value: 'linux' })
    expect(parseFactTerm('os!=linux')).toEqual({ fact: 'os', operator: '!=', value: 'linux' })
    expect(parseFactTerm('memory<4096')).toEqual({ fact: 'memory', operator: '<', value: '4096' })
    expect(parseFactTerm('memory>4096')).toEqual({ fact: 'memory', operator: '>', value: '4096' })
    expect(parseFactTerm('memory<=4096')).toEqual({ fact: 'memory', operator: '<=', value: '4096' })
    expect(parseFactTerm('memory>=4096')).toEqual({ fact: 'memory', operator: '>=', value: '4096' })
    expect(parseFactTerm('memory=>4096')).toEqual({ fact: 'memory', operator: '>=', value: '4096' })
    expect(parseFactTerm('memory=<4096')).toEqual({ fact: 'memory', operator: '<=', value: '4096' })
    expect(parseFactTerm('os=~/lin/')).toEqual({ fact: 'os', operator: '=~', value: '/lin/' })
  })

  it('stores regexes as =~ with a /re/ value', () => {
    expect(parseFactTerm('kernel=/^5\\./')).toEqual({ fact: 'kernel', operator: '=~', value: '/^5\\./' })
    expect(parseFactTerm('kernel==/^5\\./i')).toEqual({ fact: 'kernel', operator: '=~', value: '/^5\\./i' })
    expect(parseFactTerm('country=~^d')).toEqual({ fact: 'country', operator: '=~', value: '/^d/' })
    expect(parseFactTerm('os=~/lin/i')).toEqual({ fact: 'os', operator: '=~', value: '/lin/i' })
    expect(parseFactTerm('os!=/win/')).toEqual({ fact: 'os', operator: '!=', value: '/win/' })
  })

  it('allows spaces around the operator and in values, and strips quotes', () => {
    expect(parseFactTerm('  os.family  ==  RedHat  ')).toEqual({ fact: 'os.family', operator: '==', value: 'RedHat' })
    expect(parseFactTerm('os.name=Red Hat')).toEqual({ fact: 'os.name', operator: '==', value: 'Red Hat' })
    expect(parseFactTerm("os.name='Red Hat'")).toEqual({ fact: 'os.name', operator: '==', value: 'Red Hat' })
    expect(parseFactTerm('path=/usr/lib')).toEqual({ fact: 'path', operator: '==', value: '/usr/lib' })
  })

  const errors: Array<[string, number, string]> = [
    ['os', 3, 'an operator (=, ==, !=, <, >, <=, >=, =~) after the fact name'],
    ['os linux', 4, 'an operator (=, ==, !=, <, >, <=, >=, =~) after the fact name'],
    ['=linux', 1, 'a fact name'],
    ['', 1, 'a fact name'],
    ['os=', 4, "a value after '='"],
    ['memory >= ', 11, "a value after '>='"],
    ['os=~/(?=x)/', 6, 'a supported regular expression'],
    ['os=/a(/', 6, 'a supported regular expression'],
    ['os=~/lin/g', 10, "the regex flag 'i' or nothing"],
    ["os='linux", 4, "a closing ' for the string starting here"],
    ["os='/x/'", 4, 'a value that does not look like /regex/ (a fact filter would read it as a regex; use a compound filter to compare with it literally)'],
  ]
  for (const [text, column, expected] of errors) {
    it(`rejects ${JSON.stringify(text)} at column ${column}`, () => {
      const e = syntaxError(() => parseFactTerm(text))
      expect({ column: e.column, expected: e.expected }).toEqual({ column, expected })
    })
  }
})

describe('parseClassTerm, parseIdentityTerm, parseAgentTerm', () => {
  it('accept a name or a /regex/ with an optional i flag', () => {
    expect(parseClassTerm('apache::mod')).toBe('apache::mod')
    expect(parseClassTerm(' /^role::/i ')).toBe('/^role::/i')
    expect(parseIdentityTerm('web1.example.com')).toBe('web1.example.com')
    expect(parseIdentityTerm('/^web\\d+$/')).toBe('/^web\\d+$/')
    expect(parseAgentTerm('package')).toBe('package')
  })

  it('reject empty names, spaces, bad regexes and flags', () => {
    expect(syntaxError(() => parseClassTerm('')).expected).toBe('a class name or /regex/')
    expect(syntaxError(() => parseIdentityTerm('  ')).expected).toBe('an identity name or /regex/')
    const space = syntaxError(() => parseAgentTerm('pack age'))
    expect([space.column, space.expected]).toEqual([5, 'a single agent name without spaces'])
    const flag = syntaxError(() => parseClassTerm('/web/g'))
    expect([flag.column, flag.expected]).toEqual([6, "the regex flag 'i' or nothing"])
    expect(syntaxError(() => parseClassTerm('/web')).expected).toBe("a regex closed by '/'")
    expect(syntaxError(() => parseClassTerm('//')).expected).toBe('a regex pattern between the slashes')
    const lookbehind = syntaxError(() => parseIdentityTerm('/(?<=a)b/'))
    expect([lookbehind.column, lookbehind.found]).toEqual([2, "lookbehind '(?<=' is not supported"])
  })
})

describe('parseWithFilter', () => {
  it('splits facts and classes', () => {
    expect(parseWithFilter('country=de apache /^role::web/ memory>=4096')).toEqual({
      ...emptyFilter(),
      fact: [
        { fact: 'country', operator: '==', value: 'de' },
        { fact: 'memory', operator: '>=', value: '4096' },
      ],
      class: ['apache', '/^role::web/'],
    })
    expect(parseWithFilter('/a=b/').class).toEqual(['/a=b/'])
  })

  it('reports columns within the whole text', () => {
    const e = syntaxError(() => parseWithFilter('apache os= role'))
    expect([e.column, e.expected]).toEqual([11, "a value after '='"])
    expect(syntaxError(() => parseWithFilter('  ')).expected).toBe('a fact or class term')
  })
})

describe('combineFilters, filterIsEmpty, addFilterTerm', () => {
  it('concatenates every list and drops exact duplicates', () => {
    const a: Filter = { ...emptyFilter(), fact: [{ fact: 'os', operator: '==', value: 'linux' }], identity: ['a'], class: ['apache'] }
    const b: Filter = { ...emptyFilter(), fact: [{ fact: 'os', operator: '==', value: 'linux' }], identity: ['b'], agent: ['package'], compound: ['x=1'] }
    expect(combineFilters(a, b)).toEqual({
      fact: [{ fact: 'os', operator: '==', value: 'linux' }],
      class: ['apache'],
      identity: ['a', 'b'],
      agent: ['package'],
      compound: ['x=1'],
    })
  })

  it('filterIsEmpty', () => {
    expect(filterIsEmpty(emptyFilter())).toBe(true)
    expect(filterIsEmpty({ ...emptyFilter(), compound: ['a'] })).toBe(false)
  })

  it('addFilterTerm parses by kind and leaves the input alone', () => {
    const base = emptyFilter()
    let f = addFilterTerm(base, 'fact', 'os=linux')
    f = addFilterTerm(f, 'class', 'apache')
    f = addFilterTerm(f, 'identity', '/^web/')
    f = addFilterTerm(f, 'agent', 'package')
    f = addFilterTerm(f, 'where', ' role=web or role=db ')
    f = addFilterTerm(f, 'with', 'country=de /mysql/')
    expect(f).toEqual({
      fact: [
        { fact: 'os', operator: '==', value: 'linux' },
        { fact: 'country', operator: '==', value: 'de' },
      ],
      class: ['apache', '/mysql/'],
      identity: ['/^web/'],
      agent: ['package'],
      compound: ['role=web or role=db'],
    })
    expect(filterIsEmpty(base)).toBe(true)
    expect(() => addFilterTerm(base, 'where', 'role=')).toThrow(FilterSyntaxError)
  })
})

describe('describeFilter', () => {
  it('gives short labels', () => {
    const f: Filter = {
      fact: [
        { fact: 'os', operator: '==', value: 'linux' },
        { fact: 'memory', operator: '>=', value: '4096' },
        { fact: 'kernel', operator: '=~', value: '/^5/' },
      ],
      class: ['apache'],
      identity: ['/^web/'],
      agent: ['package'],
      compound: [' os=linux and role=web '],
    }
    expect(describeFilter(f)).toEqual(['os=linux', 'memory>=4096', 'kernel=~/^5/', 'class:apache', 'identity:/^web/', 'agent:package', 'where:(os=linux and role=web)'])
    expect(summarizeFilter(emptyFilter())).toBe('all nodes')
    expect(summarizeFilter({ ...emptyFilter(), class: ['a'], agent: ['b'] })).toBe('class:a agent:b')
  })
})

describe('validateFilter', () => {
  it('accepts good filters, fills missing lists and returns a copy', () => {
    const input = {
      fact: [{ fact: 'os', operator: '=~', value: '/lin/i', extra: 1 }],
      class: ['apache', '/^role::/'],
      identity: ['web1'],
      agent: ['package'],
      compound: ["fstat('/etc/hosts').size > 0 and os=linux"],
    }
    const f = validateFilter(input)
    expect(f).toEqual({ ...input, fact: [{ fact: 'os', operator: '=~', value: '/lin/i' }] })
    expect(f.class).not.toBe(input.class)
    expect(validateFilter({})).toEqual(emptyFilter())
    expect(validateFilter({ fact: [{ fact: 'country', operator: '=~', value: '^d' }] }).fact).toHaveLength(1)
  })

  const cases: Array<[string, unknown, string]> = [
    ['null', null, 'bad filter: a filter must be an object (got null)'],
    ['an array', [], 'bad filter: a filter must be an object (got an array)'],
    ['a string', 'os=linux', 'bad filter: a filter must be an object (got a string)'],
    ['unknown keys', { cf_class: [] }, 'bad filter: unknown filter key "cf_class" (expected fact, class, identity, agent, compound)'],
    ['a non-array list', { class: 'apache' }, 'bad filter: filter.class must be an array (got a string)'],
    ['a non-object fact', { fact: ['os=linux'] }, 'bad filter: filter.fact[0] must be an object with fact, operator and value (got a string)'],
    ['a bad operator', { fact: [{ fact: 'os', operator: '~=', value: 'x' }] }, 'bad filter: filter.fact[0].operator must be one of ==, !=, <, >, <=, >=, =~ (got "~=")'],
    ['a missing operator', { fact: [{ fact: 'os', value: 'x' }] }, 'bad filter: filter.fact[0].operator must be one of ==, !=, <, >, <=, >=, =~ (got nothing)'],
    ['an empty fact name', { fact: [{ fact: '', operator: '==', value: 'x' }] }, 'bad filter: filter.fact[0].fact must be a non-empty name without spaces (got "")'],
    ['a non-string value', { fact: [{ fact: 'os', operator: '==', value: 4 }] }, 'bad filter: filter.fact[0].value must be a string (got a number)'],
    ['a lookahead', { fact: [{ fact: 'os', operator: '=~', value: '/(?=a)/' }] }, "bad filter: filter.fact[0] has a bad regex /(?=a)/: lookahead '(?=' is not supported (column 1)"],
    ['a backreference in ==', { fact: [{ fact: 'os', operator: '==', value: '/(a)\\1/' }] }, "bad filter: filter.fact[0] has a bad regex /(a)\\1/: backreferences ('\\1') are not supported (column 4)"],
    ['a non-string class', { class: [3] }, 'bad filter: filter.class[0] must be a string (got a number)'],
    ['an empty identity', { identity: [''] }, 'bad filter: filter.identity[0] is empty'],
    ['a spaced agent', { agent: ['a b'] }, 'bad filter: filter.agent[0] contains whitespace: "a b"'],
    ['a bad regex flag', { class: ['/a/g'] }, 'bad filter: filter.class[0] starts with \'/\' but is not /regex/ or /regex/i: "/a/g"'],
    ['a broken compound', { compound: ['os=linux and ('] }, 'bad filter: filter.compound[0]: bad filter "os=linux and (" at column 15: expected a fact, class or \'(\' but found end of input'],
    ['a non-string compound', { compound: [{}] }, 'bad filter: filter.compound[0] must be a string (got an object)'],
  ]
  for (const [what, input, message] of cases) {
    it(`rejects ${what}`, () => {
      expect(badFilter(input)).toBe(message)
    })
  }

  it('bounds sizes', () => {
    expect(badFilter({ class: Array.from({ length: 65 }, (_, i) => `c${i}`) })).toBe('bad filter: filter.class has 65 entries (at most 64)')
    expect(validateFilter({ class: Array.from({ length: 64 }, (_, i) => `c${i}`) }).class).toHaveLength(64)
    expect(badFilter({ compound: [`a=${'x'.repeat(1023)}`] })).toBe('bad filter: filter.compound[0] is 1025 characters long (at most 1024)')
    expect(badFilter({ identity: [`/${'a'.repeat(257)}/`] })).toBe('bad filter: filter.identity[0] has a regex of 257 characters (at most 256)')
    expect(validateFilter({ identity: [`/${'a'.repeat(256)}/`] }).identity).toHaveLength(1)
    expect(badFilter({ fact: [{ fact: 'os', operator: '=~', value: 'a'.repeat(300) }] })).toBe('bad filter: filter.fact[0] has a regex of 300 characters (at most 256)')
    expect(badFilter({ compound: [`os=/${'a'.repeat(300)}/`] })).toBe('bad filter: filter.compound[0] has a regex of 300 characters (at most 256)')
    expect(badFilter({ fact: [{ fact: 'os', operator: '==', value: 'v'.repeat(1025) }] })).toBe('bad filter: filter.fact[0].value is 1025 characters long (at most 1024)')
    expect(badFilter({ fact: [{ fact: 'os', operator: '=~', value: '/a{1000}{1000}/' }] })).toMatch(/nothing to repeat/)
    expect(badFilter({ fact: [{ fact: 'os', operator: '=~', value: '/(a{1000}){20}/' }] })).toMatch(/more than 10000 states/)
  })
})
