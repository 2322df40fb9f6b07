import { describe, expect, it } from 'vitest'
import { NAMED_VALIDATOR_NAMES, checkValidation, describeValidation, parseDdl, passesValidation, validateInputs } from '../../../src/ddl/index.js'
import type { ActionDdl } from '../../../src/ddl/index.js'

const CASES: Record<string, { good: string[]; bad: string[] }> = {
  shellsafe: {
    good: ['ls -la /tmp', 'a "quoted" word', "it's fine", 'x=1'],
    bad: ['a`b`', '$HOME', 'a;b', 'a|b', 'a&b', 'a && b', 'a>b', 'a<b', 'line\nbreak', 'cr\rhere'],
  },
  ipv4address: { good: ['127.0.0.1', '10.1.2.3', '255.255.255.255'], bad: ['256.1.1.1', '1.2.3', '::1', 'localhost', ' 1.2.3.4'] },
  ipv6address: { good: ['::1', 'fe80::1', '2001:db8::8a2e:370:7334'], bad: ['127.0.0.1', 'fe80:::1', 'g::1'] },
  ipaddress: { good: ['127.0.0.1', '::1'], bad: ['example.com', '1.2.3.256'] },
  hostname: {
    good: ['web1', 'db-02.example.com', 'example.com.', 'A1'],
    bad: ['', '-web', 'web-', 'under_score', 'a..b', 'a'.repeat(64), 'spaces here'],
  },
  fqdn: { good: ['db-02.example.com', 'example.com.', 'x.y'], bad: ['web1', '1.2.3.4', 'a_b.com', '.com'] },
  port: { good: ['1', '80', '65535'], bad: ['0', '65536', '-1', '80a', '', '1.5', '000000080'] },
  identity: { good: ['web1.example.com', 'node_01', 'a-b'], bad: ['has space', 'semi;colon', '', 'a/b'] },
  path: { good: ['/', '/etc/mcsh/server.cfg', '/with space/x'], bad: ['relative/path', '', '/nul\0byte', '~/x'] },
}

describe('named validators', () => {
  it('covers exactly the documented set', () => {
    expect([...NAMED_VALIDATOR_NAMES].sort()).toEqual(Object.keys(CASES).sort())
  })

  for (const [name, { good, bad }] of Object.entries(CASES)) {
    it(`${name} accepts good values and rejects bad ones`, () => {
      expect(checkValidation(name)).toBeUndefined()
      for (const value of good) expect(passesValidation(name, value), `${name} should accept ${JSON.stringify(value)}`).toBe(true)
      for (const value of bad) expect(passesValidation(name, value), `${name} should reject ${JSON.stringify(value)}`).toBe(false)
    })
  }

  it('describes what is expected', () => {
    expect(describeValidation('ipv4address')).toBe('be an IPv4 address')
    expect(describeValidation('^a+$')).toBe('match /^a+$/')
  })

  it('are used by input validation with readable messages', () => {
    const inputs = Object.fromEntries(Object.keys(CASES).map((name) => [name, { description: name, type: 'string', optional: true, validation: name }]))
    const ddl = parseDdl(
      { metadata: { name: 'v', description: 'v', author: 'v', version: '1', license: 'MIT', timeout: 1 }, actions: { check: { description: 'c', inputs } } },
      '<inline>',
    )
    const action = ddl.actions.check as ActionDdl
    expect(() => validateInputs(action, { port: '0' })).toThrow(`input 'port' must be a port number (1-65535) but was "0"`)
    expect(() => validateInputs(action, { shellsafe: 'rm -rf /; echo' })).toThrow(/^input 'shellsafe' must be shell safe/)
    expect(() => validateInputs(action, { fqdn: 'web1' })).toThrow(`input 'fqdn' must be a fully qualified domain name but was "web1"`)
    expect(validateInputs(action, { ipaddress: '::1', path: '/tmp' })).toEqual({ ipaddress: '::1', path: '/tmp' })
  })
})

describe('regular expression validations', () => {
  it('use anchors as written', () => {
    expect(passesValidation('^ab$', 'ab')).toBe(true)
    expect(passesValidation('^ab$', 'xaby')).toBe(false)
    expect(passesValidation('ab', 'xaby')).toBe(true)
  })

  it('are stateless between calls', () => {
    for (let i = 0; i < 3; i++) expect(passesValidation('\\d', 'a1')).toBe(true)
  })

  it('report an invalid source', () => {
    expect(checkValidation('(')).toMatch(/^invalid regular expression \/\(\//)
    expect(checkValidation('')).toBe('expected a named validator or a regular expression but found ""')
  })
})
