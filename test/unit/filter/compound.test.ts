import { describe, expect, it } from 'vitest'
import { FilterSyntaxError, formatCompound, formatFilterError, parseCompound } from '../../../src/filter/index.js'
import type { CompoundExpression } from '../../../src/filter/index.js'
import { isMcshError } from '../../../src/util/errors.js'

const cls = (value: string): CompoundExpression => ({ kind: 'class', name: { type: 'text', value } })
const fact = (name: string, operator: '==' | '!=' | '<' | '>' | '<=' | '>=', value: string): CompoundExpression => ({
  kind: 'fact',
  fact: name,
  operator,
  value: { type: 'text', value },
})
const re = (pattern: string, flags = '') => ({ type: 'regex' as const, pattern, flags })

function syntaxError(text: string): FilterSyntaxError {
  try {
    parseCompound(text)
  } catch (e) {
    if (e instanceof FilterSyntaxError) return e
    throw e
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`)
}

describe('parseCompound: terms', () => {
  it('parses fact comparisons with every operator, with or without spaces', () => {
    expect(parseCompound('os=linux')).toEqual(fact('os', '==', 'linux'))
    expect(parseCompound('os == linux')).toEqual(fact('os', '==', 'linux'))
    expect(parseCompound('os!=linux')).toEqual(fact('os', '!=', 'linux'))
    expect(parseCompound('memory < 4096')).toEqual(fact('memory', '<', '4096'))
    expect(parseCompound('memory>4096')).toEqual(fact('memory', '>', '4096'))
    expect(parseCompound('memory<=4096')).toEqual(fact('memory', '<=', '4096'))
    expect(parseCompound('memory >= 4096')).toEqual(fact('memory', '>=', '4096'))
    expect(parseCompound('load > -1.5')).toEqual(fact('load', '>', '-1.5'))
    expect(parseCompound('os.family=RedHat')).toEqual(fact('os.family', '==', 'RedHat'))
  })

  it('reads regex values: =/re/ and =~ are matches, !=/re/ is a non-match', () => {
    expect(parseCompound('kernel=/^5\\./')).toEqual({ kind: 'fact', fact: 'kernel', operator: '=~', value: re('^5\\.') })
    expect(parseCompound('os==/lin/i')).toEqual({ kind: 'fact', fact: 'os', operator: '=~', value: re('lin', 'i') })
    expect(parseCompound('os=~/lin/')).toEqual({ kind: 'fact', fact: 'os', operator: '=~', value: re('lin') })
    expect(parseCompound('os=~^lin')).toEqual({ kind: 'fact', fact: 'os', operator: '=~', value: re('^lin') })
    expect(parseCompound("os=~'^red hat'")).toEqual({ kind: 'fact', fact: 'os', operator: '=~', value: re('^red hat') })
    expect(parseCompound('os!=/win/')).toEqual({ kind: 'fact', fact: 'os', operator: '!=', value: re('win') })
    expect(parseCompound('path=/a\\/b[/]c/')).toEqual({ kind: 'fact', fact: 'path', operator: '=~', value: re('a\\/b[/]c') })
  })

  it('reads quoted values with escapes', () => {
    expect(parseCompound("os='Red Hat'")).toEqual(fact('os', '==', 'Red Hat'))
    expect(parseCompound('os="Red Hat"')).toEqual(fact('os', '==', 'Red Hat'))
    expect(parseCompound("motd='it\\'s \"ok\"'")).toEqual(fact('motd', '==', 'it\'s "ok"'))
    expect(parseCompound("p='a\\\\b\\d'")).toEqual(fact('p', '==', 'a\\b\\d'))
    expect(parseCompound("v='and'")).toEqual(fact('v', '==', 'and'))
    expect(parseCompound("v='/x/'")).toEqual(fact('v', '==', '/x/'))
    expect(parseCompound('v=and')).toEqual(fact('v', '==', 'and'))
  })

  it('reads a bare word or /re/ as a class', () => {
    expect(parseCompound('apache')).toEqual(cls('apache'))
    expect(parseCompound('role::web')).toEqual(cls('role::web'))
    expect(parseCompound('/^role::/i')).toEqual({ kind: 'class', name: re('^role::', 'i') })
  })

  it('reads typed terms', () => {
    expect(parseCompound('class:apache::mod')).toEqual(cls('apache::mod'))
    expect(parseCompound('class:and')).toEqual(cls('and'))
    expect(parseCompound('identity:web1.example.com')).toEqual({ kind: 'identity', name: { type: 'text', value: 'web1.example.com' } })
    expect(parseCompound('identity:/^web\\d+/')).toEqual({ kind: 'identity', name: re('^web\\d+') })
    expect(parseCompound('agent:package')).toEqual({ kind: 'agent', name: { type: 'text', value: 'package' } })
    expect(parseCompound('agent:/^pup/')).toEqual({ kind: 'agent', name: re('^pup') })
    expect(parseCompound('fact:os=linux')).toEqual(fact('os', '==', 'linux'))
    expect(parseCompound('fact:not != 1')).toEqual(fact('not', '!=', '1'))
  })

  it('reads data plugin calls with optional fields', () => {
    expect(parseCompound("fstat('/etc/hosts').size > 0")).toEqual({
      kind: 'data',
      name: 'fstat',
      args: ['/etc/hosts'],
      field: 'size',
      operator: '>',
      value: { type: 'text', value: '0' },
    })
    expect(parseCompound('sysctl("net.ipv4.ip_forward").value=1')).toMatchObject({ kind: 'data', name: 'sysctl', args: ['net.ipv4.ip_forward'], field: 'value', operator: '==' })
    expect(parseCompound('uptime()>=100')).toEqual({ kind: 'data', name: 'uptime', args: [], operator: '>=', value: { type: 'text', value: '100' } })
    expect(parseCompound("f(a, 'b c', 3, /etc/x).md5=/^4edf/")).toEqual({
      kind: 'data',
      name: 'f',
      args: ['a', 'b c', '3', '/etc/x'],
      field: 'md5',
      operator: '=~',
      value: re('^4edf'),
    })
  })
})

describe('parseCompound: operators and precedence', () => {
  it('binds not tighter than and, and tighter than or', () => {
    expect(parseCompound('a or b and not c')).toEqual({
      kind: 'or',
      terms: [cls('a'), { kind: 'and', terms: [cls('b'), { kind: 'not', term: cls('c') }] }],
    })
    expect(parseCompound('not a and b')).toEqual({ kind: 'and', terms: [{ kind: 'not', term: cls('a') }, cls('b')] })
  })

  it('honours parentheses', () => {
    expect(parseCompound('(a or b) and c')).toEqual({ kind: 'and', terms: [{ kind: 'or', terms: [cls('a'), cls('b')] }, cls('c')] })
    expect(parseCompound('not (a or b)')).toEqual({ kind: 'not', term: { kind: 'or', terms: [cls('a'), cls('b')] } })
    expect(parseCompound('((a))')).toEqual(cls('a'))
  })

  it('accepts &&, ||, ! and keywords in any case', () => {
    expect(parseCompound('a && b || !c')).toEqual(parseCompound('a and b or not c'))
    expect(parseCompound('a AND b Or NOT c')).toEqual(parseCompound('a and b or not c'))
    expect(parseCompound('!(os=linux)')).toEqual({ kind: 'not', term: fact('os', '==', 'linux') })
    expect(parseCompound('not(os=linux)and(x=1)')).toEqual({ kind: 'and', terms: [{ kind: 'not', term: fact('os', '==', 'linux') }, fact('x', '==', '1')] })
  })

  it('parses the MCollective documentation examples', () => {
    expect(parseCompound('((customer=acme and environment=staging) or environment=development) and /apache/')).toEqual({
      kind: 'and',
      terms: [
        {
          kind: 'or',
          terms: [{ kind: 'and', terms: [fact('customer', '==', 'acme'), fact('environment', '==', 'staging')] }, fact('environment', '==', 'development')],
        },
        { kind: 'class', name: re('apache') },
      ],
    })
    expect(parseCompound("sysctl('net.ipv4.conf.all.forwarding').value=1 and location=dc1")).toMatchObject({ kind: 'and' })
  })

  it('round-trips through formatCompound', () => {
    const sources = [
      "os=linux and (role=web or role=db) and not class:and and memory>=4096 and name='Red Hat'",
      "fstat('/etc/hosts').size>0 or identity:/^web/i or agent:package",
      'kernel=~/^5\\./ and path=/a\\/b/ and x!=/y/ and not not apache',
      'fact:or=1 and v=\'it\\\'s\' and w="a\\\\b"',
    ]
    for (const src of sources) {
      const ast = parseCompound(src)
      expect(parseCompound(formatCompound(ast))).toEqual(ast)
    }
    expect(formatCompound(parseCompound('a or b and (c or d)'))).toBe('a or b and (c or d)')
  })
})

describe('parseCompound: errors name the column and what was expected', () => {
  const cases: Array<[string, number, string, string]> = [
    ['os=linux and (', 15, "a fact, class or '('", 'end of input'],
    ['os=linux role=web', 10, "'and'/'or' or end of input", "'role'"],
    ['apache web', 8, "an operator or 'and'/'or'", "'web'"],
    ['(os=linux', 10, "')'", 'end of input'],
    ['(os=linux x=1)', 11, "'and'/'or' or ')'", "'x'"],
    ['(apache web)', 9, "an operator, 'and'/'or' or ')'", "'web'"],
    ['memory >=', 10, "a value after '>='", 'end of input'],
    ['memory >= )', 11, "a value after '>='", "')'"],
    ['and os=linux', 1, "a fact, class or '('", "'and'"],
    ['os=linux or', 12, "a fact, class or '('", 'end of input'],
    ['', 1, "a fact, class or '('", 'end of input'],
    ["os='linux", 4, "a closing ' for the string starting here", 'end of input'],
    ['os=/lin', 4, "a closing '/' for the regex starting here", 'end of input'],
    ['os=/lin/g', 9, "the regex flag 'i' or nothing", "'g'"],
    ['mem>/4/', 5, "a number or string after '>' (a regex only goes with =, ==, =~ or !=)", 'the regex /4/'],
    ['a & b', 3, "'&&' or 'and'", "'&'"],
    ['a ~ b', 3, "'=~' (a regex match)", "'~'"],
    ["fstat('/x')", 12, "'.field' or an operator after the data call", 'end of input'],
    ["fstat('/x').", 13, "a field name after '.'", 'end of input'],
    ["fstat('/x' '/y')", 12, "',' or ')'", "the string '/y'"],
    ['fstat(()', 7, 'an argument (a quoted string, word or number)', "'('"],
    ['class:', 7, "a class name or /regex/ after 'class:'", 'end of input'],
    ['identity:=x', 10, "an identity name or /regex/ after 'identity:'", "'='"],
    ['fact:os', 8, 'an operator after the fact name', 'end of input'],
    ['a.b(1)=2', 1, 'a data plugin name (letters, digits and _)', "'a.b'"],
    ['x=1 and ()', 10, "a fact, class or '('", "')'"],
  ]
  for (const [text, column, expected, found] of cases) {
    it(`${JSON.stringify(text)} at column ${column}`, () => {
      const e = syntaxError(text)
      expect({ column: e.column, expected: e.expected, found: e.found }).toEqual({ column, expected, found })
      expect(e.source).toBe(text)
      expect(e.message).toBe(`bad filter "${text}" at column ${column}: expected ${expected} but found ${found}`)
      expect(isMcshError(e, 'MCSH_FILTER_SYNTAX')).toBe(true)
    })
  }

  it('maps regex errors to the column inside the filter', () => {
    const e = syntaxError('os=linux and kernel=/^5(?=\\.)/')
    expect(e.column).toBe(24)
    expect(e.message).toBe('bad filter "os=linux and kernel=/^5(?=\\.)/" at column 24: bad regex: lookahead \'(?=\' is not supported')
    expect(syntaxError("os=~'^(a'").column).toBe(7)
    expect(syntaxError('os=~^(a)').expected).toBe("a value after '=~' (quote values that contain parentheses)")
    expect(syntaxError('identity:/(a)\\1/').column).toBe(14)
  })

  it('bounds nesting', () => {
    expect(parseCompound(`${'('.repeat(100)}a${')'.repeat(100)}`)).toEqual(cls('a'))
    const e = syntaxError(`${'('.repeat(101)}a${')'.repeat(101)}`)
    expect(e.column).toBe(101)
    expect(e.expected).toMatch(/at most 100/)
    expect(syntaxError(`${'not '.repeat(101)}a`).expected).toMatch(/at most 100/)
  })

  it('formatFilterError shows the line and a caret under the column', () => {
    expect(formatFilterError(syntaxError('os=linux and ('))).toBe('os=linux and (\n              ^')
    expect(formatFilterError(syntaxError('apache web'))).toBe('apache web\n       ^')
    expect(formatFilterError(syntaxError('a and\n\tb c'))).toBe('\tb c\n\t  ^')
  })
})
