import { describe, expect, it } from 'vitest'
import { emptyFilter } from '../../../src/filter/types.js'
import { MessageCodec } from '../../../src/protocol/codec.js'
import type { Reply, Request } from '../../../src/protocol/messages.js'
import { toWire } from '../../../src/protocol/wire.js'
import { createPsk } from '../../../src/security/psk.js'
import { createJsonSerializer } from '../../../src/serializer/json.js'

const codec = (psk = 'k1', callerId = 'uid=1000', maxMessageBytes = 65536) =>
  new MessageCodec({ security: createPsk({ psk, callerId }), serializer: createJsonSerializer(), maxMessageBytes })

const request: Request = {
  kind: 'request',
  id: 'a'.repeat(32),
  sender: 'ops-laptop',
  callerId: 'uid=1000',
  collective: 'mcollective',
  agent: 'rpcutil',
  action: 'get_fact',
  data: { fact: 'os' },
  filter: { ...emptyFilter(), fact: [{ fact: 'role', operator: '==', value: 'web' }] },
  createdAtMs: 1_700_000_000_000,
  ttlSeconds: 60,
  replyTo: '/topic/mcollective.reply.abc',
}

const reply: Reply = {
  kind: 'reply',
  requestId: request.id,
  sender: 'web1.example.net',
  agent: 'rpcutil',
  action: 'get_fact',
  status: 0,
  message: 'OK',
  data: { fact: 'os', value: 'linux' },
  createdAtMs: 1_700_000_000_100,
}

function tamper(bytes: Buffer, f: (sealed: Record<string, unknown>) => void): Buffer {
  const o = JSON.parse(bytes.toString())
  f(o)
  return Buffer.from(JSON.stringify(o))
}

describe('MessageCodec with psk', () => {
  it('round-trips requests and replies exactly', async () => {
    const c = codec()
    expect((await c.decode(await c.encode(request))).message).toEqual(request)
    const decoded = await c.decode(await c.encode(reply))
    expect(decoded.message).toEqual(reply)
    expect(decoded.signer).toBe('web1.example.net')
  })

  it('writes the documented wire shape', async () => {
    const sealed = JSON.parse((await codec().encode(request)).toString())
    expect(Object.keys(sealed)).toEqual(['mcsh', 'serializer', 'seal', 'payload'])
    expect(sealed.seal).toMatchObject({ plugin: 'psk', signer: 'uid=1000' })
    expect(JSON.parse(sealed.payload)).toEqual({
      protocol: 'mcsh/1',
      type: 'request',
      requestid: request.id,
      senderid: 'ops-laptop',
      callerid: 'uid=1000',
      collective: 'mcollective',
      agent: 'rpcutil',
      msgtime: request.createdAtMs,
      ttl: 60,
      filter: request.filter,
      reply_to: request.replyTo,
      body: { action: 'get_fact', data: { fact: 'os' } },
    })
  })

  it('refuses a message sealed with another key', async () => {
    await expect(codec('k2').decode(await codec('k1').encode(request))).rejects.toMatchObject({ code: 'MCSH_SECURITY_SIGNATURE' })
  })

  it('refuses a payload altered after signing', async () => {
    const bytes = tamper(await codec().encode(request), (o) => {
      o.payload = String(o.payload).replace('"get_fact"', '"inventory"')
    })
    await expect(codec().decode(bytes)).rejects.toMatchObject({ code: 'MCSH_SECURITY_SIGNATURE' })
  })

  it('refuses a caller id that differs from the signer', async () => {
    // A valid seal by 'uid=1000' over a payload that claims to come from 'cert=root'.
    const payload = createJsonSerializer().encode(toWire({ ...request, callerId: 'cert=root' }))
    const seal = createPsk({ psk: 'k1', callerId: 'uid=1000' }).seal(payload, 'request', 'uid=1000')
    const bytes = Buffer.from(JSON.stringify({ mcsh: 'mcsh/1', serializer: 'json', seal, payload: payload.toString() }))
    await expect(codec().decode(bytes)).rejects.toMatchObject({ code: 'MCSH_SECURITY_CALLER' })
  })

  it('refuses a swapped signer and a reply presented as a request', async () => {
    const swapped = tamper(await codec().encode(request), (o) => {
      ;(o.seal as Record<string, string>).signer = 'uid=0'
    })
    await expect(codec().decode(swapped)).rejects.toMatchObject({ code: 'MCSH_SECURITY_SIGNATURE' })
    const asRequest = tamper(await codec().encode(reply), (o) => {
      o.payload = String(o.payload).replace('"type":"reply"', '"type":"request"')
    })
    await expect(codec().decode(asRequest)).rejects.toMatchObject({ code: 'MCSH_SECURITY_SIGNATURE' })
  })

  it('refuses unsigned, truncated, oversize, foreign and malformed messages with precise codes', async () => {
    const c = codec()
    const good = await c.encode(request)
    await expect(c.decode(tamper(good, (o) => delete o.seal))).rejects.toMatchObject({ code: 'MCSH_SECURITY_UNSIGNED' })
    await expect(c.decode(good.subarray(0, good.length - 10))).rejects.toMatchObject({ code: 'MCSH_MSG_MALFORMED' })
    await expect(codec('k1', 'uid=1000', 100).decode(good)).rejects.toMatchObject({ code: 'MCSH_MSG_TOO_LARGE' })
    await expect(c.decode(tamper(good, (o) => (o.mcsh = 'mcsh/9')))).rejects.toMatchObject({ code: 'MCSH_MSG_PROTOCOL' })
    await expect(c.decode(tamper(good, (o) => (o.serializer = 'yaml')))).rejects.toMatchObject({ code: 'MCSH_MSG_SERIALIZER' })
    await expect(c.decode(tamper(good, (o) => ((o.seal as Record<string, string>).plugin = 'ssl')))).rejects.toMatchObject({ code: 'MCSH_SECURITY_MISMATCH' })
    await expect(c.decode(Buffer.from('hello'))).rejects.toThrow(/not a sealed mcsh message/)
  })

  it('names the malformed field of a verified payload', async () => {
    const c = codec()
    const bad = await c.encode({ ...request, agent: 'no spaces allowed' } as Request)
    await expect(c.decode(bad)).rejects.toThrow(/field 'agent' is missing or malformed/)
    const badFilter = await c.encode({ ...request, filter: { fact: 'os=linux' } } as unknown as Request)
    await expect(c.decode(badFilter)).rejects.toMatchObject({ code: 'MCSH_BAD_FILTER' })
  })

  it('refuses to encode a message over the size limit', async () => {
    await expect(codec('k1', 'uid=1000', 500).encode({ ...request, data: { blob: 'x'.repeat(1000) } })).rejects.toMatchObject({ code: 'MCSH_MSG_TOO_LARGE' })
  })
})
