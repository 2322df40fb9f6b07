import { spawnSync } from 'node:child_process'
import { statfsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dispatchAction } from '../../src/agents/dispatch.js'
import type { NodeView } from '../../src/agents/define.js'
import { EXTERNAL_PATH } from '../../src/agents/external.js'
import { loadAgents } from '../../src/agents/loader.js'
import type { NodeReply } from '../../src/client/result.js'
import { computeAggregates } from '../../src/ddl/index.js'
import type { Host } from '../../src/host/types.js'
import { Status } from '../../src/protocol/status.js'
import { silentLogger } from '../../src/util/logger.js'
import { uptimeAgent } from '../../examples/agents/uptime/agent.js'
import { embeddedBroker, type TestBroker } from '../helpers/brokers.js'
import { startTestFleet, type TestFleet } from '../helpers/fleet.js'

const examplesDir = join(import.meta.dirname, '..', '..', 'examples', 'agents')
const NODES = 4

/** Python as the diskfree agent will find it: through `/usr/bin/env python3` on the agents' PATH. */
const python = spawnSync('/usr/bin/env', ['python3', '-c', 'import sys; sys.exit(0 if sys.version_info >= (3, 6) else 1)'], { env: { PATH: EXTERNAL_PATH } })
const pythonMissing = python.status === 0 ? undefined : `no python3 >= 3.6 on ${EXTERNAL_PATH} (${python.error?.message ?? (python.stderr.toString().trim() || `exit ${python.status}`)})`
if (pythonMissing) console.warn(`skipping the diskfree (Python) example: ${pythonMissing}`)

const loadExamples = () => loadAgents({ dirs: [examplesDir], includeBuiltin: false, strict: true })

/** The aggregates the client shows, computed from the action's DDL. */
async function aggregates(agent: string, action: string, replies: NodeReply[]) {
  const ddl = (await loadExamples()).get(agent)?.ddl.actions[action]
  if (!ddl) throw new Error(`no DDL for ${agent}#${action}`)
  return computeAggregates(ddl, replies.map((r) => ({ ok: r.status === Status.OK, data: r.data })))
}

