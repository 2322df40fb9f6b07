import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { parseBrokerPool } from '../../src/config/broker-url.js'
import { simulateHosts } from '../../src/daemon/simulator.js'
import { emptyFilter } from '../../src/filter/types.js'
import { MessageCodec } from '../../src/protocol/codec.js'
import { destinations } from '../../src/protocol/destinations.js'
import type { Reply, Request } from '../../src/protocol/messages.js'
import { issueCertificate, type Credentials } from '../../src/security/pki.js'
import { createSsl, SslVerifier } from '../../src/security/ssl.js'
import { createJsonSerializer } from '../../src/serializer/json.js'
import { StompConnector } from '../../src/transport/stomp/connector.js'
import { createLogger, silentLogger } from '../../src/util/logger.js'
import { startTestFleet, type TestFleet } from '../helpers/fleet.js'
import { makeSslPki, type TestPki } from '../helpers/ssl.js'

const NODES = 4
const SEED = 3
const hosts = simulateHosts(NODES, SEED)

/**
 * Adversarial: every forgery is refused with the right code and logged, and honest requests on the
 * same daemons keep working. Run against the embedded broker and RabbitMQ.
 */
export function securitySuite(brokerUrl: () => string): void {
  let pki: TestPki
  let t: TestFleet
  const daemonLog: string[] = []
  let collective: string

  let policyDir: string
  let auditFile: string

  beforeAll(async () => {
    pki = makeSslPki()
    policyDir = join(pki.dir, 'policies')
    mkdirSync(policyDir)
    auditFile = join(pki.dir, 'audit.log')
    writeFileSync(join(policyDir, 'testagent.policy'), 'policy default deny\nallow\tcert=alice\techo login\t*\t*\ndeny\tcert=alice\trefuse\t*\t*\n')
    t = await startTestFleet({
      brokerUrl: brokerUrl(),
      nodes: NODES,
      seed: SEED,
      pki,
      logger: createLogger({ level: 'warn', write: (l) => daemonLog.push(l) }),
      mutate: (c) => {
        c.authorization = { enabled: true, policyDir, default: 'deny' }
        c.audit = { ...c.audit, file: auditFile }
      },
    })
    collective = t.config.collectives[0] as string
  }, 60_000)
  afterAll(async () => {
    await t?.stop()
    pki?.cleanup()
  })

  const codecFor = (creds: Credentials) =>
    new MessageCodec({ security: createSsl({ ...creds, verifier: new SslVerifier(pki.ca.certPem) }), serializer: createJsonSerializer(), maxMessageBytes: 4 * 1024 * 1024 })

  function request(o: Partial<Request> = {}): Request {
    return {
      kind: 'request',
      id: `sec-${Math.random().toString(16).slice(2)}`,
      sender: 'attacker',
      callerId: 'cert=alice',
      collective,
      agent: 'rpcutil',
      action: 'ping',
      data: {},
      filter: { ...emptyFilter(), identity: [hosts[0]!.identity] },
      createdAtMs: Date.now(),
      ttlSeconds: 60,
      replyTo: t.client.replyDestination(collective),
      ...o,
    }
  }

  /** Publishes bytes to rpcutil's broadcast destination; resolves to the replies to `id` within the wait. */
  async function send(bytes: Buffer, id: string, waitMs = 600): Promise<Reply[]> {
    const replies: Reply[] = []
    const exchange = t.client.expectReplies(collective, id, (r) => replies.push(r))
    await t.client.connector.publish(destinations.broadcast(collective, 'rpcutil'), bytes, { confirm: true })
    await new Promise((r) => setTimeout(r, waitMs))
    exchange.close()
    return replies
  }

  const tamper = (bytes: Buffer, f: (sealed: { payload: string; seal: Record<string, string> }) => void) => {
    const o = JSON.parse(bytes.toString())
    f(o)
    return Buffer.from(JSON.stringify(o))
  }

  async function expectRefused(bytes: Buffer, id: string, code: string): Promise<void> {
    const before = daemonLog.length
    expect(await send(bytes, id)).toEqual([])
    const logged = daemonLog.slice(before).join('\n')
    expect(logged).toContain(code)
  }

  it('signs and verifies an honest request and its replies end to end', async () => {
    const r = await t.client.call({ agent: 'rpcutil', action: 'get_fact', args: { fact: 'role' } })
    expect(r.stats).toMatchObject({ discovered: NODES, ok: NODES, invalid: 0 })
    expect(t.client.codec.security.callerId).toBe('cert=alice')
    const honest = request()
    expect(await send(await codecFor(pki.alice).encode(honest), honest.id)).toHaveLength(1)
  })

  it('refuses a forged signature and a body altered after signing', async () => {
    const a = request()
    const forged = tamper(await codecFor(pki.alice).encode(a), (o) => {
      const sig = Buffer.from(o.seal.signature as string, 'base64')
      sig[10] = (sig[10] as number) ^ 0xff
      o.seal.signature = sig.toString('base64')
    })
    await expectRefused(forged, a.id, 'MCSH_SECURITY_SIGNATURE')
    const b = request()
    const altered = tamper(await codecFor(pki.alice).encode(b), (o) => {
      o.payload = o.payload.replace('"action":"ping"', '"action":"inventory"')
    })
    await expectRefused(altered, b.id, 'MCSH_SECURITY_SIGNATURE')
  })

  it('refuses certificates from another CA, expired and not yet valid ones', async () => {
    const rogue = issueCertificate({ ca: pki.rogueCa, name: 'alice', role: 'client', days: 1 })
    const a = request()
    await expectRefused(await codecFor({ certPem: rogue.certPem, keyPem: rogue.keyPem as string }).encode(a), a.id, "MCSH_SECURITY_CERT")
    expect(daemonLog.at(-1)).toMatch(/not signed by the configured CA \(its issuer is 'rogue-ca'\)/)
    const expired = issueCertificate({ ca: pki.ca, name: 'alice', role: 'client', notBefore: new Date(Date.now() - 3 * 86_400_000), days: 1 })
    const b = request()
    await expectRefused(await codecFor({ certPem: expired.certPem, keyPem: expired.keyPem as string }).encode(b), b.id, 'MCSH_SECURITY_CERT_EXPIRED')
    const future = issueCertificate({ ca: pki.ca, name: 'alice', role: 'client', notBefore: new Date(Date.now() + 86_400_000), days: 1 })
    const c = request()
    await expectRefused(await codecFor({ certPem: future.certPem, keyPem: future.keyPem as string }).encode(c), c.id, 'MCSH_SECURITY_CERT_NOT_YET_VALID')
  })

  it('refuses a caller id that does not match the certificate, and a server certificate sending requests', async () => {
    const a = request({ callerId: 'cert=root' })
    await expectRefused(await codecFor(pki.alice).encode(a), a.id, 'MCSH_SECURITY_CALLER')
    expect(daemonLog.at(-1)).toMatch(/claims to come from 'cert=root' but its certificate is 'alice'/)
    const node = issueCertificate({ ca: pki.ca, name: 'web999.example.net', role: 'server', keyType: 'ed25519', days: 1 })
    const b = request({ callerId: 'cert=web999.example.net' })
    await expectRefused(await codecFor({ certPem: node.certPem, keyPem: node.keyPem as string }).encode(b), b.id, 'MCSH_SECURITY_ROLE')
  })

  it('refuses replays, stale and future requests, truncated and oversize messages', async () => {
    const codec = codecFor(pki.alice)
    const a = request()
    const bytes = await codec.encode(a)
    expect(await send(bytes, a.id)).toHaveLength(1)
    await expectRefused(bytes, a.id, 'MCSH_MSG_REPLAYED')
    const stale = request({ createdAtMs: Date.now() - 3_600_000 })
    await expectRefused(await codec.encode(stale), stale.id, 'MCSH_MSG_EXPIRED')
    const future = request({ createdAtMs: Date.now() + 3_600_000 })
    await expectRefused(await codec.encode(future), future.id, 'MCSH_MSG_FUTURE')
    const c = request()
    const whole = await codec.encode(c)
    await expectRefused(whole.subarray(0, whole.length - 40), c.id, 'MCSH_MSG_MALFORMED')
    const big = request({ data: { blob: 'x'.repeat(5 * 1024 * 1024) } })
    const bigBytes = await new MessageCodec({ security: createSsl({ ...pki.alice, verifier: new SslVerifier(pki.ca.certPem) }), serializer: createJsonSerializer(), maxMessageBytes: 64 * 1024 * 1024 }).encode(big)
    await expectRefused(bigBytes, big.id, 'MCSH_MSG_TOO_LARGE')
  })

  it('counts and reports replies signed by the wrong key, never showing them as data', async () => {
    // A rogue answers rpcutil requests on the broker with replies it signs itself.
    const rogueCreds = [
      issueCertificate({ ca: pki.rogueCa, name: 'rogue1.example.net', role: 'server', keyType: 'ed25519', days: 1 }),
      issueCertificate({ ca: pki.ca, name: 'rogue2.example.net', role: 'client', keyType: 'ed25519', days: 1 }),
    ]
    const siteCert = issueCertificate({ ca: pki.ca, name: 'rogue3.example.net', role: 'server', keyType: 'ed25519', days: 1 })
    const otherKey = issueCertificate({ ca: pki.ca, name: 'rogue3.example.net', role: 'server', keyType: 'ed25519', days: 1 })
    const signers: Array<{ creds: Credentials; sender: string }> = [
      { creds: { certPem: rogueCreds[0]!.certPem, keyPem: rogueCreds[0]!.keyPem as string }, sender: 'rogue1.example.net' },
      { creds: { certPem: rogueCreds[1]!.certPem, keyPem: rogueCreds[1]!.keyPem as string }, sender: 'rogue2.example.net' },
      // the site's certificate for rogue3 with a key that is not its own
      { creds: { certPem: siteCert.certPem, keyPem: otherKey.keyPem as string }, sender: 'rogue3.example.net' },
    ]
    const rogue = new StompConnector({ pool: parseBrokerPool([brokerUrl()]), heartbeatMs: 2000, connectTimeoutMs: 3000, maxReconnectDelayMs: 500, connectRounds: 1, logger: silentLogger })
    rogue.subscribe(destinations.broadcast(collective, 'rpcutil'), (m) => {
      const wire = JSON.parse(JSON.parse(Buffer.from(m.body).toString()).payload)
      for (const s of signers) {
        const reply: Reply = { kind: 'reply', requestId: wire.requestid, sender: s.sender, agent: 'rpcutil', action: 'ping', status: 0, message: 'OK', data: { pong: 1 }, createdAtMs: Date.now() }
        void codecFor(s.creds)
          .encode(reply)
          .then((bytes) => rogue.publish(wire.reply_to, bytes))
      }
    })
    await rogue.connect()
    try {
      await new Promise((r) => setTimeout(r, 200))
      // Expect the rogues too, so the call waits for their replies whatever the broker's timing.
      const rogues = signers.map((s) => s.sender)
      const r = await t.client.call({ agent: 'rpcutil', action: 'ping', nodes: [...hosts.map((h) => h.identity), ...rogues], addressing: 'broadcast', timeoutMs: 1500 })
      expect(r.stats).toMatchObject({ ok: NODES, invalid: 3, no_response: 3 })
      expect(r.noResponse).toEqual(rogues)
      expect(r.replies.map((x) => x.sender)).not.toContain('rogue1.example.net')
      const reasons = r.invalid.map((x) => `${x.sender}: ${x.reason}`).sort()
      expect(reasons[0]).toMatch(/^rogue1\.example\.net: MCSH_SECURITY_CERT: .*not signed by the configured CA/)
      expect(reasons[1]).toMatch(/^rogue2\.example\.net: MCSH_SECURITY_ROLE: .*not a server certificate/)
      expect(reasons[2]).toMatch(/^rogue3\.example\.net: MCSH_SECURITY_SIGNATURE/)
    } finally {
      await rogue.close()
    }
  })

  it('refuses what the policy denies, per node, naming the rule', async () => {
    const one = { nodes: [hosts[0]!.identity] }
    const ok = await t.client.call({ agent: 'testagent', action: 'echo', args: { message: 'hi' }, ...one })
    expect(ok.replies.map((r) => r.status)).toEqual([0])
    const denied = await t.client.call({ agent: 'testagent', action: 'refuse', ...one })
    expect(denied.replies[0]).toMatchObject({ status: 1 })
    expect(denied.replies[0]!.message).toMatch(/^denied by .*testagent\.policy line 3: deny\s+cert=alice\s+refuse/)
    const byDefault = await t.client.call({ agent: 'testagent', action: 'explode', ...one })
    expect(byDefault.replies[0]!.message).toMatch(/denied by the default of .*testagent\.policy \(policy default deny\)/)
  })

  it('picks up a changed policy without a restart, and keeps the last good one when the file breaks', async () => {
    const file = join(policyDir, 'testagent.policy')
    const one = { nodes: [hosts[1]!.identity] }
    writeFileSync(file, 'policy default deny\nallow\tcert=alice\t*\t*\t*\n')
    await new Promise((r) => setTimeout(r, 1200))
    const now = await t.client.call({ agent: 'testagent', action: 'refuse', ...one })
    expect(now.replies[0]).toMatchObject({ status: 1, message: 'refused on purpose' })
    const before = daemonLog.length
    writeFileSync(file, 'policy default deny\nalow\tcert=alice\t*\t*\t*\n')
    await new Promise((r) => setTimeout(r, 1200))
    const still = await t.client.call({ agent: 'testagent', action: 'echo', args: { message: 'hi' }, ...one })
    expect(still.replies.map((r) => r.status)).toEqual([0])
    expect(daemonLog.slice(before).join('\n')).toMatch(/testagent\.policy line 2, column 1: expected allow or deny but found 'alow'/)
  })

  it('writes every request it acts on or refuses to the audit log, secrets redacted', async () => {
    await t.client.call({ agent: 'testagent', action: 'login', args: { user: 'root', password: 'hunter2' }, nodes: [hosts[2]!.identity] })
    const lines = readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    const login = lines.find((l) => l.action === 'login')
    expect(login).toMatchObject({ caller: 'cert=alice', node: hosts[2]!.identity, agent: 'testagent', outcome: 'ok', statuscode: 0, verified: true, inputs: { user: 'root', password: '<redacted>' } })
    expect(readFileSync(auditFile, 'utf8')).not.toContain('hunter2')
    expect(lines.some((l) => l.outcome === 'denied' && l.action === 'refuse' && l.statuscode === 1)).toBe(true)
    expect(lines.some((l) => l.outcome === 'rejected' && l.verified === false && /MCSH_SECURITY_SIGNATURE/.test(l.statusmsg))).toBe(true)
    expect(lines.some((l) => l.outcome === 'rejected' && /MCSH_MSG_REPLAYED/.test(l.statusmsg))).toBe(true)
  })

  it('keeps answering honest requests after all that', async () => {
    const r = await t.client.call({ agent: 'rpcutil', action: 'ping' })
    expect(r.stats).toMatchObject({ discovered: NODES, ok: NODES, invalid: 0 })
  })
}
