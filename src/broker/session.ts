import { createHash, timingSafeEqual } from 'node:crypto'
import type { Socket } from 'node:net'
import { errorMessage } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import {
  type Consumer,
  type Counters,
  type Destination,
  type MessageQueue,
  type Router,
  TEMP_QUEUE_NAME_PREFIX,
  destinationError,
  parseDestination,
} from './destinations.js'
import {
  CLIENT_COMMANDS,
  type EscapeMode,
  FrameParser,
  HEARTBEAT,
  OutboundMessage,
  type StompFrame,
  StompFrameError,
  type StompVersion,
  encodeFrame,
  escapeModeFor,
  messagePrefix,
  missingHeaderError,
} from './frame.js'

export const SERVER_NAME = 'mcsh-broker/0.1'
export const SUPPORTED_VERSIONS: readonly StompVersion[] = ['1.2', '1.1', '1.0']

/** Frames one transaction may hold before COMMIT. */
const MAX_TRANSACTION_FRAMES = 10_000

/** SEND headers not copied to MESSAGE: the broker sets or recomputes them, or they concern the SEND only. */
const NOT_FORWARDED: ReadonlySet<string> = new Set([
  'destination',
  'message-id',
  'subscription',
  'ack',
  'content-length',
  'receipt',
  'transaction',
])

export interface SessionContext {
  readonly router: Router
  readonly counters: Counters
  readonly logger: Logger
  readonly users: ReadonlyArray<{ login: string; passcode: string }> | undefined
  readonly maxFrameBytes: number
  readonly maxHeaders: number
  readonly maxHeaderLineBytes: number
  readonly heartbeatMs: number
  readonly writeHighWaterBytes: number
  readonly connectTimeoutMs: number
  readonly closeGraceMs: number
  onClosed(session: Session): void
}

export type AckMode = 'auto' | 'client' | 'client-individual'

const ACK_MODES: ReadonlySet<string> = new Set(['auto', 'client', 'client-individual'])

interface Unacked {
  message: OutboundMessage
  queue: MessageQueue | undefined
}

class Subscription implements Consumer {
  /** Ack id → message, in delivery order (client mode acknowledges cumulatively). */
  readonly unacked = new Map<string, Unacked>()

  constructor(
    readonly session: Session,
    readonly id: string,
    readonly destination: Destination,
    readonly ackMode: AckMode,
    readonly prefix: Buffer,
    readonly queue: MessageQueue | undefined,
  ) {}

  deliver(message: OutboundMessage, queue: MessageQueue | undefined): boolean {
    return this.session.deliver(this, message, queue)
  }
}

/** The highest version both sides speak; 1.0 when the client names none; undefined when there is none in common. */
export function negotiateVersion(acceptVersion: string | undefined): StompVersion | undefined {
  if (acceptVersion === undefined || acceptVersion.trim() === '') return '1.0'
  const offered = acceptVersion.split(',').map((v) => v.trim())
  return SUPPORTED_VERSIONS.find((v) => offered.includes(v))
}

/** `cx,cy` → [cx, cy]; [0, 0] when absent; undefined when malformed. */
export function parseHeartbeat(value: string | undefined): [number, number] | undefined {
  if (value === undefined) return [0, 0]
  const m = /^\s*(\d{1,9})\s*,\s*(\d{1,9})\s*$/.exec(value)
  if (!m) return undefined
  return [Number(m[1]), Number(m[2])]
}

/*
 * Corked sockets are uncorked together after the poll phase (setImmediate), not at the end of
 * each callback (nextTick): replies from many connections read in one loop iteration then reach
 * the requester in one writev instead of one syscall per reply.
 */
let uncorkQueue: Array<() => void> = []

function uncorkAll(): void {
  const queue = uncorkQueue
  uncorkQueue = []
  for (const uncork of queue) uncork()
}

