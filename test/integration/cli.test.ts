import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { simulateHosts } from '../../src/daemon/simulator.js'
import { embeddedBroker, type TestBroker } from '../helpers/brokers.js'
import { startTestFleet, writeClientConfig, type TestFleet } from '../helpers/fleet.js'
import { mcshBin, mcshdBin, repoRoot, run, start, waitFor } from '../helpers/spawn.js'

const NODES = 8
let broker: TestBroker
let t: TestFleet
let dir: string
let common: string[]
let env: Record<string, string>

beforeAll(async () => {
  broker = await embeddedBroker()
  t = await startTestFleet({ brokerUrl: broker.url, nodes: NODES, seed: 11 })
  dir = mkdtempSync(join(tmpdir(), 'mcsh-cli-'))
  const config = writeClientConfig(dir, t.config)
  common = ['--config', config, '--broker', broker.url]
  env = {}
})

afterAll(async () => {
  await t?.stop()
  await broker?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const hosts = simulateHosts(NODES, 11)

describe('mcsh one-shot CLI', () => {
  it('runs ; separated commands and prints one JSON document per command', async () => {
    const r = await run(mcshBin, [...common, '--json', '-c', 'ping; rpc rpcutil get_fact fact=role; discover'], { env })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const docs = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(docs).toHaveLength(3)
    expect(docs[0].replies).toHaveLength(NODES)
    const rpc = docs[1]
    expect(Object.keys(rpc)).toEqual(expect.arrayContaining(['request_id', 'agent', 'action', 'replies', 'no_response', 'stats']))
    expect(rpc.stats).toMatchObject({ discovered: NODES, responded: NODES, ok: NODES, failed: 0 })
    // The ping just before discovered the same scope: the RPC reuses that node set.
    expect(rpc.stats.discovery_ms).toBe(0)
    expect(rpc.stats.total_ms).toBeGreaterThan(0)
    for (const reply of rpc.replies) {
      expect(Object.keys(reply).sort()).toEqual(['data', 'sender', 'statuscode', 'statusmsg'])
      expect(reply.data.value).toBe(hosts.find((h) => h.identity === reply.sender)!.facts.role)
    }
    expect(docs[2]).toMatchObject({ nodes: hosts.map((h) => h.identity).sort(), stats: { discovered: NODES } })
  })

  it('renders a table with the DDL columns, the summary and the totals', async () => {
    const r = await run(mcshBin, [...common, '-o', 'text', '-F', 'role=web', 'rpc', 'rpcutil', 'get_fact', 'fact=os.family'], { env })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Node\s+Fact\s+Value/m)
    expect(r.stdout).toMatch(/Value \(summary\):/)
    expect(r.stdout).toMatch(/\d+ ok, 0 failed, 0 no response of \d+ discovered in/)
  })

  it('exits 1 and lists the nodes that did not answer', async () => {
    const nodes = join(dir, 'nodes.txt')
    writeFileSync(nodes, `# two real, one not\n${hosts[0]!.identity}\n${hosts[1]!.identity}\nghost.example.net\n`)
    const r = await run(mcshBin, [...common, '-o', 'text', '--nodes', nodes, '--timeout', '1', '-c', 'rpc rpcutil ping'], { env })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/2 ok, 0 failed, 1 no response of 3 discovered/)
    expect(r.stdout).toMatch(/no response from:\n\s+ghost\.example\.net/)
  })

  it('exits 1 when a node fails, showing its status message', async () => {
    const r = await run(mcshBin, [...common, '-o', 'text', '-I', hosts[0]!.identity, '-c', 'testagent explode'], { env })
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/Unknown Error: action testagent#explode failed: boom/)
  })

  it('exits 4 when nothing matches', async () => {
    const r = await run(mcshBin, [...common, '-o', 'text', '-F', 'role=nonexistent', '--discovery-timeout', '0.5', '-c', 'rpc rpcutil ping'], { env })
    expect(r.code).toBe(4)
    expect(r.stdout).toMatch(/no nodes matched/)
  })

  it('exits 2 with the column of a bad filter, and on bad inputs, before sending anything', async () => {
    const bad = await run(mcshBin, [...common, '-S', 'role=web and (os=linux', '-c', 'ping'], { env })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/at column 23: expected '\)'/)
    const input = await run(mcshBin, [...common, '-c', 'rpc rpcutil get_fact fact="a b"'], { env })
    expect(input.code).toBe(2)
    expect(input.stderr).toMatch(/input 'fact' must match/)
    const option = await run(mcshBin, [...common, '-c', 'rpc rpcutil ping --limt 3'], { env })
    expect(option.code).toBe(2)
    expect(option.stderr).toMatch(/unknown option --limt .*did you mean --limit/)
  })

  it('exits 3 naming the brokers it tried when none answers', async () => {
    const r = await run(mcshBin, ['--broker', 'stomp://127.0.0.1:9,stomp://127.0.0.1:10', '-c', 'ping'], { env: { ...env, MCSH_SECURITY: 'psk', MCSH_PSK: 'x' } })
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/tried stomp:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\), stomp:\/\/127\.0\.0\.1:10 \(ECONNREFUSED\)/)
  })

  it('prints JSON by default when stdout is not a terminal', async () => {
    const r = await run(mcshBin, [...common, 'rpc', 'rpcutil', 'ping'], { env })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).stats.ok).toBe(NODES)
  })

  it('reads commands from stdin when it is not a terminal', async () => {
    const r = await run(mcshBin, [...common, '--json'], { env, input: 'discover\nrpc rpcutil ping\n' })
    expect(r.code).toBe(0)
    const docs = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(docs.map((d) => d.stats.discovered)).toEqual([NODES, NODES])
  })

  it('takes identities from stdin with --nodes -', async () => {
    const r = await run(mcshBin, [...common, '--nodes', '-', '--json', '-c', 'rpc rpcutil ping'], { env, input: `${hosts[2]!.identity}\n${hosts[3]!.identity}\n` })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).replies.map((x: { sender: string }) => x.sender).sort()).toEqual([hosts[2]!.identity, hosts[3]!.identity].sort())
  })
})

