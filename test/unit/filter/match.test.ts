import { describe, expect, it, vi } from 'vitest'
import {
  compileCompound,
  compileFilter,
  emptyFilter,
  evaluateCompound,
  matchFilter,
  parseCompound,
  parseFactTerm,
  parseWithFilter,
} from '../../../src/filter/index.js'
import type { Filter, MatchContext, NodeInventory } from '../../../src/filter/index.js'

function node(identity: string, facts: NodeInventory['facts'], classes: string[] = [], agents: string[] = []): NodeInventory {
  return { identity, facts, classes: new Set(classes), agents: new Set(agents) }
}

const web1 = node(
  'web1.example.com',
  { os: 'linux', 'os.family': 'RedHat', memory: 8192, swap: '1024', load: '0.75', virtual: true, kernel: '5.15.0-91', name: 'Red Hat', version: '10.2' },
  ['apache', 'role::web', 'base'],
  ['package', 'service', 'rpcutil'],
)
const db1 = node('db1.example.com', { os: 'linux', 'os.family': 'Debian', memory: 2048, virtual: false, kernel: '4.19.0', version: '9.10' }, ['mysql', 'role::db', 'base'], ['package', 'rpcutil'])
const win1 = node('win1.example.com', { os: 'windows', memory: '16384' }, ['base'], ['rpcutil'])
const nodes = [web1, db1, win1]

function f(partial: Partial<Filter>): Filter {
  return { ...emptyFilter(), ...partial }
}

function who(filter: Filter, ctx?: MatchContext): string[] {
  const compiled = compileFilter(filter)
  return nodes.filter((n) => compiled.matches(n, ctx)).map((n) => n.identity.split('.')[0] as string)
}

function facts(...terms: string[]): Filter {
  return f({ fact: terms.map(parseFactTerm) })
}

function where(...compound: string[]): Filter {
  return f({ compound })
}

