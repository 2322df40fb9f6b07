import { Client, ReconnectionTimeMode, type IFrame, type IMessage, type StompSubscription } from '@stomp/stompjs'
import type { BrokerAddress } from '../../config/broker-url.js'
import { McshError } from '../../util/errors.js'
import type { Logger } from '../../util/logger.js'
import { silentLogger } from '../../util/logger.js'
import { shortId } from '../../util/ids.js'
import type { Connector, ConnectorState, InboundMessage, MessageHandler, PublishOptions, Subscription } from '../types.js'
import { socketFactory, type TlsFiles } from './socket.js'

export interface StompConnectorOptions {
  pool: BrokerAddress[]
  heartbeatMs: number
  connectTimeoutMs: number
  maxReconnectDelayMs: number
  /**
   * How many rounds through the pool `connect()` makes before it rejects. A client gives up after
   * one round (the operator waits); a daemon retries forever (Infinity).
   */
  connectRounds: number
  /** How long `publish()` waits for a reconnect before it rejects. */
  publishWaitMs?: number
  tls?: TlsFiles
  logger?: Logger
}

interface LocalSubscription {
  destination: string
  handler: MessageHandler
  remote?: StompSubscription
  /** Settles when the broker confirmed this subscription on the current connection. */
  confirmed?: Promise<void>
}

interface PendingReceipt {
  resolve: () => void
  reject: (e: Error) => void
  what: string
}

/** A connection that drops within this long after connecting counts as unstable: backoff keeps growing. */
const STABLE_AFTER_MS = 5000
const BASE_RECONNECT_DELAY_MS = 200

/**
 * STOMP over @stomp/stompjs with a pool of brokers: the first that answers wins, a lost connection
 * fails over to the next with exponential backoff, and subscriptions are restored after a reconnect.
 * Every SUBSCRIBE carries a receipt and `connect()` resolves only once the broker confirmed them all,
 * so a request sent right after cannot miss a node (ActiveMQ registers subscriptions asynchronously).
 */
export class StompConnector implements Connector {
  private readonly client: Client
  private readonly subs = new Map<string, LocalSubscription>()
  private readonly listeners = new Set<(s: ConnectorState, d: { url?: string; error?: string }) => void>()
  private readonly receipts = new Map<string, PendingReceipt>()
  private readonly log: Logger
  private poolIndex = 0
  private attemptsWithoutSuccess = 0
  private unstableConnections = 0
  private connectedAtMs = 0
  private lastErrors = new Map<string, string>()
  private connectedUrl: string | undefined
  private _state: ConnectorState = 'disconnected'
  private waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = []
  private receiptSeq = 0

  constructor(private readonly options: StompConnectorOptions) {
    if (options.pool.length === 0) throw new McshError('MCSH_BROKER_URL', 'no broker configured')
    this.log = (options.logger ?? silentLogger).child({ component: 'stomp' })
    const client = new Client({
      heartbeatIncoming: options.heartbeatMs,
      heartbeatOutgoing: options.heartbeatMs,
      connectionTimeout: options.connectTimeoutMs,
      reconnectDelay: BASE_RECONNECT_DELAY_MS,
      maxReconnectDelay: Math.max(BASE_RECONNECT_DELAY_MS, options.maxReconnectDelayMs),
      reconnectTimeMode: ReconnectionTimeMode.EXPONENTIAL,
      discardWebsocketOnCommFailure: true,
      debug: () => {},
    })
    client.beforeConnect = () => this.prepareAttempt()
    client.onConnect = () => void this.onConnected()
    client.onStompError = (frame) => this.onBrokerError(frame)
    client.onWebSocketError = (event: { message?: unknown }) => {
      const m = event?.message
      this.recordError(m instanceof Error ? describeSocketError(m as NodeJS.ErrnoException) : String(m ?? 'socket error'))
    }
    client.onWebSocketClose = () => this.onClosed()
    client.onUnhandledMessage = (m) => this.log.debug('message for no subscription', { destination: m.headers.destination })
    this.client = client
  }

  get state(): ConnectorState {
    return this._state
  }

  get currentUrl(): string | undefined {
    return this.connectedUrl
  }