describe('the library', () => {
  it("serves scripts: examples/library/fleet-report.mjs imports 'mcsh' and reports the fleet", async () => {
    const config = join(dir, 'client.json5')
    const r = await run(join(repoRoot, 'examples', 'library', 'fleet-report.mjs'), ['--config', config, '--broker', broker.url])
    expect(r.code).toBe(0)
    const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'))
    expect(rows.reduce((sum, row) => sum + Number(row[2]), 0)).toBe(NODES)
    expect(r.stderr).toMatch(new RegExp(`${NODES} ok, 0 failed, 0 no response of ${NODES}`))
  })
})

describe('mcshd', () => {
  it('runs one node from a JSON5 config with facts and classes files, and stops on SIGTERM', async () => {
    const facts = join(dir, 'facts.yaml')
    writeFileSync(facts, 'role: builder\nlocation:\n  rack: r12\n')
    const classes = join(dir, 'classes.txt')
    writeFileSync(classes, '# puppet classes\nbase\nrole::builder\n')
    const config = join(dir, 'server.json5')
    writeFileSync(
      config,
      `{ identity: 'builder1.test', collectives: ${JSON.stringify(t.config.collectives)}, broker: { urls: '${broker.url}' },
         security: { plugin: 'psk', psk: '${t.config.security.psk}' }, facts: { files: ['${facts}'], static: { tier: 'gold' } },
         classesFile: '${classes}', logLevel: 'info' }`,
    )
    const daemon = start(mcshdBin, ['--config', config])
    try {
      await waitFor(() => /ready/.test(daemon.output()), 10_000, 'mcshd to be ready')
      const r = await run(mcshBin, [...common, '-F', 'location.rack=r12', '-C', 'role::builder', '--json', '-c', 'rpc rpcutil get_facts facts=role,tier,os'], { env })
      expect(r.code).toBe(0)
      const doc = JSON.parse(r.stdout)
      expect(doc.replies).toHaveLength(1)
      expect(doc.replies[0]).toMatchObject({ sender: 'builder1.test', statuscode: 0, data: { values: { role: 'builder', tier: 'gold', os: 'linux' } } })
    } finally {
      expect(await daemon.stop()).toBe(0)
    }
  })

  it('refuses a config file with an unknown key, suggesting the right one', async () => {
    const config = join(dir, 'bad.json5')
    writeFileSync(config, `{ collectivs: ['x'] }`)
    const r = await run(mcshdBin, ['--config', config])
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/unknown key 'collectivs' \(did you mean 'collectives'\?\)/)
  })
})

describe('without credentials', () => {
  it('says which certificate is missing and how to make one', async () => {
    const home = join(dir, 'empty-home')
    const r = await run(mcshBin, ['--broker', broker.url, '-c', 'ping'], { env: { ...env, MCSH_HOME: home } })
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(new RegExp(`cannot read the certificate file ${home}/ssl/[\\w.-]+\\.pem for security plugin ssl: .*Create one with 'mcsh pki init' and 'mcsh pki issue'`))
  })
})

describe('mcsh demo', () => {
  it('starts a broker and 50 simulated nodes, runs the commands and cleans up', async () => {
    const r = await run(mcshBin, ['demo', '--json', '-c', 'rpc rpcutil get_fact fact=os.family'], { timeoutMs: 30_000 })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).stats).toMatchObject({ discovered: 50, ok: 50 })
  }, 40_000)
})
