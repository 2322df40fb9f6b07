import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { simulateHosts } from '../../src/daemon/simulator.js'
import { emptyFilter, type Filter } from '../../src/filter/types.js'
import { createSimulatedHost } from '../../src/host/simulated.js'
import { embeddedBroker, type TestBroker } from '../helpers/brokers.js'
import { startTestFleet, type TestFleet } from '../helpers/fleet.js'

const NODES = 24
const SEED = 9
const hosts = simulateHosts(NODES, SEED)
let broker: TestBroker
let t: TestFleet

beforeAll(async () => {
  broker = await embeddedBroker()
  t = await startTestFleet({ brokerUrl: broker.url, nodes: NODES, seed: SEED, connections: 2 })
})
afterAll(async () => {
  await t?.stop()
  await broker?.stop()
})

const where = (expr: string): Filter => ({ ...emptyFilter(), compound: [expr] })
const discovered = async (expr: string) => (await t.client.discover({ filter: where(expr) })).nodes

describe('data plugins in compound filters, answered on each node', () => {
  it('sysctl: nodes by a kernel parameter, numbers compared as numbers', async () => {
    const expected = hosts.filter((h) => h.facts.role === 'db').map((h) => h.identity).sort()
    expect(expected.length).toBeGreaterThan(0)
    expect(await discovered("sysctl('vm.swappiness') < 10")).toEqual(expected)
    expect(await discovered("sysctl('vm.swappiness').value = 1")).toEqual(expected)
  })

  it('fstat: nodes by a file, with fields and the default field', async () => {
    const prod = hosts.filter((h) => h.facts.environment === 'production').map((h) => h.identity).sort()
    expect(await discovered("fstat('/etc/hosts').size > 0")).toHaveLength(NODES)
    expect(await discovered("fstat('/etc/nothing-here').present = true")).toEqual([])
    expect(await discovered("not fstat('/etc/nothing-here').present = true and fstat('/etc/motd').type = file")).toHaveLength(NODES)
    const prodMd5 = (await createSimulatedHost(prod[0]!, hosts.find((h) => h.identity === prod[0])!.facts, []).files.status('/etc/motd', { hashes: true })).md5
    expect(await discovered(`fstat('/etc/motd').md5 = '${prodMd5}'`)).toEqual(prod)
  })

  it('agent and fact: what the node has and knows', async () => {
    expect(await discovered("agent('testagent').present = true and agent('rpcutil').version = '1.0.0'")).toHaveLength(NODES)
    expect(await discovered("agent('nosuchagent').present = true")).toEqual([])
    expect(await discovered("agent('package').present = true")).toHaveLength(NODES)
    const webs = hosts.filter((h) => h.facts.role === 'web').map((h) => h.identity).sort()
    expect(await discovered("fact('role') = web")).toEqual(webs)
  })

  it('an unknown plugin or a bad argument matches nothing and hurts nobody', async () => {
    expect(await discovered("nosuch('x') = 1")).toEqual([])
    expect(await discovered("fstat('relative/path').size > 0")).toEqual([])
    expect((await t.client.discover()).nodes).toHaveLength(NODES)
  })
})
