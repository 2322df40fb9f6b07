import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { simulateHosts } from '../../src/daemon/simulator.js'
import { embeddedBroker, type TestBroker } from '../helpers/brokers.js'
import { startTestFleet, writeClientConfig, type TestFleet } from '../helpers/fleet.js'
import { PtyShell, ptyAvailable } from '../helpers/pty.js'
import { mcshBin, run } from '../helpers/spawn.js'

const pty = ptyAvailable()
if (!pty.ok) console.log(`skipping the shell end-to-end tests: ${pty.reason}`)

const NODES = 10
const SEED = 5
const hosts = simulateHosts(NODES, SEED)

describe.skipIf(!pty.ok)('the mcsh shell in a terminal', () => {
  let broker: TestBroker
  let t: TestFleet
  let dir: string
  let args: string[]
  let env: Record<string, string>
  const shells: PtyShell[] = []

  beforeAll(async () => {
    broker = await embeddedBroker()
    t = await startTestFleet({ brokerUrl: broker.url, nodes: NODES, seed: SEED })
    dir = mkdtempSync(join(tmpdir(), 'mcsh-e2e-'))
    const config = writeClientConfig(dir, t.config)
    args = ['--config', config, '--broker', broker.url]
    env = { MCSH_HISTORY: join(dir, 'history') }
  })

  afterEach(async () => {
    for (const s of shells.splice(0)) await s.close()
  })

  afterAll(async () => {
    await t?.stop()
    await broker?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  async function shell(): Promise<PtyShell> {
    const s = PtyShell.start(args, { env })
    shells.push(s)
    await s.waitFor(new RegExp(`${t.config.collectives[0]} ${NODES} nodes > $`))
    s.mark()
    return s
  }

  const debian = hosts.filter((h) => h.facts['os.family'] === 'debian').length

  it('narrows the scope with a Tab-completed filter and shows it in the prompt', async () => {
    const s = await shell()
    s.type('filter fact os.fam\t')
    await s.waitFor('filter fact os.family=')
    s.type('debi\t')
    await s.waitFor('filter fact os.family=debian ')
    s.type('\r')
    await s.waitFor(new RegExp(`\\[os\\.family=debian\\] ${debian} nodes > $`))
    expect(s.recent).toMatch(/1\. os\.family=debian/)
  })

  it('refuses a bad filter with its column and keeps the scope', async () => {
    const s = await shell()
    s.type('filter where "role=web and ("\r')
    const out = await s.waitFor(new RegExp(`${NODES} nodes > $`))
    expect(out).toMatch(/bad filter "role=web and \(" at column 15: expected a fact, class or '\(' but found end of input/)
    expect(out).toMatch(/\n\s+role=web and \(\n\s+\^/)
    expect(out).not.toMatch(/\[/)
  })

  it('completes agents and actions, fuzzily, and renders a table with a summary', async () => {
    const s = await shell()
    s.type('rpc rpcu\t')
    await s.waitFor('rpc rpcutil ')
    s.type('get_fa\t')
    await s.waitFor('rpc rpcutil get_fact')
    s.type('\t')
    await s.waitFor(/get_fact\s+get_facts/)
    s.mark()
    // Fuzzy: 'rputl' is rpcutil, 'gefat' narrows to get_fact(s): both words are rewritten.
    s.type('\x15rpc rputl gefat\t')
    await s.waitFor('rpc rpcutil get_fact')
    s.type(' fact=rol\t')
    await s.waitFor('fact=role ')
    s.type('\r')
    const out = await s.waitFor(new RegExp(`${NODES} ok, 0 failed, 0 no response of ${NODES} discovered in`))
    expect(out).toMatch(/Node\s+Fact\s+Value/)
    expect(out).toMatch(/Value \(summary\):/)
    for (const h of hosts) expect(out).toContain(h.identity)
  })

  it('stops waiting on Ctrl-C, keeps the shell, and ignores Ctrl-C at an empty prompt', async () => {
    const s = await shell()
    s.type('slow sleep ms=20000\r')
    await s.waitFor(/replies|discovering/, 5000).catch(() => undefined)
    await new Promise((r) => setTimeout(r, 300))
    s.type('\x03')
    const out = await s.waitFor(/cancelled/)
    expect(out).toMatch(/stopping the wait/)
    await s.waitFor(new RegExp(`${NODES} nodes > $`))
    s.mark()
    s.type('\x03')
    await s.waitFor(/\^C\n.*> $/)
    s.type('ping\r')
    await s.waitFor(`${NODES} replies`)
  })

  it('pipes a result as JSON to a shell command', async () => {
    const s = await shell()
    s.type(`rpc rpcutil get_fact fact=role | grep -o '"sender"' | wc -l\r`)
    const out = await s.waitFor(new RegExp(`\\n\\s*${NODES}\\n`))
    expect(out).not.toMatch(/Node\s+Fact/)
  })

  it('writes a result to a file with > and finds an old command with Ctrl-R', async () => {
    const s = await shell()
    const file = join(dir, 'roles.csv')
    s.type(`rpc rpcutil get_fact fact=datacenter > ${file}\r`)
    await s.waitFor(`wrote csv to ${file}`)
    expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('sender,statuscode,statusmsg,fact,value')
    s.type('ping\r')
    await s.waitFor(`${NODES} replies`)
    s.mark()
    s.type('\x12fact=data')
    await s.waitFor(/\(reverse-i-search\)'fact=data': rpc rpcutil get_fact fact=datacenter > /)
    s.type('\x1b')
    s.type('\x15help\r')
    await s.waitFor('Commands:')
  })

  it('records a session that replays, for real and as a dry run', async () => {
    const file = join(dir, 'session.mcsh')
    const s = await shell()
    s.type(`record start ${file}\r`)
    await s.waitFor('recording to')
    s.type('filter fact role=web\r')
    await s.waitFor(/role=web\] \d+ nodes/)
    s.type('rpc rpcutil get_fact fact=os.family\r')
    await s.waitFor(/\d+ ok, 0 failed/)
    s.type('record stop\r')
    await s.waitFor('recording stopped')
    expect(await s.close()).toBe(0)
    const script = readFileSync(file, 'utf8')
    expect(script).toMatch(/^use t_\w+\nfilter reset\n/m)
    expect(script).toMatch(/^filter fact role=web$/m)
    expect(script).toMatch(/^rpc rpcutil get_fact fact=os.family\n# → \d+ ok, 0 failed, 0 no response of \d+ discovered/m)

    const webs = hosts.filter((h) => h.facts.role === 'web').map((h) => h.identity).sort()
    const replay = await run(mcshBin, [...args, file], { env })
    expect(replay.code).toBe(0)
    const docs = replay.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(docs.at(-1).replies.map((r: { sender: string }) => r.sender)).toEqual(webs)

    const dry = await run(mcshBin, [...args, '-o', 'text', '--dry-run', file], { env })
    expect(dry.code).toBe(0)
    expect(dry.stdout).toMatch(new RegExp(`dry run: would call rpcutil get_fact fact=os.family on ${webs.length} nodes`))
  })

  it('leaves on Ctrl-D with status 0 and remembers the history', async () => {
    const s = await shell()
    s.type('nodes\r')
    await s.waitFor(`${NODES} nodes, discovered`)
    expect(await s.close()).toBe(0)
    expect(existsSync(env.MCSH_HISTORY!)).toBe(true)
    expect(readFileSync(env.MCSH_HISTORY!, 'utf8')).toMatch(/^nodes$/m)
  })
})
