import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { defaultCommands } from '../../src/commands/registry.js'
import { ExitCode } from '../../src/commands/result.js'
import { Session } from '../../src/commands/session.js'
import { simulateHosts } from '../../src/daemon/simulator.js'
import { Executor } from '../../src/shell/executor.js'
import { silentLogger } from '../../src/util/logger.js'
import { embeddedBroker, type TestBroker } from '../helpers/brokers.js'
import { startTestFleet, type TestFleet } from '../helpers/fleet.js'
import { memoryTerminal } from '../helpers/memory-terminal.js'

const NODES = 12
const SEED = 21
const hosts = simulateHosts(NODES, SEED)
let broker: TestBroker
let t: TestFleet
let dir: string
let session: Session
let term: ReturnType<typeof memoryTerminal>
let ex: Executor

beforeAll(async () => {
  broker = await embeddedBroker()
  t = await startTestFleet({ brokerUrl: broker.url, nodes: NODES, seed: SEED })
  dir = mkdtempSync(join(tmpdir(), 'mcsh-session-'))
})
afterAll(async () => {
  await session?.close()
  await t?.stop()
  await broker?.stop()
  rmSync(dir, { recursive: true, force: true })
})
beforeEach(async () => {
  await session?.close()
  session = new Session({ config: t.config, logger: silentLogger })
  term = memoryTerminal()
  ex = new Executor(session, defaultCommands(), term)
})

const out = () => term.stdout.join('\n')
const err = () => term.stderr.join('\n')
const count = (f: (h: (typeof hosts)[number]) => boolean) => hosts.filter(f).length

describe('the scope', () => {
  it('narrows with filter, widens with unfilter, and saves and restores with scope push/pop', async () => {
    expect(await ex.runLine('filter fact os.family=debian')).toBe(ExitCode.OK)
    const debian = count((h) => h.facts['os.family'] === 'debian')
    expect(out()).toMatch(new RegExp(`1\\. os\\.family=debian\\n${debian} nodes`))
    expect(session.scopeNodeSet()?.nodes).toHaveLength(debian)
    await ex.runLine('scope push')
    await ex.runLine('filter class base; filter where "role=web or role=db"')
    const both = count((h) => h.facts['os.family'] === 'debian' && ['web', 'db'].includes(String(h.facts.role)))
    expect(session.scopeNodeSet()?.nodes).toHaveLength(both)
    term.clear()
    await ex.runLine('filter')
    expect(out()).toMatch(/1\. os\.family=debian\n\s+2\. class:base\n\s+3\. where:\(role=web or role=db\)/)
    await ex.runLine('unfilter 3')
    expect(session.scopeTerms.map((x) => x.text)).toEqual(['os.family=debian', 'base'])
    await ex.runLine('scope pop')
    expect(session.scopeTerms.map((x) => x.text)).toEqual(['os.family=debian'])
    expect(session.scopeNodeSet()?.nodes).toHaveLength(debian)
    await ex.runLine('filter reset')
    expect(session.scopeNodeSet()?.nodes).toHaveLength(NODES)
  })

  it('keeps the scope unchanged when a filter is bad, and says where', async () => {
    await ex.runLine('filter fact role=web')
    expect(await ex.runLine('filter fact memory.total_mb>=')).toBe(ExitCode.Usage)
    expect(err()).toMatch(/at column 18: expected a value after '>='/)
    expect(await ex.runLine('filter identity /web(?=1)/')).toBe(ExitCode.Usage)
    expect(err()).toMatch(/lookahead '\(\?=' is not supported/)
    expect(await ex.runLine('unfilter 5')).toBe(ExitCode.Usage)
    expect(err()).toMatch(/no scope term 5: give 1 to 1/)
    expect(session.scopeTerms).toEqual([{ kind: 'fact', text: 'role=web' }])
  })

  it('applies the scope to RPCs and re-discovers a stale node set, saying so', async () => {
    await ex.runLine('filter fact role=web')
    term.clear()
    await ex.runLine('set node-set-max-age 0; rpc rpcutil ping')
    expect(err()).toMatch(/the node set is \d+ s old \(over set node-set-max-age\): discovering again/)
    const webs = count((h) => h.facts.role === 'web')
    expect(out()).toMatch(new RegExp(`${webs} ok, 0 failed, 0 no response of ${webs} discovered`))
  })
})

