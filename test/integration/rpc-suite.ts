import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RpcClient } from '../../src/client/rpc-client.js'
import { simulateHosts } from '../../src/daemon/simulator.js'
import { compileFilter, parseFactTerm } from '../../src/filter/index.js'
import { emptyFilter, type Filter } from '../../src/filter/types.js'
import { MessageCodec } from '../../src/protocol/codec.js'
import { destinations } from '../../src/protocol/destinations.js'
import type { Reply } from '../../src/protocol/messages.js'
import { Status } from '../../src/protocol/status.js'
import { createPsk } from '../../src/security/psk.js'
import { createJsonSerializer } from '../../src/serializer/json.js'
import { silentLogger } from '../../src/util/logger.js'
import { startTestFleet, testConfig, type TestFleet } from '../helpers/fleet.js'

const NODES = 12
const SEED = 7

/** The request path end to end over a real broker; run against the embedded broker and RabbitMQ. */
export function rpcSuite(brokerUrl: () => string): void {
  let t: TestFleet
  const hosts = simulateHosts(NODES, SEED)
  const expectedFor = (filter: Filter) =>
    hosts
      .filter((h) => compileFilter(filter).matches({ identity: h.identity, facts: h.facts, classes: new Set(h.classes), agents: new Set(['rpcutil', 'testagent', 'slow', 'discovery']) }))
      .map((h) => h.identity)
      .sort()

  beforeAll(async () => {
    t = await startTestFleet({ brokerUrl: brokerUrl(), nodes: NODES, seed: SEED, connections: 3 })
  })
  afterAll(async () => {
    await t?.stop()
  })

  /** Sends a hand-built request and collects replies for a while. */
  async function rawRequest(o: { agent: string; action: string; data: Record<string, unknown>; filter?: Filter; waitMs?: number; targets?: readonly string[] }): Promise<Reply[]> {
    const replies: Reply[] = []
    const exchange = await t.client.request(
      { agent: o.agent, action: o.action, data: o.data, filter: o.filter ?? emptyFilter(), collective: t.config.collectives[0] as string, targets: o.targets ?? 'broadcast' },
      (r) => replies.push(r),
    )
    await new Promise((r) => setTimeout(r, o.waitMs ?? 800))
    exchange.close()
    return replies
  }

  describe('discovery', () => {
    it('finds every node', async () => {
      const d = await t.client.discover()
      expect(d.nodes).toEqual(hosts.map((h) => h.identity).sort())
      expect(d.ended).toBe('window')
      expect(d.agents.get(hosts[0]!.identity)).toEqual(expect.arrayContaining(['rpcutil', 'testagent']))
    })

    it('applies fact, class and compound filters on the nodes', async () => {
      const byFact: Filter = { ...emptyFilter(), fact: [parseFactTerm('os.family=debian')] }
      expect((await t.client.discover({ filter: byFact })).nodes).toEqual(expectedFor(byFact))
      const byClass: Filter = { ...emptyFilter(), class: ['base'], compound: ['role=web or role=db or memory.total_mb >= 16384'] }
      const found = (await t.client.discover({ filter: byClass })).nodes
      expect(found).toEqual(expectedFor(byClass))
      expect(found.length).toBeGreaterThan(0)
    })

    it('ends at the window, not the timeout, when nothing more arrives', async () => {
      const d = await t.client.discover({ timeoutMs: 5000, windowMs: 150 })
      expect(d.stats.discovery_ms).toBeLessThan(3000)
    })

    it('waits the maximum when nothing matches', async () => {
      const none: Filter = { ...emptyFilter(), identity: ['no-such-node'] }
      const d = await t.client.discover({ filter: none, timeoutMs: 400 })
      expect(d.nodes).toEqual([])
      expect(d.ended).toBe('timeout')
    })
  })

  describe('rpc', () => {
    it('calls rpcutil ping on every node', async () => {
      const r = await t.client.call({ agent: 'rpcutil', action: 'ping' })
      expect(r.stats).toMatchObject({ discovered: NODES, responded: NODES, ok: NODES, failed: 0, no_response: 0 })
      expect(r.noResponse).toEqual([])
      for (const reply of r.replies) expect(typeof reply.data.pong).toBe('number')
    })

    it('returns each node its own facts', async () => {
      const filter: Filter = { ...emptyFilter(), fact: [parseFactTerm('role=web')] }
      const r = await t.client.call({ agent: 'rpcutil', action: 'get_fact', args: { fact: 'datacenter' }, filter })
      expect(r.replies.map((x) => x.sender)).toEqual(expectedFor(filter))
      for (const reply of r.replies) expect(reply.data).toEqual({ fact: 'datacenter', value: hosts.find((h) => h.identity === reply.sender)!.facts.datacenter })
    })

    it('refuses bad inputs on the client before sending anything', async () => {
      await expect(t.client.call({ agent: 'rpcutil', action: 'get_fact', args: { fact: 'a b' } })).rejects.toMatchObject({ code: 'MCSH_INPUT_INVALID' })
      await expect(t.client.call({ agent: 'rpcutil', action: 'get_fact' })).rejects.toMatchObject({ code: 'MCSH_INPUT_MISSING' })
      await expect(t.client.call({ agent: 'rpcutil', action: 'nope' })).rejects.toMatchObject({ code: 'MCSH_UNKNOWN_ACTION' })
    })

    it('has the daemon validate inputs too (status 3 and 4) and report unknown actions (status 2)', async () => {
      const target = [hosts[0]!.identity]
      const invalid = await rawRequest({ agent: 'rpcutil', action: 'get_fact', data: { fact: 'a b' }, targets: target })
      expect(invalid).toHaveLength(1)
      expect(invalid[0]).toMatchObject({ status: Status.InvalidData })
      expect(invalid[0]!.message).toMatch(/fact/)
      const missing = await rawRequest({ agent: 'rpcutil', action: 'get_fact', data: {}, targets: target })
      expect(missing[0]).toMatchObject({ status: Status.MissingData })
      const unknown = await rawRequest({ agent: 'rpcutil', action: 'nope', data: {}, targets: target })
      expect(unknown[0]).toMatchObject({ status: Status.UnknownAction })
      expect(unknown[0]!.message).toMatch(/known actions: .*ping/)
    })

    it('maps agent exceptions to status 5, RpcError to its status and time-outs to status 1', async () => {
      const nodes = hosts.slice(0, 2).map((h) => h.identity)
      const explode = await t.client.call({ agent: 'testagent', action: 'explode', nodes })
      expect(explode.replies.map((r) => [r.status, r.message])).toEqual(nodes.map(() => [Status.UnknownError, 'action testagent#explode failed: boom']))
      const refuse = await t.client.call({ agent: 'testagent', action: 'refuse', nodes })
      expect(refuse.replies.every((r) => r.status === Status.Aborted && r.message === 'refused on purpose')).toBe(true)
      const hang = await t.client.call({ agent: 'testagent', action: 'hang', nodes, timeoutMs: 4000 })
      expect(hang.replies.map((r) => r.status)).toEqual([Status.Aborted, Status.Aborted])
      expect(hang.replies[0]!.message).toMatch(/timed out after 1 s/)
      const after = await t.client.call({ agent: 'testagent', action: 'echo', args: { message: 'still here' }, nodes })
      expect(after.replies.map((r) => r.data)).toEqual(nodes.map(() => ({ message: 'still here', count: 1 })))
    })

    it('addresses listed nodes directly and reports the ones that do not answer', async () => {
      const nodes = [hosts[1]!.identity, hosts[2]!.identity, 'ghost.example.net']
      const r = await t.client.call({ agent: 'rpcutil', action: 'ping', nodes, timeoutMs: 800 })
      expect(r.replies.map((x) => x.sender).sort()).toEqual(nodes.slice(0, 2).sort())
      expect(r.noResponse).toEqual(['ghost.example.net'])
      expect(r.stats).toMatchObject({ discovered: 3, responded: 2, no_response: 1 })
    })

    it('limits and batches', async () => {
      const limited = await t.client.call({ agent: 'rpcutil', action: 'ping', limit: { count: 3, method: 'random', seed: 3 } })
      expect(limited.stats).toMatchObject({ discovered: NODES, targeted: 3, responded: 3 })
      const percent = await t.client.call({ agent: 'rpcutil', action: 'ping', limit: { percent: 50, method: 'first' } })
      expect(percent.replies.map((r) => r.sender)).toEqual(hosts.map((h) => h.identity).sort().slice(0, NODES / 2))
      const batched = await t.client.call({ agent: 'rpcutil', action: 'ping', batchSize: 5, batchSleepMs: 50 })
      expect(batched.stats).toMatchObject({ responded: NODES, ok: NODES })
    })

    it('stops waiting when cancelled and keeps the replies that came', async () => {
      const controller = new AbortController()
      const nodes = hosts.slice(0, 3).map((h) => h.identity)
      setTimeout(() => controller.abort(), 300)
      const r = await t.client.call({ agent: 'testagent', action: 'hang', nodes, timeoutMs: 10_000, signal: controller.signal })
      expect(r.cancelled).toBe(true)
      expect(r.noResponse).toEqual([...nodes].sort())
      expect(r.stats.total_ms).toBeLessThan(5000)
    })

    it('reports daemon statistics and inventory', async () => {
      const node = hosts[0]!
      const inv = await t.client.call({ agent: 'rpcutil', action: 'inventory', nodes: [node.identity] })
      expect(inv.replies[0]!.data).toMatchObject({ classes: node.classes, collectives: t.config.collectives, main_collective: t.config.collectives[0] })
      expect(inv.replies[0]!.data.agents).toEqual(expect.arrayContaining(['rpcutil', 'testagent']))
      expect((inv.replies[0]!.data.facts as Record<string, unknown>).role).toBe(node.facts.role)
      const stats = await t.client.call({ agent: 'rpcutil', action: 'daemon_stats', nodes: [node.identity] })
      expect(stats.replies[0]!.data.requests).toBeGreaterThan(0)
      expect(stats.replies[0]!.data.passed).toBeGreaterThan(0)
    })
  })

  describe('bad input never hurts a daemon', () => {
    it('ignores requests sealed with another key, counting them', async () => {
      const before = t.fleet.nodes[0]!.counters.get('unvalidated')
      const config = testConfig({ brokerUrl: brokerUrl(), collective: t.config.collectives[0], psk: 'wrong-key' })
      const intruder = new RpcClient({ config, logger: silentLogger })
      await intruder.connect()
      try {
        const r = await intruder.call({ agent: 'rpcutil', action: 'ping', nodes: [hosts[0]!.identity], timeoutMs: 600 })
        expect(r.replies).toEqual([])
        expect(r.noResponse).toEqual([hosts[0]!.identity])
      } finally {
        await intruder.close()
      }
      expect(t.fleet.nodes[0]!.counters.get('unvalidated')).toBeGreaterThan(before)
    })

    it('drops garbage, replays and stale requests, and keeps answering', async () => {
      const collective = t.config.collectives[0] as string
      const dest = destinations.broadcast(collective, 'rpcutil')
      await t.client.connector.publish(dest, Buffer.from('this is not json'), { confirm: true })
      await t.client.connector.publish(dest, Buffer.from('{"mcsh":"mcsh/1","payload":1}'), { confirm: true })
      await t.client.connector.publish(dest, Buffer.alloc(0), { confirm: true })

      const codec = new MessageCodec({ security: createPsk({ psk: t.config.security.psk!, callerId: 'uid=0' }), serializer: createJsonSerializer(), maxMessageBytes: 1 << 20 })
      const replies: Reply[] = []
      const replyTo = t.client.replyDestination(collective)
      const base = { kind: 'request' as const, sender: 'tester', callerId: 'uid=0', collective, agent: 'rpcutil', action: 'ping', data: {}, filter: { ...emptyFilter(), identity: [hosts[0]!.identity] }, ttlSeconds: 60, replyTo }
      const fresh = { ...base, id: 'replay-' + Date.now(), createdAtMs: Date.now() }
      const stale = { ...base, id: 'stale-' + Date.now(), createdAtMs: Date.now() - 3_600_000 }
      const future = { ...base, id: 'future-' + Date.now(), createdAtMs: Date.now() + 3_600_000 }
      const exchanges = [fresh, stale, future].map((m) => t.client.expectReplies(collective, m.id, (r) => replies.push(r)))
      const freshBytes = await codec.encode(fresh)
      await t.client.connector.publish(dest, freshBytes, { confirm: true })
      await t.client.connector.publish(dest, freshBytes, { confirm: true })
      await t.client.connector.publish(dest, await codec.encode(stale), { confirm: true })
      await t.client.connector.publish(dest, await codec.encode(future), { confirm: true })
      await new Promise((r) => setTimeout(r, 700))
      for (const x of exchanges) x.close()
      expect(replies.map((r) => r.requestId)).toEqual([fresh.id])
      const node = t.fleet.nodes.find((n) => n.identity === hosts[0]!.identity)!
      expect(node.counters.get('replayed')).toBeGreaterThanOrEqual(1)
      expect(node.counters.get('ttlexpired')).toBeGreaterThanOrEqual(2)

      const after = await t.client.call({ agent: 'rpcutil', action: 'ping' })
      expect(after.stats.ok).toBe(NODES)
    })
  })
}
