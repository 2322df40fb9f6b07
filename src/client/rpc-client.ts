import type { Config } from '../config/types.js'
import { coerceInputs, validateInputs, type ActionDdl, type Ddl } from '../ddl/index.js'
import { broadcastDiscovery, type Exchange, type Requester } from '../discovery/broadcast.js'
import type { DiscoveryMethod, DiscoveryResult } from '../discovery/types.js'
import { combineFilters } from '../filter/index.js'
import { emptyFilter, type Filter } from '../filter/types.js'
import { MessageCodec } from '../protocol/codec.js'
import { destinations } from '../protocol/destinations.js'
import type { Reply, Request } from '../protocol/messages.js'
import { Status, type StatusCode } from '../protocol/status.js'
import { createSecurity } from '../security/registry.js'
import { createSerializer } from '../serializer/registry.js'
import { createConnector } from '../transport/index.js'
import type { Connector, Subscription } from '../transport/types.js'
import { sleep, systemClock, type Clock } from '../util/clock.js'
import { McshError, errorMessage, isMcshError } from '../util/errors.js'
import { newRequestId, shortId } from '../util/ids.js'
import type { Logger } from '../util/logger.js'
import { silentLogger } from '../util/logger.js'
import { DdlRepository } from './ddl-repository.js'
import { applyLimit, type Limit } from './limit.js'
import type { NodeReply, RpcResult } from './result.js'

export interface RpcClientOptions {
  config: Readonly<Config>
  connector?: Connector
  codec?: MessageCodec
  ddls?: DdlRepository
  logger?: Logger
  clock?: Clock
}

export interface DiscoverOptions {
  filter?: Filter
  collective?: string
  timeoutMs?: number
  windowMs?: number
  method?: DiscoveryMethod
  signal?: AbortSignal
  onNode?: (identity: string) => void
}

export interface CallOptions {
  agent: string
  action: string
  /** Typed inputs. */
  data?: Record<string, unknown>
  /** `key=value` strings from a command line, coerced with the DDL. */
  args?: Record<string, string>
  filter?: Filter
  collective?: string
  /** Known targets: no discovery. */
  nodes?: readonly string[]
  /**
   * How known targets are reached: `direct` (default) sends to each node's own destination;
   * `broadcast` sends one message with the filter and expects `nodes` to answer.
   */
  addressing?: 'direct' | 'broadcast'
  /** How to discover when `nodes` is not given (default: broadcast). */
  discovery?: DiscoveryMethod
  discoveryTimeoutMs?: number
  discoveryWindowMs?: number
  /** Wait for replies this long (default: the DDL timeout plus `client.replyGraceMs`). */
  timeoutMs?: number
  batchSize?: number
  batchSleepMs?: number
  limit?: Limit
  ttlSeconds?: number
  signal?: AbortSignal
  onDiscovered?: (d: DiscoveryResult) => void
  onReply?: (reply: NodeReply, progress: { received: number; expected: number }) => void
}

interface Pending {
  onReply(reply: Reply): void
  onInvalid(reason: string, sender: string | undefined): void
}

/**
 * Discovery and RPC over one broker connection, for scripts, web UIs, the CLI and the shell. It never
 * prints: results are data (see result.ts).
 */
export class RpcClient implements Requester {
  readonly config: Readonly<Config>
  readonly connector: Connector
  readonly codec: MessageCodec
  readonly ddls: DdlRepository
  readonly clientId = shortId(8)
  private readonly log: Logger
  private readonly clock: Clock
  private readonly pending = new Map<string, Pending>()
  private readonly replySubscriptions = new Map<string, Subscription>()

  constructor(o: RpcClientOptions) {
    this.config = o.config
    this.log = o.logger ?? silentLogger
    this.clock = o.clock ?? systemClock
    this.connector = o.connector ?? createConnector(o.config, { role: 'client', logger: this.log })
    this.codec =
      o.codec ??
      new MessageCodec({ security: createSecurity(o.config), serializer: createSerializer(o.config.serializer), maxMessageBytes: o.config.maxMessageBytes })
    this.ddls = o.ddls ?? new DdlRepository(o.config.agentDirs)
  }

