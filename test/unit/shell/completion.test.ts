import { describe, expect, it } from 'vitest'
import { complete, type CompletionSources } from '../../../src/shell/completion/complete.js'
import { rankCandidates } from '../../../src/shell/completion/rank.js'

const ddl: Record<string, Record<string, Array<{ name: string; type: string; list?: unknown[] }>>> = {
  rpcutil: { ping: [], get_fact: [{ name: 'fact', type: 'string' }], get_facts: [{ name: 'facts', type: 'string' }], inventory: [] },
  service: { status: [{ name: 'service', type: 'string' }], start: [{ name: 'service', type: 'string' }], restart: [{ name: 'service', type: 'string' }, { name: 'force', type: 'boolean' }] },
  package: { install: [{ name: 'package', type: 'string' }, { name: 'ensure', type: 'list', list: ['present', 'latest', 'absent'] }] },
}

const sources: CompletionSources = {
  commands: () => ['discover', 'facts', 'filter', 'help', 'inventory', 'last', 'nodes', 'ping', 'record', 'rpc', 'scope', 'set', 'source', 'unfilter', 'use'],
  options: (c) => (c === 'rpc' ? ['--limit', '--batch', '-F', '--fact', '--json'] : ['--json']),
  agents: async () => Object.keys(ddl).sort(),
  actions: async (a) => Object.keys(ddl[a] ?? {}).sort(),
  inputs: async (a, b) => ddl[a]?.[b] ?? [],
  factNames: async () => ['os.family', 'os.release', 'role', 'datacenter'],
  factValues: async (f) => (f === 'os.family' ? ['debian', 'redhat', 'suse'] : f === 'role' ? ['web', 'db'] : []),
  classes: async () => ['apache', 'nginx', 'role::web'],
  identities: async () => ['web001.ams1.example.net', 'web002.lon1.example.net', 'db001.fra1.example.net'],
  collectives: () => ['mcollective', 'ams1'],
  settings: () => ({ timeout: undefined, output: ['text', 'json', 'jsonl', 'csv', 'yaml', 'default'], errexit: ['on', 'off'] }),
  scopeTermCount: () => 2,
  lastNodes: () => ['web001.ams1.example.net'],
  files: async (p) => ['scripts/', 'session.mcsh'].filter((f) => f.startsWith(p)),
}

const c = (line: string) => complete(line, sources)

describe('rankCandidates', () => {
  it('puts exact and prefix matches first and uses fuzzy matches only without them', () => {
    expect(rankCandidates('st', ['restart', 'status', 'start', 'stop'])).toEqual(['status', 'start', 'stop'])
    expect(rankCandidates('srv', ['rpcutil', 'service', 'package'])).toEqual(['service'])
    expect(rankCandidates('STA', ['status'])).toEqual(['status'])
    expect(rankCandidates('', ['b', 'a', 'b'])).toEqual(['b', 'a'])
    expect(rankCandidates('zzz', ['service'])).toEqual([])
  })
})

describe('complete', () => {
  it('completes commands and agents at the start of a line', async () => {
    expect(await c('fil')).toEqual({ candidates: ['filter '], fragment: 'fil' })
    expect((await c('serv')).candidates).toEqual(['service '])
    expect((await c('')).candidates).toContain('rpc ')
  })

  it('completes agents, actions and inputs of rpc, and the short form', async () => {
    expect(await c('rpc rpcu')).toEqual({ candidates: ['rpcutil '], fragment: 'rpcu' })
    expect((await c('rpc rpcutil get_f')).candidates).toEqual(['get_fact ', 'get_facts '])
    expect(await c('rpc service status ')).toEqual({ candidates: ['service='], fragment: '' })
    expect((await c('service restart service=nginx ')).candidates).toEqual(['force='])
    expect((await c('rpc service restart force=')).candidates).toEqual(['force=true ', 'force=false '])
    expect((await c('rpc package install ensure=la')).candidates).toEqual(['ensure=latest '])
    expect((await c('rpc rpcutil get_fact fact=os.f')).candidates).toEqual(['fact=os.family '])
  })

  it('rewrites a fuzzy agent together with its action: rpc srv sta → rpc service status', async () => {
    expect(await c('rpc srv stat')).toEqual({ candidates: ['service status '], fragment: 'srv stat' })
    expect((await c('rpc srv sta')).candidates).toEqual(['service start ', 'service status '])
  })

  it('completes filter kinds, fact names with =, fact values, classes and identities', async () => {
    expect((await c('filter ')).candidates).toEqual(['fact ', 'class ', 'identity ', 'agent ', 'where ', 'with ', 'reset '])
    expect(await c('filter fact os.fa')).toEqual({ candidates: ['os.family='], fragment: 'os.fa' })
    expect(await c('filter fact os.family=de')).toEqual({ candidates: ['os.family=debian '], fragment: 'os.family=de' })
    expect((await c('filter fact role!=')).candidates).toEqual(['role!=web ', 'role!=db '])
    expect((await c('filter class ngi')).candidates).toEqual(['nginx '])
    expect((await c('filter identity web')).candidates).toEqual(['web001.ams1.example.net ', 'web002.lon1.example.net '])
  })

  it('completes option values and option names', async () => {
    expect((await c('rpc rpcutil ping -F ro')).candidates).toEqual(['role='])
    expect((await c('ping -C apa')).candidates).toEqual(['apache '])
    expect((await c('rpc rpcutil ping --li')).candidates).toEqual(['--limit '])
  })

  it('completes settings, collectives, scope terms, nodes and files', async () => {
    expect((await c('set out')).candidates).toEqual(['output '])
    expect((await c('set output js')).candidates).toEqual(['json ', 'jsonl '])
    expect((await c('use am')).candidates).toEqual(['ams1 '])
    expect((await c('unfilter ')).candidates).toEqual(['1 ', '2 ', 'all '])
    expect((await c('inventory db')).candidates).toEqual(['db001.fra1.example.net '])
    expect((await c('source s')).candidates).toEqual(['scripts/', 'session.mcsh '])
    expect((await c('rpc rpcutil ping > se')).candidates).toEqual(['session.mcsh '])
    expect((await c('record start ')).candidates).toEqual(['scripts/', 'session.mcsh '])
  })

  it('offers nothing after a pipe and completes only the last command of a ; list', async () => {
    expect((await c('rpc rpcutil ping | jq')).candidates).toEqual([])
    expect((await c('ping; rpc rpcu')).candidates).toEqual(['rpcutil '])
  })
})
