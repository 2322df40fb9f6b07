import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { computeAggregates } from '../../src/ddl/index.js'
import { simulateHosts } from '../../src/daemon/simulator.js'
import { embeddedBroker, type TestBroker } from '../helpers/brokers.js'
import { startTestFleet, type TestFleet } from '../helpers/fleet.js'

const NODES = 1000
const SEED = 17
const hosts = simulateHosts(NODES, SEED)
let broker: TestBroker
let t: TestFleet

beforeAll(async () => {
  broker = await embeddedBroker()
  t = await startTestFleet({ brokerUrl: broker.url, nodes: NODES, seed: SEED, connections: 8, mutate: (c) => (c.client.discoveryTimeoutMs = 5000) })
}, 60_000)
afterAll(async () => {
  await t?.stop()
  await broker?.stop()
})

describe('DDL aggregates over a 1,000-node simulated fleet', () => {
  it('summarises package versions by what each simulated host has', async () => {
    const r = await t.client.call({ agent: 'package', action: 'status', args: { package: 'openssh-server' }, timeoutMs: 20_000 })
    expect(r.stats).toMatchObject({ discovered: NODES, ok: NODES })
    const ddl = (await t.client.ddls.require('package')).actions.status!
    const summary = computeAggregates(ddl, r.replies.map((x) => ({ ok: x.status === 0, data: x.data }))).find((a) => a.output === 'ensure')!
    const redhat = hosts.filter((h) => h.facts['os.family'] === 'redhat').length
    expect(summary.counts).toEqual(
      [
        { value: '1:9.2p1-2+deb12u2', count: NODES - redhat },
        { value: '8.7p1-34.el9', count: redhat },
      ].sort((a, b) => b.count - a.count),
    )
    expect(summary.formatted).toMatch(/1:9\.2p1-2\+deb12u2 = \d+/)
  }, 60_000)

  it('counts service states and sums daemon statistics, with the averages formatted', async () => {
    const status = await t.client.call({ agent: 'service', action: 'status', args: { service: 'sshd' }, timeoutMs: 20_000 })
    const ddl = (await t.client.ddls.require('service')).actions.status!
    const summary = computeAggregates(ddl, status.replies.map((x) => ({ ok: x.status === 0, data: x.data }))).find((a) => a.output === 'status')!
    expect(summary.counts).toEqual([{ value: 'running', count: NODES }])
    const stats = await t.client.call({ agent: 'rpcutil', action: 'daemon_stats', timeoutMs: 20_000 })
    const statsDdl = (await t.client.ddls.require('rpcutil')).actions.daemon_stats!
    const aggregates = computeAggregates(statsDdl, stats.replies.map((x) => ({ ok: x.status === 0, data: x.data })))
    const requests = aggregates.find((a) => a.function === 'sum' && a.output === 'requests')!
    expect(requests.value).toBe(stats.replies.reduce((s, x) => s + Number(x.data.requests), 0))
    expect(requests.value).toBeGreaterThanOrEqual(NODES * 4)
  }, 60_000)
})
