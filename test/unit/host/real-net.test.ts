import { createServer, type Server } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createCommandRunner, findExecutable } from '../../../src/host/real/commands.js'
import { createSystemNetProvider } from '../../../src/host/real/net.js'
import { createFakeBin, type FakeBin } from './real-fakes.js'

const listen = (s: Server) => new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)))
const close = (s: Server) => new Promise<void>((resolve) => s.close(() => resolve()))

describe('connect', () => {
  const net = createSystemNetProvider({ runner: createCommandRunner(), path: process.env.PATH ?? '' })

  it('connects to a listening port and times it', async () => {
    const server = createServer((sock) => sock.destroy())
    const port = await listen(server)
    try {
      const r = await net.connect('127.0.0.1', port, { timeoutMs: 2_000 })
      expect(r).toMatchObject({ host: '127.0.0.1', port, connected: true, error: null })
      expect(r.time_ms).toBeGreaterThanOrEqual(0)
      expect(r.time_ms).toBeLessThan(2_000)
    } finally {
      await close(server)
    }
  })

  it('reports a closed port', async () => {
    const server = createServer()
    const port = await listen(server)
    await close(server)
    const r = await net.connect('127.0.0.1', port, { timeoutMs: 2_000 })
    expect(r).toMatchObject({ connected: false, time_ms: null })
    expect(r.error).toMatch(/ECONNREFUSED/)
  })

  it('never waits much longer than the timeout', async () => {
    const started = Date.now()
    // A blackhole address times out; sandboxes that proxy every connection may connect instead.
    const r = await net.connect('10.255.255.1', 9, { timeoutMs: 300 })
    expect(Date.now() - started).toBeLessThan(2_000)
    if (!r.connected) expect(r.error).toMatch(/timed out after 300 ms|ENETUNREACH|EHOSTUNREACH|ECONNREFUSED/)
  })

  it('refuses bad hosts and ports', async () => {
    for (const bad of ['-f', 'a b', 'a;b', '$(id)', '', 'x'.repeat(300), 'a/b']) {
      await expect(net.connect(bad, 80, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'MCSH_INVALID_HOST' })
      await expect(net.ping(bad, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'MCSH_INVALID_HOST' })
    }
    for (const port of [0, -1, 65_536, 1.5, Number.NaN]) await expect(net.connect('127.0.0.1', port, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'MCSH_INVALID_PORT' })
  })
})

describe('ping', () => {
  it('pings 127.0.0.1 with the system ping, or says ping is not installed', async () => {
    const net = createSystemNetProvider({ runner: createCommandRunner(), path: process.env.PATH ?? '' })
    if (findExecutable('ping', process.env.PATH) === undefined) {
      await expect(net.ping('127.0.0.1', { timeoutMs: 1_000 })).rejects.toThrow(/ping is not installed/)
      return
    }
    const r = await net.ping('127.0.0.1', { timeoutMs: 2_000 })
    expect(r.host).toBe('127.0.0.1')
    // Without CAP_NET_RAW ping may fail; it must then say why.
    if (r.reachable) expect(r.rtt_ms).toBeGreaterThanOrEqual(0)
    else expect(r.error).toBeTruthy()
  })

  describe('against a fake ping', () => {
    let bin: FakeBin
    beforeEach(() => {
      bin = createFakeBin()
    })
    afterEach(() => bin.cleanup())
    const net = () => createSystemNetProvider({ runner: createCommandRunner({ path: bin.dir }), path: bin.dir })

    it('parses the round trip and passes -c 1 -W SECONDS', async () => {
      bin.add('ping', `echo "PING $5 ($5) 56(84) bytes of data."; echo "64 bytes from $5: icmp_seq=1 ttl=64 time=12.3 ms"`)
      expect(await net().ping('db1.example.net', { timeoutMs: 1_500 })).toEqual({ host: 'db1.example.net', reachable: true, rtt_ms: 12.3, error: null })
      expect(bin.calls()).toEqual(['ping [-c] [1] [-W] [2] [db1.example.net]'])
    })

    it('reports no reply and resolution failures', async () => {
      bin.add('ping', 'case "$5" in nosuch*) echo "ping: $5: Name or service not known" >&2; exit 2;; esac; echo "1 packets transmitted, 0 received, 100% packet loss"; exit 1')
      expect(await net().ping('10.0.0.9', { timeoutMs: 1_000 })).toEqual({ host: '10.0.0.9', reachable: false, rtt_ms: null, error: 'no reply within 1 s' })
      expect(await net().ping('nosuch.invalid', { timeoutMs: 1_000 })).toEqual({ host: 'nosuch.invalid', reachable: false, rtt_ms: null, error: 'ping: nosuch.invalid: Name or service not known' })
    })

    it('says ping is not installed when it is not on PATH', async () => {
      await expect(net().ping('127.0.0.1', { timeoutMs: 1_000 })).rejects.toMatchObject({ code: 'MCSH_PING_UNAVAILABLE', message: expect.stringMatching(/^ping is not installed/) })
    })
  })
})
