import { type Socket, createConnection } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { Client, type IFrame, type IMessage, type StompHeaders } from '@stomp/stompjs'
import { TCPWrapper } from '@stomp/tcp-wrapper'
import { afterEach, describe, expect, it } from 'vitest'
import { FrameParser, type StompFrame, encodeFrame } from '../../src/broker/frame.js'
import { type Broker, type BrokerOptions, type BrokerTuning, startBroker } from '../../src/broker/index.js'
import { silentLogger } from '../../src/util/logger.js'
import { makeTestPki } from '../helpers/tls.js'

const WAIT_MS = 4000

async function waitFor(cond: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const brokers: Broker[] = []
const clients: Client[] = []
const raws: RawClient[] = []

afterEach(async () => {
  for (const c of clients.splice(0)) await c.deactivate({ force: true }).catch(() => {})
  for (const r of raws.splice(0)) r.socket.destroy()
  for (const b of brokers.splice(0)) await b.close()
})

async function broker(options: BrokerOptions & BrokerTuning = {}): Promise<Broker> {
  const b = await startBroker({ port: 0, logger: silentLogger, ...options })
  brokers.push(b)
  return b
}

/** A STOMP client speaking by hand over a raw socket. */
class RawClient {
  readonly frames: StompFrame[] = []
  closed = false
  private readonly parser = new FrameParser((f) => this.frames.push(f))

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.parser.push(chunk))
    socket.on('error', () => {})
    socket.on('close', () => (this.closed = true))
    raws.push(this)
  }

  static async open(port: number): Promise<RawClient> {
    const socket = createConnection(port, '127.0.0.1')
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return new RawClient(socket)
  }

  static async connect(port: number, headers: Record<string, string> = { 'accept-version': '1.2' }): Promise<RawClient> {
    const c = await RawClient.open(port)
    c.send('CONNECT', headers)
    await c.next((f) => f.command === 'CONNECTED')
    return c
  }

  send(command: string, headers: Record<string, string> = {}, body?: string | Buffer): void {
    this.socket.write(encodeFrame(command, headers, body))
  }

  raw(data: string | Buffer): void {
    this.socket.write(data)
  }

  async next(match: (f: StompFrame) => boolean, what = 'a frame', timeoutMs = WAIT_MS): Promise<StompFrame> {
    let found: StompFrame | undefined
    await waitFor(() => (found = this.frames.find(match)) !== undefined, what, timeoutMs)
    return found as StompFrame
  }

  async error(timeoutMs = WAIT_MS): Promise<StompFrame> {
    const f = await this.next((x) => x.command === 'ERROR', 'an ERROR frame', timeoutMs)
    await waitFor(() => this.closed, 'the broker to close the connection', timeoutMs)
    return f
  }

  messages(): StompFrame[] {
    return this.frames.filter((f) => f.command === 'MESSAGE')
  }
}

function stomp(b: Broker, options: { login?: string; passcode?: string; onUnhandled?: (m: IMessage) => void } = {}): Client {
  const connectHeaders: StompHeaders = {}
  if (options.login !== undefined) connectHeaders.login = options.login
  if (options.passcode !== undefined) connectHeaders.passcode = options.passcode
  const client = new Client({
    webSocketFactory: () => new TCPWrapper('127.0.0.1', b.port),
    connectHeaders,
    reconnectDelay: 0,
    connectionTimeout: 3000,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    discardWebsocketOnCommFailure: true,
  })
  if (options.onUnhandled) client.onUnhandledMessage = options.onUnhandled
  clients.push(client)
  return client
}

async function connected(b: Broker, options: Parameters<typeof stomp>[1] = {}): Promise<Client> {
  const client = stomp(b, options)
  await new Promise<void>((resolve, reject) => {
    client.onConnect = () => resolve()
    client.onStompError = (f) => reject(new Error(f.headers.message))
    client.activate()
  })
  return client
}