function scheduleUncork(uncork: () => void): void {
  if (uncorkQueue.push(uncork) === 1) setImmediate(uncorkAll)
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

type State = 'connecting' | 'connected' | 'closing' | 'closed'

/** One client connection: protocol state, subscriptions, pending acks, transactions, heart-beats, batched writes. */
export class Session {
  readonly peer: string
  readonly closed: Promise<void>
  private resolveClosed: () => void = () => {}
  private state: State = 'connecting'
  private version: StompVersion = '1.2'
  private mode: EscapeMode = '1.2'
  private login: string | undefined
  private readonly parser: FrameParser
  private readonly subscriptions = new Map<string, Subscription>()
  /** Keyed by the NAME of `/temp-queue/NAME`. */
  private readonly tempQueues = new Map<string, MessageQueue>()
  private readonly ackOwners = new Map<string, Subscription>()
  private readonly transactions = new Map<string, StompFrame[]>()
  private ackSeq = 0
  private messageSeq = 0
  private corked = false
  private wroteSinceBeat = false
  private overHighWater = false
  private lastReadAtMs = Date.now()
  private timers: Array<ReturnType<typeof setTimeout>> = []

  constructor(
    private readonly socket: Socket,
    readonly id: string,
    private readonly ctx: SessionContext,
  ) {
    this.peer = `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve))
    this.parser = new FrameParser((frame) => this.onFrame(frame), {
      maxFrameBytes: ctx.maxFrameBytes,
      maxHeaders: ctx.maxHeaders,
      maxHeaderLineBytes: ctx.maxHeaderLineBytes,
    })
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (e) => ctx.logger.debug('broker connection error', { peer: this.peer, session: this.id, error: e.message }))
    socket.on('close', () => this.onClose())
    this.after(ctx.connectTimeoutMs, () => {
      if (this.state === 'connecting') this.fail(`no CONNECT frame within ${ctx.connectTimeoutMs} ms`)
    })
  }

  get isConnected(): boolean {
    return this.state === 'connected'
  }

  /** Server shutdown: ERROR to the client, then close. */
  shutdown(message: string): void {
    if (this.state === 'closing' || this.state === 'closed') return
    this.sendError(message, {})
    this.closeGracefully()
  }

  destroy(): void {
    this.socket.destroy()
  }

  // ---- delivery (called by the router) ----

  deliver(sub: Subscription, message: OutboundMessage, queue: MessageQueue | undefined): boolean {
    if (this.state !== 'connected' || this.overHighWater || this.socket.destroyed) return false
    this.write(sub.prefix)
    if (sub.ackMode !== 'auto') {
      const ackId = String(++this.ackSeq)
      sub.unacked.set(ackId, { message, queue })
      this.ackOwners.set(ackId, sub)
      this.write(`ack:${ackId}\n`)
    }
    this.write(message.block(this.mode))
    this.ctx.counters.messagesOut++
    if (this.socket.writableLength > this.ctx.writeHighWaterBytes) {
      this.overHighWater = true
      // Not now: the caller may be iterating a queue's consumers.
      process.nextTick(() =>
        this.fail('slow consumer', {
          detail: `more than ${this.ctx.writeHighWaterBytes} bytes are waiting to be written to this connection`,
        }),
      )
    }
    return true
  }

  // ---- input ----

  private onData(chunk: Buffer): void {
    this.ctx.counters.bytesIn += chunk.length
    this.lastReadAtMs = Date.now()
    if (this.state !== 'connecting' && this.state !== 'connected') return
    try {
      this.parser.push(chunk)
    } catch (e) {
      if (e instanceof StompFrameError) {
        this.fail(e.message, { receiptId: e.receiptId })
      } else {
        this.ctx.logger.error('broker internal error', { peer: this.peer, session: this.id, error: errorMessage(e) })
        this.fail('internal error', { detail: errorMessage(e) })
      }
    }
  }

  private protocolError(message: string, frame: StompFrame): StompFrameError {
    return new StompFrameError(message, frame.headers.get('receipt'))
  }

  private onFrame(frame: StompFrame): void {
    if (this.state !== 'connecting' && this.state !== 'connected') {
      this.parser.stop()
      return
    }
    this.ctx.counters.framesIn++
    const command = frame.command
    if (this.state === 'connecting') {
      if (command === 'CONNECT' || command === 'STOMP') return this.handleConnect(frame)
      throw this.protocolError(`not connected: the first frame must be CONNECT or STOMP, not ${command}`, frame)
    }
    if (!CLIENT_COMMANDS.has(command)) throw this.protocolError(`${command} is a server frame: a client may not send it`, frame)
    const missing = missingHeaderError(frame, this.version)
    if (missing !== undefined) throw this.protocolError(missing, frame)
    switch (command) {
      case 'SEND':
        this.handleSend(frame, false)
        break
      case 'SUBSCRIBE':
        this.handleSubscribe(frame)
        break
      case 'UNSUBSCRIBE':
        this.handleUnsubscribe(frame)
        break
      case 'ACK':
      case 'NACK':
        this.handleAck(frame, false)
        break
      case 'BEGIN': {
        const tx = frame.headers.get('transaction') as string
        if (this.transactions.has(tx)) throw this.protocolError(`transaction '${tx}' has already begun`, frame)
        this.transactions.set(tx, [])
        break
      }
      case 'COMMIT': {
        const frames = this.transaction(frame)
        this.transactions.delete(frame.headers.get('transaction') as string)
        for (const f of frames) {
          if (f.command === 'SEND') this.handleSend(f, true)
          else this.handleAck(f, true)
        }
        break
      }
      case 'ABORT':
        this.transaction(frame)
        this.transactions.delete(frame.headers.get('transaction') as string)
        break
      case 'DISCONNECT':
        this.sendReceipt(frame)
        this.ctx.logger.debug('STOMP client disconnected', { peer: this.peer, session: this.id })
        this.closeGracefully()
        return
      default:
        throw this.protocolError(`already connected: ${command} may only be the first frame`, frame)
    }
    this.sendReceipt(frame)
  }

  private handleConnect(frame: StompFrame): void {
    const h = frame.headers
    const accept = h.get('accept-version')
    const version = negotiateVersion(accept)
    if (version === undefined) {
      this.fail(`unsupported protocol version: the client accepts ${accept ?? ''}, the broker speaks 1.0, 1.1 and 1.2`, {
        headers: [['version', '1.2,1.1,1.0']],
      })
      return
    }
    const login = h.get('login')
    if (this.ctx.users !== undefined && !this.authenticate(login, h.get('passcode'))) {
      this.fail('access refused', { detail: `login '${login ?? ''}' refused: unknown login or wrong passcode` })
      return
    }
    const heartbeat = parseHeartbeat(h.get('heart-beat'))
    if (heartbeat === undefined) {
      this.fail(`malformed heart-beat header '${h.get('heart-beat') ?? ''}': expected two integers, e.g. 10000,10000`)
      return
    }
    this.clearTimers()
    this.state = 'connected'
    this.version = version
    this.mode = escapeModeFor(version)
    this.parser.escape = this.mode
    this.login = login
    const offerMs = this.ctx.heartbeatMs
    const [clientSendsMs, clientWantsMs] = heartbeat
    const sendEveryMs = offerMs > 0 && clientWantsMs > 0 ? Math.max(offerMs, clientWantsMs) : 0
    const expectEveryMs = offerMs > 0 && clientSendsMs > 0 ? Math.max(offerMs, clientSendsMs) : 0
    this.write(
      encodeFrame('CONNECTED', [
        ['version', version],
        ['server', SERVER_NAME],
        ['session', this.id],
        ['heart-beat', `${offerMs},${offerMs}`],
      ]),
    )
    if (sendEveryMs > 0) {
      // Checking every half interval keeps the gap between two writes under the interval.
      this.every(Math.max(1, Math.floor(sendEveryMs / 2)), () => {
        if (!this.wroteSinceBeat) this.write(HEARTBEAT)
        this.wroteSinceBeat = false
      })
    }
    if (expectEveryMs > 0) {
      const limitMs = 2 * expectEveryMs + 1000
      this.every(Math.min(expectEveryMs, 1000), () => {
        const silentMs = Date.now() - this.lastReadAtMs
        if (silentMs > limitMs)
          this.fail(`heart-beat timeout: nothing received for ${silentMs} ms (heart-beat every ${expectEveryMs} ms was agreed)`)
      })
    }
    this.ctx.logger.debug('STOMP client connected', { peer: this.peer, session: this.id, version, login })
  }

  private authenticate(login: string | undefined, passcode: string | undefined): boolean {
    if (login === undefined || passcode === undefined) return false
    const given = digest(passcode)
    let ok = false
    for (const user of this.ctx.users ?? []) {
      if (user.login === login && timingSafeEqual(digest(user.passcode), given)) ok = true
    }
    return ok
  }

  private destination(frame: StompFrame): Destination {
    const raw = frame.headers.get('destination') as string
    const dest = parseDestination(raw)
    if (!dest) throw this.protocolError(destinationError(raw), frame)
    return dest
  }

  private transaction(frame: StompFrame): StompFrame[] {
    const tx = frame.headers.get('transaction') as string
    const frames = this.transactions.get(tx)
    if (!frames) throw this.protocolError(`unknown transaction '${tx}' in ${frame.command}: BEGIN it first`, frame)
    return frames
  }

  private enlist(frame: StompFrame): void {
    const frames = this.transaction(frame)
    if (frames.length >= MAX_TRANSACTION_FRAMES)
      throw this.protocolError(`transaction '${frame.headers.get('transaction')}' holds more than ${MAX_TRANSACTION_FRAMES} frames`, frame)
    frames.push(frame)
  }

  private handleSend(frame: StompFrame, committed: boolean): void {
    const dest = this.destination(frame)
    if (!committed && frame.headers.has('transaction')) return this.enlist(frame)
    const headers: Array<[string, string]> = []
    for (const [name, value] of frame.headers) {
      if (NOT_FORWARDED.has(name)) continue
      headers.push([name, name === 'reply-to' ? this.rewriteReplyTo(value) : value])
    }
    const message = new OutboundMessage(`${this.id}-${++this.messageSeq}`, dest.raw, headers, frame.body)
    this.ctx.counters.messagesIn++
    switch (dest.kind) {
      case 'topic':
        this.ctx.router.publishTopic(dest.name, message)
        break
      case 'queue':
        if (!this.ctx.router.publishQueue(dest.name, message))
          this.ctx.logger.debug('message to a deleted temp queue dropped', { peer: this.peer, destination: dest.raw })
        break
      case 'temp-queue':
        this.tempQueue(dest.name).offer(message)
        break
    }
  }

  /** `/temp-queue/NAME` → `/queue/amq.gen-<session>-NAME`, delivered to this connection. */
  private rewriteReplyTo(value: string): string {
    const dest = parseDestination(value)
    if (dest?.kind !== 'temp-queue') return value
    return `/queue/${this.tempQueue(dest.name).name}`
  }

  private tempQueue(name: string): MessageQueue {
    let queue = this.tempQueues.get(name)
    if (!queue) {
      const raw = `/temp-queue/${name}`
      const fallback = new Subscription(this, raw, { kind: 'temp-queue', name, raw }, 'auto', messagePrefix(raw, this.mode), undefined)
      queue = this.ctx.router.createTempQueue(`${TEMP_QUEUE_NAME_PREFIX}${this.id}-${name}`, this.id, fallback)
      this.tempQueues.set(name, queue)
    }
    return queue
  }

  private handleSubscribe(frame: StompFrame): void {
    const h = frame.headers
    const dest = this.destination(frame)
    const id = h.get('id') ?? dest.raw
    const ack = h.get('ack') ?? 'auto'
    if (!ACK_MODES.has(ack)) throw this.protocolError(`invalid ack mode '${ack}' in SUBSCRIBE: expected auto, client or client-individual`, frame)
    if (this.subscriptions.has(id)) throw this.protocolError(`duplicate subscription id '${id}'`, frame)
    let queue: MessageQueue | undefined
    if (dest.kind === 'queue') {
      const existing = this.ctx.router.findQueue(dest.name)
      if (existing?.owner !== undefined && existing.owner !== this.id)
        throw this.protocolError(`queue '${dest.raw}' is a temp queue exclusive to another connection`, frame)
      queue = existing ?? this.ctx.router.queue(dest.name)
    } else if (dest.kind === 'temp-queue') {
      queue = this.tempQueue(dest.name)
    }
    const sub = new Subscription(this, id, dest, ack as AckMode, messagePrefix(id, this.mode), queue)
    this.subscriptions.set(id, sub)
    this.ctx.counters.subscriptions++
    if (queue) queue.addConsumer(sub)
    else this.ctx.router.subscribeTopic(dest.name, sub)
  }

  private handleUnsubscribe(frame: StompFrame): void {
    const id = frame.headers.get('id') ?? (frame.headers.get('destination') as string)
    const sub = this.subscriptions.get(id)
    if (!sub) {
      this.ctx.logger.debug('UNSUBSCRIBE for an unknown subscription ignored', { peer: this.peer, id })
      return
    }
    this.removeSubscription(sub)
    this.releaseUnacked([sub])
  }

  private removeSubscription(sub: Subscription): void {
    if (!this.subscriptions.delete(sub.id)) return
    this.ctx.counters.subscriptions--
    if (sub.queue) sub.queue.removeConsumer(sub)
    else this.ctx.router.unsubscribeTopic(sub.destination.name, sub)
  }

  /** Unacknowledged queue messages go back to their queues; topic messages are dropped. */
  private releaseUnacked(subs: readonly Subscription[]): void {
    const byQueue = new Map<MessageQueue, OutboundMessage[]>()
    for (const sub of subs) {
      for (const [ackId, { message, queue }] of sub.unacked) {
        this.ackOwners.delete(ackId)
        if (!queue || queue.owner === this.id) continue
        let list = byQueue.get(queue)
        if (!list) byQueue.set(queue, (list = []))
        list.push(message)
      }
      sub.unacked.clear()
    }
    for (const [queue, messages] of byQueue) queue.requeue(messages)
  }

  private handleAck(frame: StompFrame, committed: boolean): void {
    if (!committed && frame.headers.has('transaction')) {
      this.transaction(frame)
      this.resolveAck(frame)
      return this.enlist(frame)
    }
    const { sub, ackIds } = this.resolveAck(frame)
    const requeue: Unacked[] = []
    for (const ackId of ackIds) {
      const entry = sub.unacked.get(ackId)
      sub.unacked.delete(ackId)
      this.ackOwners.delete(ackId)
      if (entry && frame.command === 'NACK') requeue.push(entry)
    }
    if (requeue.length === 0) return
    const byQueue = new Map<MessageQueue, OutboundMessage[]>()
    for (const { message, queue } of requeue) {
      if (!queue) continue
      let list = byQueue.get(queue)
      if (!list) byQueue.set(queue, (list = []))
      list.push(message)
    }
    for (const [queue, messages] of byQueue) queue.requeue(messages)
  }

  /** The subscription and ack ids an ACK/NACK covers: 1.2 `id` (our `ack` header) or 1.0/1.1 `message-id` (+ `subscription`). */
  private resolveAck(frame: StompFrame): { sub: Subscription; ackIds: string[] } {
    const h = frame.headers
    const id = h.get('id')
    let sub = id !== undefined ? this.ackOwners.get(id) : undefined
    let ackId = sub ? id : undefined
    if (!sub) {
      const messageId = h.get('message-id') ?? id
      const subscriptionId = h.get('subscription')
      for (const candidate of this.subscriptions.values()) {
        if (subscriptionId !== undefined && candidate.id !== subscriptionId) continue
        for (const [key, { message }] of candidate.unacked) {
          if (message.id === messageId) {
            sub = candidate
            ackId = key
            break
          }
        }
        if (sub) break
      }
    }
    if (!sub || ackId === undefined) {
      const what = id !== undefined ? `id '${id}'` : `message-id '${h.get('message-id') ?? ''}'`
      throw this.protocolError(`${frame.command} for an unknown or already acknowledged message (${what})`, frame)
    }
    if (sub.ackMode === 'client-individual') return { sub, ackIds: [ackId] }
    const ackIds: string[] = []
    for (const key of sub.unacked.keys()) {
      ackIds.push(key)
      if (key === ackId) break
    }
    return { sub, ackIds }
  }

  // ---- output ----

  private readonly uncork = (): void => {
    this.corked = false
    if (!this.socket.destroyed) this.socket.uncork()
  }

  /** Writes are corked until the event loop's check phase, so a burst of frames leaves in one writev. */
  private write(data: Buffer | string): void {
    const socket = this.socket
    if (socket.destroyed || socket.writableEnded) return
    if (!this.corked) {
      this.corked = true
      socket.cork()
      scheduleUncork(this.uncork)
    }
    socket.write(data)
    this.wroteSinceBeat = true
    this.ctx.counters.bytesOut += typeof data === 'string' ? Buffer.byteLength(data) : data.length
  }

  private sendReceipt(frame: StompFrame): void {
    const receipt = frame.headers.get('receipt')
    if (receipt !== undefined) this.write(encodeFrame('RECEIPT', [['receipt-id', receipt]], undefined, this.mode))
  }

  private sendError(
    message: string,
    opts: { receiptId?: string | undefined; detail?: string; headers?: Array<[string, string]> },
  ): void {
    const headers: Array<[string, string]> = [['message', message]]
    if (opts.receiptId !== undefined) headers.push(['receipt-id', opts.receiptId])
    if (opts.headers) headers.push(...opts.headers)
    headers.push(['content-type', 'text/plain'])
    this.write(encodeFrame('ERROR', headers, (opts.detail ?? message) + '\n', this.mode))
  }

  /** A client error: log it, tell the client with an ERROR frame, close the connection. */
  private fail(
    message: string,
    opts: { receiptId?: string | undefined; detail?: string; headers?: Array<[string, string]> } = {},
  ): void {
    if (this.state === 'closing' || this.state === 'closed') return
    this.ctx.counters.errors++
    this.ctx.logger.warn(`STOMP client error, closing the connection: ${message}`, {
      peer: this.peer,
      session: this.id,
      ...(this.login !== undefined ? { login: this.login } : {}),
    })
    this.sendError(message, opts)
    this.closeGracefully()
  }

  private closeGracefully(): void {
    if (this.state === 'closing' || this.state === 'closed') return
    this.state = 'closing'
    this.parser.stop()
    this.clearTimers()
    this.detach()
    this.socket.end()
    this.after(this.ctx.closeGraceMs, () => this.socket.destroy())
  }

  private onClose(): void {
    if (this.state === 'closed') return
    if (this.state !== 'closing') {
      this.state = 'closing'
      this.parser.stop()
      this.detach()
    }
    this.state = 'closed'
    this.clearTimers()
    this.ctx.onClosed(this)
    this.resolveClosed()
  }

  /** Leaves every subscription and temp queue; unacked queue messages go back for other consumers. */
  private detach(): void {
    const subs = [...this.subscriptions.values()]
    for (const sub of subs) this.removeSubscription(sub)
    this.releaseUnacked(subs)
    for (const queue of this.tempQueues.values()) this.ctx.router.deleteQueue(queue)
    this.tempQueues.clear()
    this.ackOwners.clear()
    this.transactions.clear()
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(fn, ms)
    t.unref()
    this.timers.push(t)
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms)
    t.unref()
    this.timers.push(t)
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t)
    this.timers = []
  }
}