describe('matching: filter lists', () => {
  it('an empty filter matches every node', () => {
    expect(who(emptyFilter())).toEqual(['web1', 'db1', 'win1'])
  })

  it('all fact terms must hold', () => {
    expect(who(facts('os=linux'))).toEqual(['web1', 'db1'])
    expect(who(facts('os=linux', 'os.family=RedHat'))).toEqual(['web1'])
    expect(who(facts('os=linux', 'os.family=Suse'))).toEqual([])
  })

  it('a missing fact makes the term false, even with !=', () => {
    expect(who(facts('swap=1024'))).toEqual(['web1'])
    expect(who(facts('swap!=1024'))).toEqual([])
    expect(who(facts('swap!=/x/'))).toEqual(['web1'])
    expect(who(facts('swap!=/^1/'))).toEqual([])
    expect(who(facts('swap<99999'))).toEqual(['web1'])
    expect(who(facts('constructor=x'))).toEqual([])
    expect(who(facts('toString!=x'))).toEqual([])
  })

  it('compares numerically when both sides are numbers, else as strings', () => {
    expect(who(facts('memory>=4096'))).toEqual(['web1', 'win1']) // 8192 (number), '16384' (string)
    expect(who(facts('memory<4096'))).toEqual(['db1'])
    expect(who(facts('load>0.5'))).toEqual(['web1'])
    expect(who(facts('version>9.5'))).toEqual(['web1']) // numbers: 10.2 > 9.5, but 9.10 is 9.1
    expect(who(facts('version<9.5'))).toEqual(['db1'])
    expect(who(facts('kernel>5'))).toEqual(['web1']) // '5.15.0-91' is not a number: string comparison
    expect(who(facts('kernel<5'))).toEqual(['db1'])
    expect(who(facts('os>m'))).toEqual(['win1'])
    expect(who(facts('os<=linux'))).toEqual(['web1', 'db1'])
  })

  it('== and != compare as strings; numbers and booleans compare naturally', () => {
    expect(who(facts('memory=8192'))).toEqual(['web1'])
    expect(who(facts('memory=8192.0'))).toEqual(['web1'])
    expect(who(facts('memory!=8192'))).toEqual(['db1', 'win1'])
    expect(who(facts('virtual=true'))).toEqual(['web1'])
    expect(who(facts('virtual==false'))).toEqual(['db1'])
    expect(who(facts("name='Red Hat'"))).toEqual(['web1'])
    expect(who(facts('os=Linux'))).toEqual([])
  })

  it('regex fact terms, including the wire forms', () => {
    expect(who(facts('os=~/^win/'))).toEqual(['win1'])
    expect(who(facts('os=/LIN/i'))).toEqual(['web1', 'db1'])
    expect(who(facts('os!=/^win/'))).toEqual(['web1', 'db1'])
    expect(who(facts('kernel=~^5\\.'))).toEqual(['web1'])
    expect(who(f({ fact: [{ fact: 'os', operator: '==', value: '/^win/' }] }))).toEqual(['win1'])
    expect(who(f({ fact: [{ fact: 'os', operator: '=~', value: '^win' }] }))).toEqual(['win1'])
    expect(who(f({ fact: [{ fact: 'memory', operator: '=~', value: '^8' }] }))).toEqual(['web1'])
  })

  it('all classes and agents must hold; names and regexes', () => {
    expect(who(f({ class: ['base'] }))).toEqual(['web1', 'db1', 'win1'])
    expect(who(f({ class: ['base', 'apache'] }))).toEqual(['web1'])
    expect(who(f({ class: ['/^role::/'] }))).toEqual(['web1', 'db1'])
    expect(who(f({ class: ['/^ROLE::D/i'] }))).toEqual(['db1'])
    expect(who(f({ class: ['role'] }))).toEqual([])
    expect(who(f({ agent: ['package'] }))).toEqual(['web1', 'db1'])
    expect(who(f({ agent: ['package', 'service'] }))).toEqual(['web1'])
    expect(who(f({ agent: ['/^serv/'] }))).toEqual(['web1'])
  })

  it('identities are ORed', () => {
    expect(who(f({ identity: ['web1.example.com'] }))).toEqual(['web1'])
    expect(who(f({ identity: ['web1.example.com', 'win1.example.com'] }))).toEqual(['web1', 'win1'])
    expect(who(f({ identity: ['/^db/', 'win1.example.com'] }))).toEqual(['db1', 'win1'])
    expect(who(f({ identity: ['web1'] }))).toEqual([])
    expect(who(f({ identity: ['web1.example.com', 'db1.example.com'], class: ['mysql'] }))).toEqual(['db1'])
  })

  it('-W combines facts and classes', () => {
    expect(who(parseWithFilter('os=linux /^role::/ base'))).toEqual(['web1', 'db1'])
    expect(who(parseWithFilter('os=linux mysql'))).toEqual(['db1'])
  })
})