let receiptSeq = 0
function receipt(client: Client): { headers: { receipt: string }; done: Promise<void> } {
  const id = `r-${++receiptSeq}`
  const done = new Promise<void>((resolve) => client.watchForReceipt(id, () => resolve()))
  return { headers: { receipt: id }, done }
}

async function subscribe(client: Client, destination: string, onMessage: (m: IMessage) => void, headers: StompHeaders = {}): Promise<void> {
  const r = receipt(client)
  client.subscribe(destination, onMessage, { ...headers, ...r.headers })
  await r.done
}

describe('broker with stompjs clients', () => {
  it('fans a topic message out to three subscribers, wildcards included', async () => {
    const b = await broker()
    const got: string[][] = [[], [], []]
    const patterns = ['/topic/mc.rpcutil.agent', '/topic/mc.*.agent', '/topic/mc.#']
    for (let i = 0; i < 3; i++) {
      const c = await connected(b)
      await subscribe(c, patterns[i] as string, (m) => got[i]?.push(`${m.headers.destination}|${m.body}|${m.headers['x-custom']}`))
    }
    const pub = await connected(b)
    pub.publish({ destination: '/topic/other', body: 'nobody' })
    pub.publish({ destination: '/topic/mc.rpcutil.agent', body: 'hello', headers: { 'x-custom': 'v:1' } })
    await waitFor(() => got.every((g) => g.length === 1), 'three deliveries')
    for (const g of got) expect(g).toEqual(['/topic/mc.rpcutil.agent|hello|v:1'])
    expect(b.stats().subscriptions).toBe(3)
    expect(b.stats().messagesIn).toBe(2)
    expect(b.stats().messagesOut).toBe(3)
  })

  it('delivers each queue message to one consumer, round-robin', async () => {
    const b = await broker()
    const a: string[] = []
    const c: string[] = []
    await subscribe(await connected(b), '/queue/work', (m) => a.push(m.body))
    await subscribe(await connected(b), '/queue/work', (m) => c.push(m.body))
    const pub = await connected(b)
    for (let i = 0; i < 10; i++) pub.publish({ destination: '/queue/work', body: String(i) })
    await waitFor(() => a.length + c.length === 10, 'ten deliveries')
    await sleep(50)
    expect(a.length + c.length).toBe(10)
    expect(a).toEqual(['0', '2', '4', '6', '8'])
    expect(c).toEqual(['1', '3', '5', '7', '9'])
  })

  it('buffers queue messages until someone subscribes, dropping beyond the limit', async () => {
    const b = await broker({ queueBufferLimit: 3 })
    const pub = await connected(b)
    const r = receipt(pub)
    for (let i = 1; i <= 4; i++) pub.publish({ destination: '/queue/later', body: `m${i}`, headers: i === 4 ? r.headers : {} })
    await r.done
    expect(b.stats().queues).toEqual({ later: 3 })
    expect(b.stats().dropped).toBe(1)
    const got: string[] = []
    await subscribe(await connected(b), '/queue/later', (m) => got.push(m.body))
    await waitFor(() => got.length === 3, 'buffered messages')
    expect(got).toEqual(['m2', 'm3', 'm4'])
    expect(b.stats().queues).toEqual({ later: 0 })
  })

  it('redelivers unacknowledged client-ack messages after a disconnect and a NACK', async () => {
    const b = await broker()
    const first = await connected(b)
    const seen: IMessage[] = []
    await subscribe(first, '/queue/jobs', (m) => seen.push(m), { ack: 'client-individual' })
    const pub = await connected(b)
    pub.publish({ destination: '/queue/jobs', body: 'job-1' })
    pub.publish({ destination: '/queue/jobs', body: 'job-2' })
    await waitFor(() => seen.length === 2, 'two deliveries')
    expect(seen[0]?.headers.ack).toBeDefined()
    seen[0]?.ack()
    await first.deactivate()
    const second = await connected(b)
    const again: IMessage[] = []
    await subscribe(second, '/queue/jobs', (m) => again.push(m), { ack: 'client' })
    await waitFor(() => again.length === 1, 'redelivery')
    expect(again[0]?.body).toBe('job-2')
    again[0]?.nack()
    await waitFor(() => again.length === 2, 'redelivery after NACK')
    expect(again[1]?.body).toBe('job-2')
    again[1]?.ack()
    const r = receipt(second)
    second.publish({ destination: '/topic/sync', headers: r.headers })
    await r.done
    await second.deactivate()
    expect(b.stats().queues).toEqual({ jobs: 0 })
  })

  it('routes replies to a temp queue through the rewritten reply-to', async () => {
    const b = await broker()
    const replies: IMessage[] = []
    const requester = await connected(b, { onUnhandled: (m) => replies.push(m) })
    const responder = await connected(b)
    let replyTo = ''
    await subscribe(responder, '/topic/mc.ping', (m) => {
      replyTo = m.headers['reply-to'] ?? ''
      responder.publish({ destination: replyTo, body: `pong:${m.body}`, headers: { 'correlation-id': m.headers['correlation-id'] ?? '' } })
    })
    requester.publish({ destination: '/topic/mc.ping', body: 'x', headers: { 'reply-to': '/temp-queue/r', 'correlation-id': 'c1' } })
    await waitFor(() => replies.length === 1, 'the reply')
    expect(replyTo).toMatch(/^\/queue\/amq\.gen-.+-r$/)
    expect(replies[0]?.body).toBe('pong:x')
    expect(replies[0]?.headers.subscription).toBe('/temp-queue/r')
    expect(replies[0]?.headers['correlation-id']).toBe('c1')
    // gone with its connection: later replies are dropped, not buffered
    await requester.deactivate()
    await waitFor(() => b.stats().connections === 1, 'the requester to leave')
    const r = receipt(responder)
    responder.publish({ destination: replyTo, body: 'late', headers: r.headers })
    await r.done
    expect(b.stats().dropped).toBe(1)
    expect(Object.keys(b.stats().queues)).toEqual([])
  })

  it('answers receipts', async () => {
    const b = await broker()
    const c = await connected(b)
    const r = receipt(c)
    c.publish({ destination: '/topic/x', body: 'b', headers: r.headers })
    await r.done
    const got: string[] = []
    await subscribe(c, '/topic/x', (m) => got.push(m.body))
  })

  it('refuses a wrong login and accepts a right one', async () => {
    const b = await broker({ users: [{ login: 'mc', passcode: 's3cret' }] })
    const bad = stomp(b, { login: 'mc', passcode: 'nope' })
    const error = new Promise<IFrame>((resolve) => (bad.onStompError = resolve))
    bad.activate()
    expect((await error).headers.message).toBe('access refused')
    await expect(connected(b, {})).rejects.toThrow('access refused')
    await connected(b, { login: 'mc', passcode: 's3cret' })
    expect(b.stats().errors).toBe(2)
  })

  it('commits and aborts transactions', async () => {
    const b = await broker()
    const got: string[] = []
    const c = await connected(b)
    await subscribe(c, '/topic/tx', (m) => got.push(m.body))
    const tx = c.begin('t1')
    c.publish({ destination: '/topic/tx', body: 'a', headers: { transaction: tx.id } })
    c.publish({ destination: '/topic/tx', body: 'b', headers: { transaction: tx.id } })
    const r1 = receipt(c)
    c.publish({ destination: '/topic/sync', headers: r1.headers })
    await r1.done
    expect(got).toEqual([])
    tx.commit()
    await waitFor(() => got.length === 2, 'committed messages')
    const tx2 = c.begin('t2')
    c.publish({ destination: '/topic/tx', body: 'c', headers: { transaction: tx2.id } })
    tx2.abort()
    const r2 = receipt(c)
    c.publish({ destination: '/topic/tx', body: 'd', headers: r2.headers })
    await r2.done
    await waitFor(() => got.length === 3, 'the message after the abort')
    expect(got).toEqual(['a', 'b', 'd'])
  })

  it('keeps a heart-beating stompjs client connected', async () => {
    const b = await broker({ heartbeatMs: 100 })
    const c = stomp(b)
    c.heartbeatIncoming = 100
    c.heartbeatOutgoing = 100
    let closes = 0
    c.onWebSocketClose = () => closes++
    await new Promise<void>((resolve) => {
      c.onConnect = () => resolve()
      c.activate()
    })
    const got: string[] = []
    await subscribe(c, '/topic/hb', (m) => got.push(m.body))
    await sleep(1600)
    c.publish({ destination: '/topic/hb', body: 'still here' })
    await waitFor(() => got.length === 1, 'a message after idling')
    expect(closes).toBe(0)
    expect(b.stats().errors).toBe(0)
  })

  it('round-trips binary bodies with NUL bytes', async () => {
    const b = await broker()
    const c = await connected(b)
    const got: Uint8Array[] = []
    await subscribe(c, '/queue/bin', (m) => got.push(m.binaryBody))
    c.publish({ destination: '/queue/bin', binaryBody: new Uint8Array([0, 1, 0, 2, 0]) })
    await waitFor(() => got.length === 1, 'binary message')
    expect([...(got[0] ?? [])]).toEqual([0, 1, 0, 2, 0])
  })

  it('close() sends ERROR broker shutting down and disconnects everyone', async () => {
    const b = await startBroker({ port: 0, logger: silentLogger })
    const c = stomp(b)
    const error = new Promise<IFrame>((resolve) => (c.onStompError = resolve))
    await new Promise<void>((resolve) => {
      c.onConnect = () => resolve()
      c.activate()
    })
    const raw = await RawClient.connect(b.port)
    const pre = await RawClient.open(b.port)
    const started = Date.now()
    await b.close()
    expect(Date.now() - started).toBeLessThan(2000)
    expect((await error).headers.message).toBe('broker shutting down')
    expect((await raw.error()).headers.get('message')).toBe('broker shutting down')
    await waitFor(() => pre.closed, 'the unconnected socket to close')
    expect(b.stats().connections).toBe(0)
    await expect(RawClient.open(b.port)).rejects.toThrow()
    await b.close()
  })
})