  connect(): Promise<void> {
    if (this._state === 'connected') return Promise.resolve()
    if (this._state === 'closed') return Promise.reject(new McshError('MCSH_NOT_CONNECTED', 'connector is closed'))
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }))
    if (!this.client.active) {
      this.setState('connecting', {})
      this.client.activate()
    }
    return p
  }

  subscribe(destination: string, handler: MessageHandler): Subscription {
    const id = `sub-${shortId(4)}`
    const local: LocalSubscription = { destination, handler }
    this.subs.set(id, local)
    if (this.client.connected) this.remoteSubscribe(id, local)
    return {
      unsubscribe: () => {
        this.subs.delete(id)
        if (local.remote && this.client.connected) {
          try {
            local.remote.unsubscribe()
          } catch {
            // the connection is going; the broker drops the subscription with it
          }
        }
      },
      // Before a connection exists, `connect()` is what waits for the broker's confirmation.
      ready: () => local.confirmed ?? Promise.resolve(),
    }
  }

  async publish(destination: string, body: Uint8Array, options: PublishOptions = {}): Promise<void> {
    if (!this.client.connected) await this.waitForConnection()
    const headers: Record<string, string> = { ...options.headers }
    if (!options.confirm) {
      this.client.publish({ destination, binaryBody: body, headers })
      return
    }
    const receipt = `r-${++this.receiptSeq}`
    headers.receipt = receipt
    const confirmed = this.expectReceipt(receipt, `a message to ${destination}`)
    this.client.publish({ destination, binaryBody: body, headers })
    await confirmed
  }

  onStateChange(listener: (state: ConnectorState, detail: { url?: string; error?: string }) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async close(): Promise<void> {
    if (this._state === 'closed') return
    this.setState('closed', {})
    this.rejectWaiters(new McshError('MCSH_NOT_CONNECTED', 'connector closed'))
    this.failReceipts(new McshError('MCSH_NOT_CONNECTED', 'connector closed'))
    await Promise.race([this.client.deactivate({ force: !this.client.connected }), new Promise((r) => setTimeout(r, 1000).unref())])
    this.clearConnectionWatcher()
  }

  private prepareAttempt(): void {
    const address = this.current()
    this.client.webSocketFactory = socketFactory(address, this.options.tls)
    const headers: Record<string, string> = { host: address.vhost ?? '/' }
    if (address.login !== undefined) headers.login = address.login
    if (address.passcode !== undefined) headers.passcode = address.passcode
    this.client.connectHeaders = headers
    this.log.debug('connecting', { url: address.url })
  }

  private async onConnected(): Promise<void> {
    const address = this.current()
    this.connectedUrl = address.url
    this.connectedAtMs = Date.now()
    this.attemptsWithoutSuccess = 0
    this.lastErrors.clear()
    // stompjs resets its backoff on every connect; a broker that accepts CONNECT and then drops us
    // (refused subscriptions, say) must not be hammered every 200 ms.
    this.client.reconnectDelay = Math.min(Math.max(BASE_RECONNECT_DELAY_MS, this.options.maxReconnectDelayMs), BASE_RECONNECT_DELAY_MS * 2 ** this.unstableConnections)
    for (const [id, local] of this.subs) this.remoteSubscribe(id, local)
    const confirmations = [...this.subs.values()].map((s) => s.confirmed)
    const all = Promise.all(confirmations)
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(true), this.options.connectTimeoutMs).unref()),
    ]).catch((e: unknown) => {
      this.log.error('the broker refused a subscription', { url: address.url, error: e instanceof Error ? e.message : String(e) })
      return false
    })
    if (timedOut) this.log.warn('the broker did not confirm every subscription in time; going on', { url: address.url, subscriptions: this.subs.size })
    if (!this.client.connected || this._state === 'closed') return
    this.log.info('connected', { url: address.url, subscriptions: this.subs.size })
    this.setState('connected', { url: address.url })
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w.resolve()
  }

  private onClosed(): void {
    this.clearConnectionWatcher()
    if (this._state === 'closed') return
    const address = this.current()
    const wasConnected = this.connectedUrl !== undefined
    this.connectedUrl = undefined
    this.failReceipts(new McshError('MCSH_NOT_CONNECTED', `the connection to ${address.url} closed before the broker confirmed`))
    for (const local of this.subs.values()) {
      delete local.remote
      delete local.confirmed
    }
    if (wasConnected) {
      this.unstableConnections = Date.now() - this.connectedAtMs < STABLE_AFTER_MS ? this.unstableConnections + 1 : 0
      this.log.warn('connection lost, failing over', { url: address.url, ...(this.lastErrors.has(address.url) ? { error: this.lastErrors.get(address.url) } : {}) })
    } else {
      this.attemptsWithoutSuccess++
      if (!this.lastErrors.has(address.url)) this.lastErrors.set(address.url, 'connection closed before the STOMP handshake completed')
      this.log.warn('cannot connect', { url: address.url, error: this.lastErrors.get(address.url), attempt: this.attemptsWithoutSuccess })
    }
    this.poolIndex = (this.poolIndex + 1) % this.options.pool.length
    this.setState('disconnected', { url: address.url, ...(this.lastErrors.has(address.url) ? { error: this.lastErrors.get(address.url) as string } : {}) })
    if (this.attemptsWithoutSuccess >= this.options.connectRounds * this.options.pool.length && this.waiters.length > 0) {
      this.rejectWaiters(this.unreachableError())
      if (Number.isFinite(this.options.connectRounds)) void this.client.deactivate({ force: true }).then(() => this.clearConnectionWatcher())
    }
  }

  /**
   * An ERROR frame. With a `receipt-id` it refuses one frame we asked a receipt for (ActiveMQ keeps
   * the connection open then): that publish or subscription fails with the broker's own reason.
   */
  private onBrokerError(frame: IFrame): void {
    const message = frame.headers.message ?? 'error'
    const detail = `${message}${frame.body ? ` (${frame.body.trim().slice(0, 200)})` : ''}`
    const receipt = frame.headers['receipt-id']
    const pending = receipt ? this.receipts.get(receipt) : undefined
    if (pending && receipt) {
      this.receipts.delete(receipt)
      pending.reject(new McshError('MCSH_BROKER_REFUSED', `${this.connectedUrl ?? 'the broker'} refused ${pending.what}: ${detail}`))
      return
    }
    this.log.error('broker error', { url: this.current().url, error: detail })
    this.recordError(`broker refused: ${detail}`)
  }

  private expectReceipt(receipt: string, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.receipts.delete(receipt)
        reject(new McshError('MCSH_PUBLISH_UNCONFIRMED', `${this.connectedUrl ?? 'the broker'} did not confirm ${what} within ${this.options.connectTimeoutMs} ms`))
      }, this.options.connectTimeoutMs)
      timer.unref()
      this.receipts.set(receipt, {
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
        what,
      })
      this.client.watchForReceipt(receipt, () => {
        const p = this.receipts.get(receipt)
        this.receipts.delete(receipt)
        p?.resolve()
      })
    })
  }

  private failReceipts(e: Error): void {
    for (const [id, p] of this.receipts) {
      this.receipts.delete(id)
      p.reject(e)
    }
  }

  private unreachableError(): McshError {
    const tried = this.options.pool.map((a) => `${a.url} (${this.lastErrors.get(a.url) ?? 'no answer'})`).join(', ')
    return new McshError(
      'MCSH_BROKER_UNREACHABLE',
      `cannot connect to any broker: tried ${tried}. Start one with 'mcsh broker', or set --broker / MCSH_BROKER / broker.urls`,
    )
  }

  private async waitForConnection(): Promise<void> {
    const waitMs = this.options.publishWaitMs ?? this.options.connectTimeoutMs
    if (this._state === 'closed') throw new McshError('MCSH_NOT_CONNECTED', 'cannot publish: the connector is closed')
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter)
        reject(new McshError('MCSH_NOT_CONNECTED', `cannot publish: not connected to any broker for ${waitMs} ms (${[...this.lastErrors.values()].join('; ') || 'no connection'})`))
      }, waitMs)
      const waiter = {
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
        reject: (e: Error) => {
          clearTimeout(timer)
          reject(e)
        },
      }
      this.waiters.push(waiter)
      if (!this.client.active) this.client.activate()
    })
  }

  private remoteSubscribe(id: string, local: LocalSubscription): void {
    const receipt = `s-${++this.receiptSeq}`
    local.confirmed = this.expectReceipt(receipt, `the subscription to ${local.destination}`)
    local.confirmed.catch(() => {
      // reported where awaited (connect, ready); an unobserved refusal must not crash the process
    })
    local.remote = this.client.subscribe(local.destination, (m: IMessage) => this.deliver(m, local), { id, receipt })
  }

  private deliver(m: IMessage, local: LocalSubscription): void {
    const message: InboundMessage = {
      destination: m.headers.destination ?? local.destination,
      headers: m.headers,
      body: m.binaryBody,
    }
    try {
      local.handler(message)
    } catch (e) {
      this.log.error('subscription handler threw', { destination: local.destination, error: String(e) })
    }
  }

  private current(): BrokerAddress {
    return this.options.pool[this.poolIndex % this.options.pool.length] as BrokerAddress
  }

  private recordError(message: string): void {
    this.lastErrors.set(this.current().url, message)
  }

  /** stompjs leaves its connection-timeout timer running after a failed attempt, keeping a CLI alive. */
  private clearConnectionWatcher(): void {
    clearTimeout((this.client as unknown as { _connectionWatcher?: NodeJS.Timeout })._connectionWatcher)
  }

  private rejectWaiters(e: Error): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w.reject(e)
  }

  private setState(state: ConnectorState, detail: { url?: string; error?: string }): void {
    if (this._state === 'closed' && state !== 'closed') return
    this._state = state
    for (const l of this.listeners) l(state, detail)
  }
}

/** Plain codes for the common cases; the message too where it says more (TLS verification). */
function describeSocketError(e: NodeJS.ErrnoException): string {
  if (e.code && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)$/.test(e.code)) return e.code
  const openssl = /SSL routines:[^:]*:([^:]+)/.exec(e.message)?.[1]
  const hint = openssl === 'wrong version number' ? ' (is it a TLS port?)' : ''
  const message = openssl ? `TLS: ${openssl}${hint}` : (e.message.split('\n')[0] ?? e.message)
  return e.code && !message.includes(e.code) ? `${e.code}: ${message}` : message
}