describe('the example agents over the embedded broker', () => {
  let broker: TestBroker
  let t: TestFleet

  beforeAll(async () => {
    broker = await embeddedBroker()
    t = await startTestFleet({ brokerUrl: broker.url, nodes: NODES, mutate: (c) => (c.agentDirs = [examplesDir]) })
  })
  afterAll(async () => {
    await t?.stop()
    await broker?.stop()
  })

  it('loads the in-process and the external examples side by side', async () => {
    const r = await t.client.call({ agent: 'rpcutil', action: 'agent_inventory', nodes: [t.fleet.hosts[0]!.identity] })
    const names = (r.replies[0]!.data.agents as Array<{ agent: string }>).map((a) => a.agent)
    expect(names).toEqual(expect.arrayContaining(['diskfree', 'diskfree_sh', 'rpcutil', 'uptime']))
  })

  it('uptime (TypeScript, in-process) answers on every node with aggregates', async () => {
    const r = await t.client.call({ agent: 'uptime', action: 'uptime' })
    expect(r.stats).toMatchObject({ responded: NODES, ok: NODES })
    for (const reply of r.replies) {
      expect(reply.data).toMatchObject({ uptime_seconds: expect.any(Number), load_1: expect.any(Number), load_15: expect.any(Number), cpus: expect.any(Number) })
      expect(reply.data.uptime).toMatch(/^\d+(d|h|m)/)
    }
    const loads = r.replies.map((x) => x.data.load_1 as number)
    const [average, max] = await aggregates('uptime', 'uptime', r.replies)
    expect(average).toMatchObject({ function: 'average', output: 'load_1' })
    expect(average!.value).toBeCloseTo(loads.reduce((a, b) => a + b, 0) / loads.length, 5)
    expect(max).toMatchObject({ function: 'max', value: Math.max(...loads) })
  })

  it('diskfree_sh (shell, external) measures a path and fails with data for a missing one', async () => {
    const r = await t.client.call({ agent: 'diskfree_sh', action: 'usage', args: { path: '/tmp' } })
    expect(r.stats).toMatchObject({ responded: NODES, ok: NODES })
    const fs = statfsSync('/tmp')
    for (const reply of r.replies) {
      expect(reply.data).toMatchObject({ path: '/tmp', total_mb: Math.floor((fs.blocks * fs.bsize) / 1024 / 1024), used_percent: expect.any(Number) })
      expect(reply.data.mount).toMatch(/^\//)
    }
    const missing = await t.client.call({ agent: 'diskfree_sh', action: 'usage', args: { path: '/no/such/dir' } })
    expect(missing.replies.map((x) => [x.status, x.message, x.data])).toEqual(
      missing.replies.map(() => [Status.Aborted, 'cannot measure /no/such/dir: No such file or directory', { path: '/no/such/dir' }]),
    )
  })

  it.skipIf(pythonMissing !== undefined)('diskfree (Python, external) measures a path, aggregates, and fails over a limit with its data', async () => {
    const r = await t.client.call({ agent: 'diskfree', action: 'usage', args: { path: '/' } })
    expect(r.stats).toMatchObject({ responded: NODES, ok: NODES })
    const fs = statfsSync('/')
    const mib = 1024 * 1024
    for (const reply of r.replies) {
      expect(reply.data).toMatchObject({ path: '/', mount: '/', total_mb: Math.floor((fs.blocks * fs.bsize) / mib) })
      expect(reply.data.used_percent).toBeGreaterThanOrEqual(0)
      expect(reply.data.used_percent).toBeLessThanOrEqual(100)
    }
    const [average, max] = await aggregates('diskfree', 'usage', r.replies)
    expect(average?.formatted).toMatch(/^average: \d+\.\d%$/)
    expect(max?.value).toBe(Math.max(...r.replies.map((x) => x.data.used_percent as number)))

    const over = await t.client.call({ agent: 'diskfree', action: 'usage', args: { path: '/', max_used_percent: '-1' } })
    for (const reply of over.replies) {
      expect(reply.status).toBe(Status.Aborted)
      expect(reply.message).toMatch(/^\/ is [\d.]+% used, over the limit of -1%$/)
      expect(reply.data).toMatchObject({ path: '/', mount: '/', total_mb: expect.any(Number) })
    }
  })

  it('has the client refuse inputs the DDL forbids before anything runs', async () => {
    await expect(t.client.call({ agent: 'diskfree', action: 'usage', args: { path: 'relative/path' } })).rejects.toMatchObject({ code: 'MCSH_INPUT_INVALID' })
    await expect(t.client.call({ agent: 'diskfree_sh', action: 'usage', args: { path: '/tmp/a b' } })).rejects.toMatchObject({ code: 'MCSH_INPUT_INVALID' })
  })
})

describe('the uptime example with a fixed source', () => {
  it('reports rounded load averages, the load per CPU and a readable uptime', async () => {
    const def = uptimeAgent({ uptime: () => 3 * 86400 + 4 * 3600 + 5 * 60 + 6.7, loadavg: () => [1.234, 0.5, 0.25], cpus: () => 4 })
    const loaded = (await loadExamples()).get('uptime')
    if (!loaded) throw new Error('uptime example not loaded')
    const uptime = { ...loaded, actions: def.actions }
    const node = { identity: 'n1', facts: () => ({}) } as unknown as NodeView
    const r = await dispatchAction(uptime, 'uptime', {}, { node, host: {} as Host, request: { id: 'r', callerId: 'c', sender: 's', agent: 'uptime', action: 'uptime', collective: 'm' }, logger: silentLogger })
    expect(r).toMatchObject({ status: Status.OK, data: { uptime_seconds: 273906, uptime: '3d 4h 5m', load_1: 1.23, load_5: 0.5, load_15: 0.25, cpus: 4, load_per_cpu: 0.31 } })
  })
})
