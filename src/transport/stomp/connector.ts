import { Client, ReconnectionTimeMode, type IMessage, type StompSubscription } from '@stomp/stompjs'
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
  /** Shown to the broker in logs (STOMP `client-id` is not standard; it goes in a header for humans). */
  name?: string
}

interface LocalSubscription {
  destination: string
  handler: MessageHandler
  remote?: StompSubscription
}

/**
 * STOMP over @stomp/stompjs with a pool of brokers: the first that answers wins, a lost connection
 * fails over to the next with exponential backoff, and subscriptions are restored after a reconnect.
 */
export class StompConnector implements Connector {
  private readonly client: Client
  private readonly subs = new Map<string, LocalSubscription>()
  private readonly listeners = new Set<(s: ConnectorState, d: { url?: string; error?: string }) => void>()
  private readonly log: Logger
  private poolIndex = 0
  private attemptsWithoutSuccess = 0
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
      reconnectDelay: 200,
      maxReconnectDelay: Math.max(200, options.maxReconnectDelayMs),
      reconnectTimeMode: ReconnectionTimeMode.EXPONENTIAL,
      discardWebsocketOnCommFailure: true,
      debug: () => {},
    })
    client.beforeConnect = () => this.prepareAttempt()
    client.onConnect = () => this.onConnected()
    client.onStompError = (frame) => {
      const message = frame.headers.message ?? 'error'
      this.recordError(`broker refused: ${message}${frame.body ? ` (${frame.body.trim().slice(0, 200)})` : ''}`)
    }
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
    }
  }

  async publish(destination: string, body: Uint8Array, options: PublishOptions = {}): Promise<void> {
    if (!this.client.connected) await this.waitForConnection(options)
    const headers: Record<string, string> = { ...options.headers }
    if (!options.confirm) {
      this.client.publish({ destination, binaryBody: body, headers })
      return
    }
    const receipt = `r-${++this.receiptSeq}`
    headers.receipt = receipt
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new McshError('MCSH_PUBLISH_UNCONFIRMED', `broker ${this.connectedUrl ?? ''} did not confirm a message to ${destination} within ${this.options.connectTimeoutMs} ms`)),
        this.options.connectTimeoutMs,
      )
      this.client.watchForReceipt(receipt, () => {
        clearTimeout(timer)
        resolve()
      })
      this.client.publish({ destination, binaryBody: body, headers })
    })
  }

  onStateChange(listener: (state: ConnectorState, detail: { url?: string; error?: string }) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  async close(): Promise<void> {
    if (this._state === 'closed') return
    this.setState('closed', {})
    this.rejectWaiters(new McshError('MCSH_NOT_CONNECTED', 'connector closed'))
    await Promise.race([this.client.deactivate({ force: !this.client.connected }), new Promise((r) => setTimeout(r, 1000).unref())])
  }

  private prepareAttempt(): void {
    const address = this.options.pool[this.poolIndex % this.options.pool.length] as BrokerAddress
    this.client.webSocketFactory = socketFactory(address, this.options.tls)
    const headers: Record<string, string> = { host: address.vhost ?? '/' }
    if (address.login !== undefined) headers.login = address.login
    if (address.passcode !== undefined) headers.passcode = address.passcode
    this.client.connectHeaders = headers
    this.log.debug('connecting', { url: address.url })
  }

  private onConnected(): void {
    const address = this.options.pool[this.poolIndex % this.options.pool.length] as BrokerAddress
    this.connectedUrl = address.url
    this.attemptsWithoutSuccess = 0
    this.lastErrors.clear()
    for (const [id, local] of this.subs) this.remoteSubscribe(id, local)
    this.log.info('connected', { url: address.url, subscriptions: this.subs.size })
    this.setState('connected', { url: address.url })
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w.resolve()
  }

  private onClosed(): void {
    if (this._state === 'closed') return
    const address = this.options.pool[this.poolIndex % this.options.pool.length] as BrokerAddress
    const wasConnected = this.connectedUrl !== undefined
    this.connectedUrl = undefined
    for (const local of this.subs.values()) delete local.remote
    if (wasConnected) {
      this.log.warn('connection lost, failing over', { url: address.url, error: this.lastErrors.get(address.url) })
    } else {
      this.attemptsWithoutSuccess++
      if (!this.lastErrors.has(address.url)) this.lastErrors.set(address.url, 'connection closed before the STOMP handshake completed')
      this.log.warn('cannot connect', { url: address.url, error: this.lastErrors.get(address.url), attempt: this.attemptsWithoutSuccess })
    }
    this.poolIndex = (this.poolIndex + 1) % this.options.pool.length
    this.setState('disconnected', { url: address.url, error: this.lastErrors.get(address.url) })
    if (this.attemptsWithoutSuccess >= this.options.connectRounds * this.options.pool.length && this.waiters.length > 0) {
      this.rejectWaiters(this.unreachableError())
      if (Number.isFinite(this.options.connectRounds)) void this.client.deactivate({ force: true })
    }
  }

  private unreachableError(): McshError {
    const tried = this.options.pool.map((a) => `${a.url} (${this.lastErrors.get(a.url) ?? 'no answer'})`).join(', ')
    return new McshError(
      'MCSH_BROKER_UNREACHABLE',
      `cannot connect to any broker: tried ${tried}. Start one with 'mcsh broker', or set --broker / MCSH_BROKER / broker.urls`,
    )
  }

  private async waitForConnection(options: PublishOptions): Promise<void> {
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
    void options
  }

  private remoteSubscribe(id: string, local: LocalSubscription): void {
    local.remote = this.client.subscribe(local.destination, (m: IMessage) => this.deliver(m, local), { id })
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

  private recordError(message: string): void {
    const address = this.options.pool[this.poolIndex % this.options.pool.length] as BrokerAddress
    this.lastErrors.set(address.url, message)
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
  const message = openssl ? `TLS: ${openssl} (is it a TLS port?)` : (e.message.split('\n')[0] ?? e.message)
  return e.code && !message.includes(e.code) ? `${e.code}: ${message}` : message
}