describe('broker with raw sockets', () => {
  it('rejects malformed frames with a precise ERROR and leaves other clients alone', async () => {
    const b = await broker()
    const bystander = await connected(b)
    const got: string[] = []
    await subscribe(bystander, '/topic/still', (m) => got.push(m.body))

    const cases: Array<[string | Buffer, string, string?]> = [
      ['FOO\n\n\0', "unknown command 'FOO'"],
      ['SEND\nreceipt:r1\ndestination /topic/a\n\n\0', "malformed header line in SEND frame: no ':' in 'destination /topic/a'", 'r1'],
      ['SEND\ndestination:/topic/a\nreceipt:r2\ncontent-length:abc\n\nx\0', "invalid content-length header in SEND frame: 'abc' is not a number", 'r2'],
      ['SEND\ndestination:/topic/a\nreceipt:r3\ncontent-length:1\n\nxy\0', 'malformed SEND frame: body of content-length 1 is not followed by a NUL byte', 'r3'],
      ['SEND\nreceipt:r4\n\nbody\0', "SEND frame is missing the required 'destination' header", 'r4'],
      ['SUBSCRIBE\ndestination:/topic/a\n\n\0', "SUBSCRIBE frame is missing the required 'id' header"],
      ['SEND\ndestination:/exchange/x\nreceipt:r5\n\n\0', "unknown destination '/exchange/x': the broker accepts /topic/NAME, /queue/NAME, /temp-queue/NAME", 'r5'],
      ['SUBSCRIBE\nid:1\ndestination:/topic/a\nack:sometimes\n\n\0', "invalid ack mode 'sometimes' in SUBSCRIBE: expected auto, client or client-individual"],
      ['ACK\nid:404\n\n\0', "ACK for an unknown or already acknowledged message (id '404')"],
      ['COMMIT\ntransaction:nope\n\n\0', "unknown transaction 'nope' in COMMIT: BEGIN it first"],
      ['MESSAGE\n\n\0', 'MESSAGE is a server frame: a client may not send it'],
      [`SEND\ndestination:/topic/a\n${Array.from({ length: 101 }, (_, i) => `h${i}:v`).join('\n')}\n\n\0`, 'too many headers in SEND frame: more than 100'],
      [`SEND\ndestination:/topic/a\nx:${'y'.repeat(70_000)}\n\n\0`, 'header line too long in SEND frame: more than 65536 bytes'],
      ['SEND\nx:bad\\escape\n\n\0', "invalid escape sequence '\\e' in header 'x' of SEND frame"],
    ]
    for (const [data, message, receiptId] of cases) {
      const c = await RawClient.connect(b.port)
      c.raw(data)
      const error = await c.error()
      expect(error.headers.get('message'), JSON.stringify(data).slice(0, 80)).toBe(message)
      expect(error.headers.get('receipt-id')).toBe(receiptId)
    }
    const pub = await connected(b)
    pub.publish({ destination: '/topic/still', body: 'alive' })
    await waitFor(() => got.length === 1, 'the bystander to get its message')
    expect(b.stats().errors).toBe(cases.length)
    expect(b.stats().connections).toBe(2)
  })

  it('requires CONNECT first', async () => {
    const b = await broker()
    const c = await RawClient.open(b.port)
    c.send('SEND', { destination: '/topic/a' }, 'x')
    expect((await c.error()).headers.get('message')).toBe('not connected: the first frame must be CONNECT or STOMP, not SEND')
  })

  it('negotiates versions and refuses unknown ones', async () => {
    const b = await broker({ heartbeatMs: 0 })
    const v11 = await RawClient.connect(b.port, { 'accept-version': '1.1,2.0', host: 'x' })
    const connected11 = v11.frames[0]
    expect(connected11?.headers.get('version')).toBe('1.1')
    expect(connected11?.headers.get('server')).toBe('mcsh-broker/0.1')
    expect(connected11?.headers.get('session')).toBeTruthy()
    expect(connected11?.headers.get('heart-beat')).toBe('0,0')
    const v10 = await RawClient.connect(b.port, {})
    expect(v10.frames[0]?.headers.get('version')).toBe('1.0')
    const bad = await RawClient.open(b.port)
    bad.send('CONNECT', { 'accept-version': '2.0' })
    const e = await bad.error()
    expect(e.headers.get('message')).toContain('unsupported protocol version')
    expect(e.headers.get('version')).toBe('1.2,1.1,1.0')
  })

  it('serves a STOMP 1.0 client: SUBSCRIBE without id, ACK by message-id, unescaped headers', async () => {
    const b = await broker()
    const c = await RawClient.connect(b.port, { login: 'x', passcode: 'y' })
    c.send('SUBSCRIBE', { destination: '/queue/old', ack: 'client', receipt: 'sub' }, undefined)
    await c.next((f) => f.command === 'RECEIPT')
    const pub = await RawClient.connect(b.port)
    pub.send('SEND', { destination: '/queue/old', 'x-h': 'a:b' }, 'legacy')
    const m = await c.next((f) => f.command === 'MESSAGE')
    expect(m.headers.get('subscription')).toBe('/queue/old')
    expect(m.headers.get('x-h')).toBe('a:b')
    expect(m.body.toString()).toBe('legacy')
    c.raw(`ACK\nmessage-id:${m.headers.get('message-id')}\nreceipt:ack\n\n\0`)
    await c.next((f) => f.headers.get('receipt-id') === 'ack')
    expect(c.closed).toBe(false)
  })

  it('accepts CRLF frames, heart-beat EOLs and frames split across writes', async () => {
    const b = await broker()
    const sub = await RawClient.connect(b.port)
    sub.raw('SUBSCRIBE\r\nid:s\r\ndestination:/topic/split\r\nreceipt:s\r\n\r\n\0\r\n\n')
    await sub.next((f) => f.command === 'RECEIPT')
    const pub = await RawClient.connect(b.port)
    const frame = encodeFrame('SEND', { destination: '/topic/split', receipt: 'p' }, Buffer.from([0, 65, 0]))
    for (const byte of frame) pub.raw(Buffer.from([byte]))
    await pub.next((f) => f.command === 'RECEIPT')
    const m = await sub.next((f) => f.command === 'MESSAGE')
    expect([...m.body]).toEqual([0, 65, 0])
    expect(m.headers.get('receipt')).toBeUndefined()
    expect(m.headers.get('content-length')).toBe('3')
  })

  it('closes a connection that sends a frame over the maximum size', async () => {
    const b = await broker({ maxFrameBytes: 1024 })
    const ok = await RawClient.connect(b.port)
    ok.send('SEND', { destination: '/topic/a', receipt: 'small' }, 'x'.repeat(900))
    await ok.next((f) => f.headers.get('receipt-id') === 'small')
    const big = await RawClient.connect(b.port)
    big.send('SEND', { destination: '/topic/a', receipt: 'big' }, 'x'.repeat(2000))
    const e = await big.error()
    expect(e.headers.get('message')).toBe('frame too large: content-length 2000 exceeds the maximum frame size of 1024 bytes')
    expect(e.headers.get('receipt-id')).toBe('big')
    const noLength = await RawClient.connect(b.port)
    noLength.raw('SEND\ndestination:/topic/a\n\n' + 'x'.repeat(2000))
    expect((await noLength.error()).headers.get('message')).toBe('frame too large: more than 1024 bytes')
    expect(ok.closed).toBe(false)
  })

  it('closes a silent client after twice the heart-beat interval plus a second, and sends heart-beats', async () => {
    const b = await broker({ heartbeatMs: 100 })
    const silent = await RawClient.connect(b.port, { 'accept-version': '1.2', 'heart-beat': '100,0' })
    expect(silent.frames[0]?.headers.get('heart-beat')).toBe('100,100')
    const beating = await RawClient.connect(b.port, { 'accept-version': '1.2', 'heart-beat': '100,100' })
    let eols = 0
    beating.socket.on('data', (chunk: Buffer) => {
      if (chunk.every((x) => x === 10)) eols++
    })
    const pinger = setInterval(() => beating.raw('\n'), 100)
    try {
      const started = Date.now()
      const e = await silent.error(5000)
      const elapsed = Date.now() - started
      expect(e.headers.get('message')).toMatch(/^heart-beat timeout: nothing received for \d+ ms/)
      expect(elapsed).toBeGreaterThanOrEqual(1100)
      expect(elapsed).toBeLessThan(3500)
      expect(beating.closed).toBe(false)
      expect(eols).toBeGreaterThanOrEqual(5)
    } finally {
      clearInterval(pinger)
    }
  })

  it('closes a slow consumer instead of buffering without bound', async () => {
    const b = await broker({ writeHighWaterBytes: 4 * 1024 * 1024 })
    const slow = await RawClient.connect(b.port)
    slow.send('SUBSCRIBE', { id: '1', destination: '/topic/flood', receipt: 'sub' })
    await slow.next((f) => f.command === 'RECEIPT')
    slow.socket.pause()
    const fast = await RawClient.connect(b.port)
    fast.send('SUBSCRIBE', { id: '1', destination: '/topic/flood' })
    let fastGot = 0
    fast.socket.on('data', () => fastGot++)
    const pub = await RawClient.connect(b.port)
    const body = Buffer.alloc(256 * 1024, 0x61)
    for (let i = 0; i < 200 && b.stats().errors === 0; i++) {
      pub.send('SEND', { destination: '/topic/flood', receipt: `p${i}` }, body)
      await pub.next((f) => f.headers.get('receipt-id') === `p${i}`)
    }
    await waitFor(() => b.stats().errors === 1 && b.stats().connections === 2, 'the slow consumer to be dropped')
    expect(fast.closed).toBe(false)
    expect(fastGot).toBeGreaterThan(0)
  })

  it('keeps a temp queue private: other connections may not subscribe to it', async () => {
    const b = await broker()
    const owner = await RawClient.connect(b.port)
    owner.send('SEND', { destination: '/topic/t', 'reply-to': '/temp-queue/mine', receipt: 'x' })
    const spy = await RawClient.connect(b.port)
    spy.send('SUBSCRIBE', { id: 'a', destination: '/topic/t', receipt: 's' })
    await spy.next((f) => f.command === 'RECEIPT')
    owner.send('SEND', { destination: '/topic/t', 'reply-to': '/temp-queue/mine' })
    const m = await spy.next((f) => f.command === 'MESSAGE')
    const replyTo = m.headers.get('reply-to') as string
    spy.send('SUBSCRIBE', { id: 'b', destination: replyTo })
    expect((await spy.error()).headers.get('message')).toBe(`queue '${replyTo}' is a temp queue exclusive to another connection`)
    // the owner can also read its temp queue by sending to it directly
    owner.send('SEND', { destination: '/temp-queue/mine' }, 'self')
    const self = await owner.next((f) => f.command === 'MESSAGE')
    expect(self.headers.get('subscription')).toBe('/temp-queue/mine')
  })

  it('acknowledges cumulatively in client mode and redelivers the rest on disconnect', async () => {
    const b = await broker()
    const first = await RawClient.connect(b.port)
    first.send('SUBSCRIBE', { id: 'q', destination: '/queue/cum', ack: 'client', receipt: 's' })
    await first.next((f) => f.command === 'RECEIPT')
    const pub = await RawClient.connect(b.port)
    for (const body of ['1', '2', '3']) pub.send('SEND', { destination: '/queue/cum' }, body)
    await waitFor(() => first.messages().length === 3, 'three messages')
    const second = first.messages()[1]
    first.send('ACK', { id: second?.headers.get('ack') as string, receipt: 'a' })
    await first.next((f) => f.headers.get('receipt-id') === 'a')
    first.socket.destroy()
    const next = await RawClient.connect(b.port)
    next.send('SUBSCRIBE', { id: 'q', destination: '/queue/cum' })
    await waitFor(() => next.messages().length === 1, 'the unacknowledged message')
    await sleep(50)
    expect(next.messages().map((m) => m.body.toString())).toEqual(['3'])
  })

  it('disconnects with a receipt', async () => {
    const b = await broker()
    const c = await RawClient.connect(b.port)
    c.send('DISCONNECT', { receipt: 'bye' })
    await c.next((f) => f.command === 'RECEIPT' && f.headers.get('receipt-id') === 'bye')
    await waitFor(() => c.closed, 'the connection to close')
    await waitFor(() => b.stats().connections === 0, 'the broker to forget it')
  })
})

describe('broker over TLS', () => {
  it('serves stomp+ssl', async () => {
    const pki = makeTestPki()
    const keyPem = pki.serverKey
    const certPem = pki.serverCert
    const b = await broker({ tls: { key: keyPem, cert: certPem } })
    expect(b.url).toBe(`stomp+ssl://127.0.0.1:${b.port}`)
    const socket = tlsConnect({ host: '127.0.0.1', port: b.port, ca: pki.caCert })
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve)
      socket.once('error', reject)
    })
    const c = new RawClient(socket)
    c.send('CONNECT', { 'accept-version': '1.2' })
    await c.next((f) => f.command === 'CONNECTED')
    c.send('SUBSCRIBE', { id: '1', destination: '/topic/s' })
    c.send('SEND', { destination: '/topic/s' }, 'secret')
    expect((await c.next((f) => f.command === 'MESSAGE')).body.toString()).toBe('secret')
  })
})