describe('matching: compound expressions', () => {
  it('evaluates and, or, not with precedence', () => {
    expect(who(where('os=linux and apache'))).toEqual(['web1'])
    expect(who(where('apache or mysql'))).toEqual(['web1', 'db1'])
    expect(who(where('not os=linux'))).toEqual(['win1'])
    expect(who(where('mysql or apache and os=windows'))).toEqual(['db1'])
    expect(who(where('(mysql or apache) and not virtual=true'))).toEqual(['db1'])
    expect(who(where('((customer=acme and environment=staging) or os=windows) and /^ba/'))).toEqual(['win1'])
  })

  it('all compound entries must hold, together with the other lists', () => {
    expect(who(where('os=linux', 'memory>4096'))).toEqual(['web1'])
    expect(who(f({ compound: ['base'], identity: ['/^w/'] }))).toEqual(['web1', 'win1'])
  })

  it('evaluates typed terms', () => {
    expect(who(where('identity:/^(web|win)/ and agent:rpcutil and not agent:service'))).toEqual(['win1'])
    expect(who(where('class:role::db or identity:win1.example.com'))).toEqual(['db1', 'win1'])
    expect(who(where('fact:os.family=Debian'))).toEqual(['db1'])
    expect(who(where('not swap=1024'))).toEqual(['db1', 'win1'])
  })

  it('asks dataLookup for data terms and is false without it', () => {
    const lookup = vi.fn((name: string, args: string[], field?: string) => {
      if (name === 'fstat' && args[0] === '/etc/hosts' && field === 'size') return 120
      if (name === 'sysctl' && field === 'value') return '1'
      return undefined
    })
    const ctx: MatchContext = { dataLookup: lookup }
    expect(who(where("fstat('/etc/hosts').size > 0"))).toEqual([])
    expect(who(where("fstat('/etc/hosts').size > 0"), ctx)).toEqual(['web1', 'db1', 'win1'])
    expect(lookup).toHaveBeenCalledWith('fstat', ['/etc/hosts'], 'size')
    expect(who(where("fstat('/etc/hosts').size > 200"), ctx)).toEqual([])
    expect(who(where("fstat('/missing').size > 0 or os=windows"), ctx)).toEqual(['win1'])
    expect(who(where("sysctl('net.ipv4.ip_forward').value=1 and apache"), ctx)).toEqual(['web1'])
    expect(who(where("not fstat('/etc/hosts').size > 0"))).toEqual(['web1', 'db1', 'win1'])
  })

  it('evaluateCompound works on a parsed expression', () => {
    expect(evaluateCompound(parseCompound('apache and memory>=8192'), web1)).toBe(true)
    expect(evaluateCompound(parseCompound('apache and memory>=8192'), db1)).toBe(false)
  })
})

describe('compiling and caching', () => {
  it('caches compound predicates and compiled filters by content', () => {
    expect(compileCompound('os=linux and apache')).toBe(compileCompound('os=linux and apache'))
    const a = compileFilter(facts('os=linux'))
    expect(compileFilter(facts('os=linux'))).toBe(a)
    expect(compileFilter(facts('os=windows'))).not.toBe(a)
  })

  it('does not see later changes to the filter it compiled', () => {
    const filter = facts('os=linux')
    const compiled = compileFilter(filter)
    filter.fact.push(parseFactTerm('os=windows'))
    expect(compiled.matches(web1)).toBe(true)
    expect(matchFilter(filter, web1)).toBe(false)
  })

  it('throws on malformed entries (validateFilter catches these first)', () => {
    expect(() => compileFilter(where('os=linux and ('))).toThrow(/column 15/)
    expect(() => compileFilter(f({ class: ['/(?=x)/'] }))).toThrow(/lookahead/)
  })

  it('evaluates one filter on 1,000 nodes', () => {
    const fleet = Array.from({ length: 1000 }, (_, i) =>
      node(
        `node${i}.example.com`,
        { os: i % 3 === 0 ? 'windows' : 'linux', memory: 1024 * (i % 16), kernel: `5.${i % 20}.0`, rack: `r${i % 40}` },
        i % 2 === 0 ? ['base', 'role::web'] : ['base', 'role::db'],
        ['rpcutil', 'package'],
      ),
    )
    const filter: Filter = {
      fact: [parseFactTerm('os=linux'), parseFactTerm('kernel=~/^5\\.1\\d/')],
      class: ['/^role::web$/'],
      identity: [],
      agent: ['package'],
      compound: ['memory >= 4096 and not rack=r7 or identity:/^node1\\d\\d\\./'],
    }
    // Each node gets its own copy, as it would after decoding a request.
    const matched = fleet.filter((n) => matchFilter(structuredClone(filter), n)).length
    const expected = fleet.filter((n, i) => {
      const linux = i % 3 !== 0
      const kernel = /^5\.1\d/.test(n.facts.kernel as string)
      const web = i % 2 === 0
      const compound = (1024 * (i % 16) >= 4096 && i % 40 !== 7) || /^node1\d\d\./.test(n.identity)
      return linux && kernel && web && compound
    }).length
    expect(matched).toBe(expected)
    expect(matched).toBeGreaterThan(0)
  })
})
