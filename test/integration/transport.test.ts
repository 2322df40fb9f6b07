import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startBroker, type Broker } from '../../src/broker/index.js'
import { parseBrokerPool } from '../../src/config/broker-url.js'
import { StompConnector } from '../../src/transport/stomp/connector.js'
import type { InboundMessage } from '../../src/transport/types.js'
import { silentLogger } from '../../src/util/logger.js'
import { makeTestPki } from '../helpers/tls.js'
import { createCa, issueCertificate } from '../../src/security/pki.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

function connector(urls: string[], o: { rounds?: number; tls?: { ca: string } } = {}): StompConnector {
  const c = new StompConnector({
    pool: parseBrokerPool(urls),
    heartbeatMs: 1000,
    connectTimeoutMs: 1500,
    maxReconnectDelayMs: 400,
    connectRounds: o.rounds ?? 1,
    publishWaitMs: 3000,
    logger: silentLogger,
    ...(o.tls ? { tls: { ca: o.tls.ca, rejectUnauthorized: true } } : {}),
  })
  cleanups.push(() => c.close())
  return c
}

async function broker(port = 0, extra: Partial<Parameters<typeof startBroker>[0]> = {}): Promise<Broker> {
  const b = await startBroker({ host: '127.0.0.1', port, logger: silentLogger, ...extra })
  cleanups.push(() => b.close())
  return b
}

function nextMessage(c: StompConnector, destination: string): { received: Promise<InboundMessage> } {
  let resolve!: (m: InboundMessage) => void
  const received = new Promise<InboundMessage>((r) => (resolve = r))
  c.subscribe(destination, (m) => resolve(m))
  return { received }
}

