import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { LoadedAgent } from '../../../src/agents/registry.js'
import { computeAggregates } from '../../../src/ddl/index.js'
import { call, FakeHost, loadStandardAgent } from './fake-host.js'

let agent: LoadedAgent
let host: FakeHost
beforeAll(async () => {
  agent = await loadStandardAgent('nettest')
})
beforeEach(() => {
  host = new FakeHost()
  host.net.pings.set('db1.example.com', { host: 'db1.example.com', reachable: true, rtt_ms: 0.42, error: null })
  host.net.pings.set('10.0.0.5', { host: '10.0.0.5', reachable: true, rtt_ms: 1.5, error: null })
  host.net.pings.set('fe80::1', { host: 'fe80::1', reachable: true, rtt_ms: 0.1, error: null })
  host.net.ports.set('db1.example.com:5432', { host: 'db1.example.com', port: 5432, connected: true, time_ms: 2.25, error: null })
})

describe('nettest ping', () => {
  it('reports the round-trip time of a reachable host', async () => {
    expect(await call(agent, 'ping', { fqdn: 'db1.example.com' }, host)).toMatchObject({
      status: 0,
      data: { host: 'db1.example.com', reachable: true, rtt_ms: 0.42, error: null },
    })
    expect(host.net.timeouts).toEqual([5000])
  })

  it('accepts IPv4 and IPv6 addresses', async () => {
    expect((await call(agent, 'ping', { fqdn: '10.0.0.5' }, host)).data).toMatchObject({ reachable: true, rtt_ms: 1.5 })
    expect((await call(agent, 'ping', { fqdn: 'fe80::1' }, host)).data).toMatchObject({ reachable: true })
  })

  it('answers an unreachable host with reachable=false and status 0', async () => {
    expect(await call(agent, 'ping', { fqdn: 'gone.example.com' }, host)).toMatchObject({
      status: 0,
      data: { reachable: false, rtt_ms: null, error: '100% packet loss' },
    })
  })

  it('rejects what is neither a host name nor an address with status 4', async () => {
    for (const bad of ['-c1', 'a b', 'host;reboot', 'under_score.example.com', ':::1::2:::', '-x.example.com']) {
      const r = await call(agent, 'ping', { fqdn: bad }, host)
      expect(r.status, bad).toBe(4)
      expect(r.message).toContain("input 'fqdn'")
    }
    expect(host.net.timeouts).toEqual([])
  })

  it('takes a time-out in seconds, within bounds', async () => {
    await call(agent, 'ping', { fqdn: 'db1.example.com', timeout: 1.5 }, host)
    expect(host.net.timeouts).toEqual([1500])
    expect((await call(agent, 'ping', { fqdn: 'db1.example.com', timeout: 0 }, host)).status).toBe(4)
    expect((await call(agent, 'ping', { fqdn: 'db1.example.com', timeout: 60 }, host)).status).toBe(4)
  })

  it('maps a provider failure to status 1', async () => {
    host.net.error = new Error('ping: socket: Operation not permitted')
    expect(await call(agent, 'ping', { fqdn: 'db1.example.com' }, host)).toMatchObject({ status: 1, message: 'cannot ping db1.example.com: ping: socket: Operation not permitted' })
  })
})

describe('nettest connect', () => {
  it('reports a successful connection and its time', async () => {
    expect(await call(agent, 'connect', { fqdn: 'db1.example.com', port: 5432 }, host)).toMatchObject({
      status: 0,
      data: { host: 'db1.example.com', port: 5432, connected: true, time_ms: 2.25, error: null },
    })
  })

  it('answers a refused connection with connected=false and the reason, status 0', async () => {
    expect((await call(agent, 'connect', { fqdn: 'db1.example.com', port: 5433 }, host)).data).toMatchObject({ connected: false, time_ms: null, error: 'connection refused' })
  })

  it('checks the port', async () => {
    expect((await call(agent, 'connect', { fqdn: 'db1.example.com' }, host)).status).toBe(3)
    expect((await call(agent, 'connect', { fqdn: 'db1.example.com', port: 0 }, host)).status).toBe(4)
    expect((await call(agent, 'connect', { fqdn: 'db1.example.com', port: 65536 }, host)).status).toBe(4)
    expect((await call(agent, 'connect', { fqdn: 'db1.example.com', port: 22.5 }, host)).status).toBe(4)
    expect((await call(agent, 'connect', { fqdn: 'db1.example.com', port: '22' }, host)).status).toBe(4)
  })

  it('aggregates connected and connect times', async () => {
    const other = new FakeHost()
    other.net.ports.set('db1.example.com:5432', { host: 'db1.example.com', port: 5432, connected: true, time_ms: 4.75, error: null })
    const down = new FakeHost()
    const replies = await Promise.all([host, other, down].map((h) => call(agent, 'connect', { fqdn: 'db1.example.com', port: 5432 }, h)))
    const aggs = computeAggregates(agent.ddl.actions.connect!, replies.map((r) => ({ ok: r.status === 0, data: r.data })))
    expect(aggs.find((a) => a.function === 'summary')?.counts).toEqual([
      { value: 'true', count: 2 },
      { value: 'false', count: 1 },
    ])
    expect(aggs.find((a) => a.function === 'average')?.value).toBe(3.5)
    expect(aggs.find((a) => a.function === 'min')?.value).toBe(2.25)
    expect(aggs.find((a) => a.function === 'max')?.formatted).toBe('max: 4.75 ms')
  })
})