  get mainCollective(): string {
    return this.config.collectives[0] as string
  }

  /** Connects (one round through the broker pool) and listens for replies in the main collective. */
  async connect(): Promise<void> {
    void this.listen(this.mainCollective)
    await this.connector.connect()
  }

  async close(): Promise<void> {
    for (const s of this.replySubscriptions.values()) s.unsubscribe()
    this.replySubscriptions.clear()
    await this.connector.close()
  }

  async discover(o: DiscoverOptions = {}): Promise<DiscoveryResult> {
    const method = o.method ?? broadcastDiscovery(this)
    return method.discover(o.filter ?? emptyFilter(), {
      collective: this.checkCollective(o.collective),
      timeoutMs: o.timeoutMs ?? this.config.client.discoveryTimeoutMs,
      windowMs: o.windowMs ?? this.config.client.discoveryWindowMs,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.onNode ? { onNode: o.onNode } : {}),
    })
  }

  /** Checks the action and inputs against the DDL on this side; returns typed inputs with defaults. */
  async prepareInputs(agent: string, action: string, args: Record<string, string> = {}, data: Record<string, unknown> = {}): Promise<{ ddl?: Ddl; action?: ActionDdl; data: Record<string, unknown> }> {
    const ddl = await this.ddls.get(agent)
    if (!ddl) return { data: { ...args, ...data } }
    const actionDdl = ddl.actions[action]
    if (!actionDdl) {
      throw new McshError(
        'MCSH_UNKNOWN_ACTION',
        `agent '${agent}' has no action '${action}'; its actions: ${Object.keys(ddl.actions).sort().join(', ')}`,
      )
    }
    const typed = { ...coerceInputs(actionDdl, args), ...data }
    return { ddl, action: actionDdl, data: validateInputs(actionDdl, typed, { applyDefaults: true }) }
  }

  async call(o: CallOptions): Promise<RpcResult> {
    const started = performance.now()
    const collective = this.checkCollective(o.collective)
    const prepared = await this.prepareInputs(o.agent, o.action, o.args, o.data)
    const timeoutMs = o.timeoutMs ?? (prepared.ddl ? prepared.ddl.metadata.timeoutSeconds * 1000 : 10_000) + this.config.client.replyGraceMs
    const agentFilter: Filter = { ...emptyFilter(), agent: [o.agent] }
    const filter = o.filter ?? emptyFilter()
    let discovery: DiscoveryResult | undefined
    let targets: string[]
    if (o.nodes) {
      targets = [...new Set(o.nodes)]
    } else {
      discovery = await this.discover({
        filter: combineFilters(filter, agentFilter),
        collective,
        ...(o.discovery ? { method: o.discovery } : {}),
        ...(o.discoveryTimeoutMs !== undefined ? { timeoutMs: o.discoveryTimeoutMs } : {}),
        ...(o.discoveryWindowMs !== undefined ? { windowMs: o.discoveryWindowMs } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      })
      o.onDiscovered?.(discovery)
      targets = discovery.nodes
    }
    const discoveredCount = targets.length
    if (o.limit) targets = applyLimit(targets, o.limit)
    const requestId = newRequestId()
    const result: RpcResult = {
      requestId,
      agent: o.agent,
      action: o.action,
      inputs: prepared.data,
      collective,
      filter,
      discovered: targets,
      replies: [],
      noResponse: [],
      invalid: [],
      cancelled: false,
      stats: {
        discovered: discoveredCount,
        targeted: targets.length,
        responded: 0,
        ok: 0,
        failed: 0,
        no_response: 0,
        invalid: 0,
        discovery_ms: discovery?.stats.discovery_ms ?? 0,
        call_ms: 0,
        total_ms: 0,
      },
    }
    if (o.signal?.aborted || discovery?.ended === 'cancelled') return this.finish(result, started, true, targets)
    if (targets.length === 0) return this.finish(result, started, false, targets)

    const byNode = new Map<string, NodeReply>()
    const expected = new Set(targets)
    let waitingFor = new Set<string>()
    let wake: () => void = () => {}
    const callStarted = performance.now()
    const onReply = (reply: Reply) => {
      if (byNode.has(reply.sender)) return
      const nodeReply: NodeReply = {
        sender: reply.sender,
        status: reply.status,
        message: reply.message,
        data: reply.data,
        elapsedMs: Math.round((performance.now() - callStarted) * 10) / 10,
      }
      byNode.set(reply.sender, nodeReply)
      o.onReply?.(nodeReply, { received: byNode.size, expected: expected.size })
      waitingFor.delete(reply.sender)
      if (waitingFor.size === 0) wake()
    }
    const onInvalid = (reason: string, sender: string | undefined) => {
      result.invalid.push({ sender: sender ?? null, reason })
      this.log.warn('reply refused', { requestid: requestId, sender, reason })
    }
    const request = this.buildRequest({ id: requestId, agent: o.agent, action: o.action, data: prepared.data, filter, collective, ttlSeconds: o.ttlSeconds })
    await this.listen(collective)
    this.pending.set(requestId, { onReply, onInvalid })
    let cancelled = false
    try {
      const bytes = await this.codec.encode(request)
      const direct =
        (o.nodes !== undefined && o.addressing !== 'broadcast') || discovery?.ended === 'list' || o.batchSize !== undefined || o.limit !== undefined
      const batches = direct ? chunk(targets, o.batchSize && o.batchSize > 0 ? o.batchSize : targets.length) : [targets]
      for (const [i, batch] of batches.entries()) {
        waitingFor = new Set(batch.filter((n) => !byNode.has(n)))
        const batchDone = new Promise<void>((resolve) => (wake = resolve))
        if (direct) await this.publishDirected(collective, batch, bytes)
        else await this.connector.publish(destinations.broadcast(collective, o.agent), bytes, { confirm: true })
        if (waitingFor.size > 0) cancelled = await waitFor(batchDone, timeoutMs, o.signal)
        if (cancelled) break
        if (i < batches.length - 1 && o.batchSleepMs) {
          await sleep(o.batchSleepMs, o.signal)
          if (o.signal?.aborted) {
            cancelled = true
            break
          }
        }
      }
    } finally {
      this.pending.delete(requestId)
    }
    result.replies = [...byNode.values()].sort((a, b) => a.sender.localeCompare(b.sender))
    result.stats.call_ms = round(performance.now() - callStarted)
    return this.finish(result, started, cancelled, targets, byNode)
  }

  /**
   * Routes replies to `requestId` (verified like any other) to `onReply` until closed: for tools
   * that build and publish their own request bytes. Listens on the collective's reply destination.
   */
  expectReplies(collective: string, requestId: string, onReply: (reply: Reply) => void, onInvalid?: (reason: string, sender: string | undefined) => void): Exchange {
    void this.listen(collective)
    this.pending.set(requestId, { onReply, onInvalid: onInvalid ?? ((reason, sender) => this.log.warn('reply refused', { requestid: requestId, sender, reason })) })
    return { requestId, close: () => this.pending.delete(requestId) }
  }

  /** Where this client's replies arrive in a collective. */
  replyDestination(collective: string): string {
    return destinations.reply(collective, this.clientId)
  }

  /** Requester, for discovery methods: publish one request and route its replies until closed. */
  async request(
    o: { agent: string; action: string; data: Record<string, unknown>; filter: Filter; collective: string; targets: 'broadcast' | readonly string[]; ttlSeconds?: number },
    onReply: (reply: Reply) => void,
  ): Promise<Exchange> {
    const id = newRequestId()
    await this.listen(o.collective)
    this.pending.set(id, { onReply, onInvalid: (reason, sender) => this.log.warn('reply refused', { requestid: id, sender, reason }) })
    try {
      const bytes = await this.codec.encode(this.buildRequest({ id, ...o }))
      if (o.targets === 'broadcast') await this.connector.publish(destinations.broadcast(o.collective, o.agent), bytes, { confirm: true })
      else await this.publishDirected(o.collective, o.targets, bytes)
    } catch (e) {
      this.pending.delete(id)
      throw e
    }
    return { requestId: id, close: () => this.pending.delete(id) }
  }

  private buildRequest(o: { id: string; agent: string; action: string; data: Record<string, unknown>; filter: Filter; collective: string; ttlSeconds?: number | undefined }): Request {
    return {
      kind: 'request',
      id: o.id,
      sender: this.config.identity,
      callerId: this.codec.security.callerId,
      collective: o.collective,
      agent: o.agent,
      action: o.action,
      data: o.data,
      filter: o.filter,
      createdAtMs: this.clock.nowMs(),
      ttlSeconds: o.ttlSeconds ?? this.config.ttlSeconds,
      replyTo: destinations.reply(o.collective, this.clientId),
    }
  }

  private async publishDirected(collective: string, nodes: readonly string[], bytes: Buffer): Promise<void> {
    // Only the last is confirmed: the broker handles one connection's frames in order.
    for (const [i, node] of nodes.entries())
      await this.connector.publish(destinations.directed(collective, node), bytes, { confirm: i === nodes.length - 1 })
  }

  private finish(result: RpcResult, started: number, cancelled: boolean, targets: readonly string[], byNode?: Map<string, NodeReply>): RpcResult {
    result.cancelled = cancelled
    result.noResponse = targets.filter((n) => !byNode?.has(n)).sort()
    result.stats.responded = result.replies.length
    result.stats.ok = result.replies.filter((r) => r.status === Status.OK).length
    result.stats.failed = result.replies.length - result.stats.ok
    result.stats.no_response = result.noResponse.length
    result.stats.invalid = result.invalid.length
    result.stats.total_ms = round(performance.now() - started)
    return result
  }

  /** Subscribes to the collective's reply destination; resolves once the broker confirmed it. */
  private listen(collective: string): Promise<void> {
    let sub = this.replySubscriptions.get(collective)
    if (!sub) {
      sub = this.connector.subscribe(destinations.reply(collective, this.clientId), (m) => void this.onReplyMessage(m.body))
      this.replySubscriptions.set(collective, sub)
    }
    return sub.ready()
  }

  private async onReplyMessage(body: Uint8Array): Promise<void> {
    let reply: Reply
    try {
      reply = (await this.codec.decodeReply(body)).message
    } catch (e) {
      const claimed = peekReply(body)
      const pending = claimed.requestId ? this.pending.get(claimed.requestId) : undefined
      const reason = `${isMcshError(e) ? e.code + ': ' : ''}${errorMessage(e)}`
      if (pending) pending.onInvalid(reason, claimed.sender)
      else this.log.warn('reply refused', { reason })
      return
    }
    this.pending.get(reply.requestId)?.onReply(reply)
  }

  private checkCollective(collective: string | undefined): string {
    const c = collective ?? this.mainCollective
    if (!this.config.collectives.includes(c))
      throw new McshError('MCSH_UNKNOWN_COLLECTIVE', `unknown collective '${c}'; configured: ${this.config.collectives.join(', ')}`)
    return c
  }
}

/** Resolves true when cancelled, false when done or timed out. */
async function waitFor(done: Promise<void>, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const outcome = await Promise.race([
    done.then(() => 'done' as const),
    new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs))),
    new Promise<'cancelled'>((r) => {
      if (!signal) return
      if (signal.aborted) return r('cancelled')
      onAbort = () => r('cancelled')
      signal.addEventListener('abort', onAbort, { once: true })
    }),
  ])
  clearTimeout(timer)
  if (onAbort) signal?.removeEventListener('abort', onAbort)
  return outcome === 'cancelled'
}

/** Unverified, only to attribute a refused reply to its request in the report. */
function peekReply(body: Uint8Array): { requestId?: string; sender?: string } {
  try {
    const text = Buffer.from(body).toString('utf8')
    const requestId = /\\?"requestid\\?"\s*:\s*\\?"([\w.:@=-]{1,128})/.exec(text)?.[1]
    const sender = /\\?"senderid\\?"\s*:\s*\\?"([\w.@-]{1,128})/.exec(text)?.[1]
    return { ...(requestId ? { requestId } : {}), ...(sender ? { sender } : {}) }
  } catch {
    return {}
  }
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}

export type { StatusCode }