describe('STOMP connector', () => {
  it('names every broker it tried when none answers', async () => {
    const c = connector(['stomp://127.0.0.1:1', 'stomp://127.0.0.1:2'])
    const err = await c.connect().catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'MCSH_BROKER_UNREACHABLE' })
    expect(String((err as Error).message)).toMatch(/stomp:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\), stomp:\/\/127\.0\.0\.1:2 \(ECONNREFUSED\)/)
  })

  it('fails over to the next broker of the pool', async () => {
    const b = await broker()
    const c = connector(['stomp://127.0.0.1:1', b.url])
    await c.connect()
    expect(c.currentUrl).toBe(b.url)
  })

  it('reports refused credentials', async () => {
    const b = await broker(0, { users: [{ login: 'ops', passcode: 'secret' }] })
    const bad = connector([b.url.replace('stomp://', 'stomp://ops:wrong@')])
    await expect(bad.connect()).rejects.toThrow(/refused/)
    const good = connector([b.url.replace('stomp://', 'stomp://ops:secret@')])
    await good.connect()
    expect(good.state).toBe('connected')
  })

  it('round-trips binary bodies and headers', async () => {
    const b = await broker()
    const c = connector([b.url])
    await c.connect()
    const { received } = nextMessage(c, '/topic/t.bin')
    await new Promise((r) => setTimeout(r, 50))
    const body = Buffer.from([0, 1, 2, 0, 255, 10, 0])
    await c.publish('/topic/t.bin', body, { headers: { 'x-k': 'a:b\nc' }, confirm: true })
    const m = await received
    expect(Buffer.from(m.body)).toEqual(body)
    expect(m.headers['x-k']).toBe('a:b\nc')
  })

  it("reports the broker's reason when it refuses a confirmed publish", async () => {
    const b = await broker()
    const c = connector([b.url])
    await c.connect()
    const err = await c.publish('/bogus/x', Buffer.from('x'), { confirm: true }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'MCSH_BROKER_REFUSED' })
    expect(String((err as Error).message)).toMatch(/refused a message to \/bogus\/x: unknown destination '\/bogus\/x'/)
  })

  it('confirms subscriptions before connect() resolves', async () => {
    const b = await broker()
    const c = connector([b.url])
    const subs = [c.subscribe('/topic/t.a', () => {}), c.subscribe('/topic/t.b', () => {})]
    await c.connect()
    expect(b.stats().subscriptions).toBe(2)
    await Promise.all(subs.map((s) => s.ready()))
  })

  it('reconnects after the broker restarts and restores its subscriptions', async () => {
    const first = await startBroker({ host: '127.0.0.1', port: 0, logger: silentLogger })
    const port = first.port
    const sub = connector([first.url], { rounds: Infinity })
    await sub.connect()
    const got: string[] = []
    sub.subscribe('/topic/t.restart', (m) => got.push(Buffer.from(m.body).toString()))
    const states: string[] = []
    sub.onStateChange((s) => states.push(s))
    await first.close()
    const second = await broker(port)
    const deadline = Date.now() + 8000
    while (sub.state !== 'connected' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(sub.state).toBe('connected')
    expect(states).toContain('disconnected')
    const pub = connector([second.url])
    await pub.connect()
    await new Promise((r) => setTimeout(r, 100))
    await pub.publish('/topic/t.restart', Buffer.from('after restart'), { confirm: true })
    const until = Date.now() + 3000
    while (got.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
    expect(got).toEqual(['after restart'])
  })

  it('refuses to publish when no broker comes back within the wait', async () => {
    const b = await startBroker({ host: '127.0.0.1', port: 0, logger: silentLogger })
    const c = new StompConnector({ pool: parseBrokerPool([b.url]), heartbeatMs: 1000, connectTimeoutMs: 500, maxReconnectDelayMs: 200, connectRounds: Infinity, publishWaitMs: 300, logger: silentLogger })
    cleanups.push(() => c.close())
    await c.connect()
    await b.close()
    await new Promise((r) => setTimeout(r, 100))
    await expect(c.publish('/topic/x', Buffer.from('x'))).rejects.toMatchObject({ code: 'MCSH_NOT_CONNECTED' })
  })

  it('authenticates clients by certificate when the broker asks for one', async () => {
    const ca = createCa({ name: 'tls-ca', rsaBits: 2048, days: 1 })
    const server = issueCertificate({ ca, name: 'localhost', role: 'server', altNames: ['127.0.0.1'], days: 1 })
    const client = issueCertificate({ ca, name: 'web01.example.net', role: 'server', days: 1 })
    const dir = mkdtempSync(join(tmpdir(), 'mcsh-mtls-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const files = { ca: join(dir, 'ca.pem'), cert: join(dir, 'client.pem'), key: join(dir, 'client.key') }
    writeFileSync(files.ca, ca.certPem)
    writeFileSync(files.cert, client.certPem)
    writeFileSync(files.key, client.keyPem as string, { mode: 0o600 })
    const b = await broker(0, { tls: { cert: server.certPem, key: server.keyPem as string, ca: ca.certPem, requestCert: true } })
    const withCert = new StompConnector({ pool: parseBrokerPool([b.url]), heartbeatMs: 1000, connectTimeoutMs: 2000, maxReconnectDelayMs: 200, connectRounds: 1, logger: silentLogger, tls: { ...files, rejectUnauthorized: true } })
    cleanups.push(() => withCert.close())
    await withCert.connect()
    expect(withCert.currentUrl).toBe(b.url)
    const without = connector([b.url], { tls: { ca: files.ca } })
    await expect(without.connect()).rejects.toMatchObject({ code: 'MCSH_BROKER_UNREACHABLE' })
  }, 30_000)

  it('speaks STOMP over TLS (stomp+ssl://) and verifies the broker against the CA', async () => {
    const pki = makeTestPki()
    const dir = mkdtempSync(join(tmpdir(), 'mcsh-tls-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const caFile = join(dir, 'ca.pem')
    writeFileSync(caFile, pki.caCert)
    const b = await broker(0, { tls: { cert: pki.serverCert, key: pki.serverKey } })
    expect(b.url).toMatch(/^stomp\+ssl:\/\//)
    const c = connector([b.url], { tls: { ca: caFile } })
    await c.connect()
    const { received } = nextMessage(c, '/topic/t.tls')
    await new Promise((r) => setTimeout(r, 50))
    await c.publish('/topic/t.tls', Buffer.from('secret'), { confirm: true })
    expect(Buffer.from((await received).body).toString()).toBe('secret')

    const otherPki = makeTestPki()
    const wrongCa = join(dir, 'wrong-ca.pem')
    writeFileSync(wrongCa, otherPki.caCert)
    const untrusting = connector([b.url], { tls: { ca: wrongCa } })
    await expect(untrusting.connect()).rejects.toThrow(/MCSH|certificate|cannot connect/i)
  }, 30_000)
})