describe('commands', () => {
  it('set lists and changes settings, refusing bad values', async () => {
    await ex.runLine('set')
    expect(out()).toMatch(/^timeout\s+default$/m)
    await ex.runLine('set batch 3; set limit 50% random; set output jsonl')
    expect(session.settings).toMatchObject({ batchSize: 3, limit: { percent: 50, method: 'random' }, output: 'jsonl' })
    expect(await ex.runLine('set batch none-sense')).toBe(ExitCode.Usage)
    expect(await ex.runLine('set outptu json')).toBe(ExitCode.Usage)
    expect(err()).toMatch(/unknown setting 'outptu' \(did you mean 'output'\?\)/)
  })

  it('facts shows the spread of a fact with counts', async () => {
    await ex.runLine('facts datacenter')
    const text = out()
    for (const dc of new Set(hosts.map((h) => String(h.facts.datacenter)))) {
      expect(text).toMatch(new RegExp(`${dc}\\s+${count((h) => h.facts.datacenter === dc)}\\s+█+`))
    }
    expect(text).toMatch(new RegExp(`${NODES} of ${NODES} nodes answered`))
  })

  it('inventory shows one node', async () => {
    const h = hosts[3]!
    await ex.runLine('set timeout 1')
    await ex.runLine(`inventory ${h.identity}`)
    expect(out()).toMatch(new RegExp(`^${h.identity.replace(/\./g, '\\.')}`, 'm'))
    expect(out()).toMatch(/agents\s+.*rpcutil/)
    expect(out()).toMatch(new RegExp(`role\\s+${h.facts.role}`))
    expect(await ex.runLine('inventory ghost.example.net')).toBe(ExitCode.Partial)
    expect(err()).toMatch(/ghost\.example\.net did not answer/)
  })

  it('last re-renders, filters to failures, and retry re-runs only those', async () => {
    const bad = hosts.slice(0, 2).map((h) => h.identity)
    await ex.runLine(`rpc testagent echo message=hi -I ${hosts[0]!.identity} -I ${hosts[1]!.identity} -I ${hosts[2]!.identity}`)
    term.clear()
    await ex.runLine('last --json')
    expect(JSON.parse(out()).stats.ok).toBe(3)
    // make two of them fail by addressing an action they will refuse, then retry just those
    await ex.runLine(`rpc testagent refuse -I ${bad[0]} -I ${bad[1]}`)
    term.clear()
    expect(await ex.runLine('last --failed --json')).toBe(ExitCode.Partial)
    expect(JSON.parse(out()).replies.map((r: { sender: string }) => r.sender).sort()).toEqual([...bad].sort())
    term.clear()
    await ex.runLine('retry --json')
    const retried = JSON.parse(out())
    expect(retried.discovered.sort()).toEqual([...bad].sort())
    expect(retried.action).toBe('refuse')
    term.clear()
    await ex.runLine('last --ok')
    expect(out()).toMatch(/no nodes matched|0 ok/)
  })

  it('nodes lists the node set', async () => {
    await ex.runLine('nodes --json'.replace(' --json', ''))
    expect(out()).toMatch(new RegExp(`${NODES} nodes, discovered`))
  })

  it('source runs a script, and errexit stops it at the first failure', async () => {
    const script = join(dir, 'ok.mcsh')
    writeFileSync(script, '# comment\nfilter fact role=web\nrpc rpcutil ping\n')
    expect(await ex.runLine(`source ${script}`)).toBe(ExitCode.OK)
    expect(out()).toMatch(/ok.mcsh: 2 commands/)
    const failing = join(dir, 'fail.mcsh')
    writeFileSync(failing, 'set errexit on\nrpc testagent explode\nrpc rpcutil ping\n')
    term.clear()
    expect(await ex.runLine(`source ${failing}`)).toBe(ExitCode.Partial)
    expect(out()).toMatch(/stopped at line 2 \(errexit\) after 2 commands/)
    expect(out()).not.toMatch(/rpcutil/)
  })

  it('records a replayable script', async () => {
    const file = join(dir, 'rec.mcsh')
    await ex.runLine('filter class base')
    await ex.runLine(`record start ${file}`)
    await ex.runLine('filter fact role=db; rpc rpcutil get_fact fact=role; history')
    await ex.runLine('record stop')
    const text = readFileSync(file, 'utf8')
    expect(text).toMatch(/^use t_\w+\nfilter reset\nfilter class base\n# \d\d:\d\d:\d\d · scope class:base\nfilter fact role=db\n# → \d+ nodes in scope\n/m)
    expect(text).toMatch(/rpc rpcutil get_fact fact=role\n# → \d+ ok, 0 failed, 0 no response of \d+ discovered in/)
    expect(text).not.toMatch(/^history/m)
    expect(await ex.runLine(`record start ${file}`)).toBe(ExitCode.Usage)
    expect(err()).toMatch(/exists: choose another name or add --append/)
  })

  it('writes machine-readable output when the terminal is not a TTY', async () => {
    const plain = memoryTerminal({ tty: false })
    const e2 = new Executor(session, defaultCommands(), plain)
    await e2.runLine('discover')
    expect(JSON.parse(plain.stdout.join('')).nodes).toHaveLength(NODES)
  })
})
