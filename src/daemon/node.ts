import { cpuUsage } from 'node:process'
import type { AgentSummary, NodeView } from '../agents/define.js'
import { dispatchAction, type ActionResult } from '../agents/dispatch.js'
import { agentSummary, type LoadedAgent } from '../agents/registry.js'
import type { Facts, FactValue } from '../facts/types.js'
import { compileFilter } from '../filter/index.js'
import { dataPlugins, resolveDataLookups } from '../data/index.js'
import type { NodeInventory } from '../filter/types.js'
import type { MessageCodec } from '../protocol/codec.js'
import { DISCOVERY_AGENT } from '../protocol/destinations.js'
import { checkFreshness, ReplayGuard } from '../protocol/freshness.js'
import type { Reply, Request } from '../protocol/messages.js'
import { Status } from '../protocol/status.js'
import type { Clock } from '../util/clock.js'
import { errorMessage, isMcshError } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import type { Semaphore } from '../util/semaphore.js'
import type { Authorizer } from '../authz/index.js'
import type { Host } from '../host/types.js'
import { redactInputs, type AuditLog, type AuditRecord } from './audit.js'
import { DaemonStats } from './stats.js'

export interface FactsProvider {
  all(): Facts
  get(name: string): FactValue | undefined
}

export interface DaemonNodeOptions {
  identity: string
  collectives: readonly string[]
  codec: MessageCodec
  agents: ReadonlyMap<string, LoadedAgent>
  facts: FactsProvider
  classes: () => readonly string[]
  clock: Clock
  logger: Logger
  maxClockSkewMs: number
  /** Bounds concurrent actions; a simulated fleet shares one. */
  limiter: Semaphore
  version: string
  dataPlugins?: readonly string[]
  /** Undefined when authorization is off. */
  authorizer?: Authorizer
  /** Undefined when auditing is off. */
  audit?: AuditLog
  /** What agents act on: the real machine, or a simulated one. */
  host: Host
}

/** How a message reached the node: on an agent's broadcast destination or the node's own. */
export type Route = { kind: 'broadcast'; collective: string; agent: string } | { kind: 'directed'; collective: string }

export interface Outgoing {
  destination: string
  body: Buffer
}

const replyDestinationPattern = /^\/(topic|queue|temp-queue|reply-queue|exchange|amq\/queue)\/[\w.@:/-]{1,200}$/

/**
 * One node's request path, independent of sockets: decode and verify, ttl and replay, filter, agent
 * and action, inputs, run with a time-out, sign the reply. Returns the reply to send, or null when the
 * request is not for this node or must not be answered. Never throws.
 */
export class DaemonNode implements NodeView {
  readonly identity: string
  readonly collectives: readonly string[]
  readonly counters: DaemonStats
  readonly version: string
  readonly dataPlugins: readonly string[]
  private readonly replay = new ReplayGuard()
  private readonly log: Logger
  private inventoryCache: { facts: Facts; classes: readonly string[]; inventory: NodeInventory } | undefined
  private readonly agentSummaries: AgentSummary[]

  constructor(private readonly o: DaemonNodeOptions) {
    this.identity = o.identity
    this.collectives = o.collectives
    this.version = o.version
    this.dataPlugins = o.dataPlugins ?? Object.keys(dataPlugins)
    this.counters = new DaemonStats(o.clock)
    this.log = o.logger.child({ node: o.identity })
    this.agentSummaries = [...o.agents.values()].map(agentSummary).sort((a, b) => a.agent.localeCompare(b.agent))
  }

  agentNames(): string[] {
    return [...this.o.agents.keys()]
  }

  hasAgent(name: string): boolean {
    return this.o.agents.has(name)
  }

  async handle(bytes: Uint8Array, route: Route): Promise<Outgoing | null> {
    this.counters.count('received')
    let request: Request
    try {
      request = (await this.o.codec.decodeRequest(bytes)).message
    } catch (e) {
      this.counters.count('unvalidated')
      const code = isMcshError(e) ? e.code : 'MCSH_MSG_MALFORMED'
      this.log.warn('request refused', { code, error: errorMessage(e), route: route.kind })
      this.auditRejected(bytes, `${code}: ${errorMessage(e)}`)
      return null
    }
    const nowMs = this.o.clock.nowMs()
    try {
      checkFreshness(request, nowMs, this.o.maxClockSkewMs)
      this.replay.admit(request.id, request.createdAtMs + request.ttlSeconds * 1000 + this.o.maxClockSkewMs, nowMs)
    } catch (e) {
      this.counters.count(isMcshError(e, 'MCSH_MSG_REPLAYED') ? 'replayed' : 'ttlexpired')
      this.log.warn('request refused', { code: isMcshError(e) ? e.code : '', error: errorMessage(e), requestid: request.id, caller: request.callerId })
      this.audit(request, 'rejected', null, `${isMcshError(e) ? e.code + ': ' : ''}${errorMessage(e)}`, true)
      return null
    }
    if (!this.collectives.includes(request.collective) || request.collective !== route.collective) {
      this.counters.count('filtered')
      return null
    }
    if (route.kind === 'broadcast' && route.agent !== request.agent) {
      this.counters.count('filtered')
      return null
    }
    let matches: boolean
    try {
      const lookups = await resolveDataLookups(request.filter, { host: this.o.host, node: this }, {
        timeoutMs: 2000,
        onError: (call, message) => this.log.debug('data query failed; its filter term is false', { requestid: request.id, plugin: call.name, args: call.args.join(','), error: message }),
      })
      matches = compileFilter(request.filter).matches(this.inventory(), lookups)
    } catch (e) {
      this.counters.count('unvalidated')
      this.log.warn('request refused: bad filter', { requestid: request.id, error: errorMessage(e) })
      return null
    }
    if (!matches) {
      this.counters.count('filtered')
      return null
    }
    this.counters.count('passed')
    if (!replyDestinationPattern.test(request.replyTo)) {
      this.counters.count('unvalidated')
      this.log.warn('request refused: bad reply destination', { requestid: request.id, reply_to: request.replyTo.slice(0, 100) })
      return null
    }
    const result = await this.act(request)
    if (request.agent !== DISCOVERY_AGENT) this.audit(request, result.denied ? 'denied' : result.status === Status.OK ? 'ok' : 'failed', result.status, result.message, true)
    if (result.status !== Status.OK) this.counters.count('errors')
    this.counters.addActionTime(result.durationMs)
    const reply: Reply = {
      kind: 'reply',
      requestId: request.id,
      sender: this.identity,
      agent: request.agent,
      action: request.action,
      status: result.status,
      message: result.message,
      data: result.data,
      createdAtMs: this.o.clock.nowMs(),
    }
    try {
      const body = await this.o.codec.encode(reply)
      this.counters.count('replies')
      return { destination: request.replyTo, body }
    } catch (e) {
      this.log.error('cannot encode reply', { requestid: request.id, error: errorMessage(e) })
      const fallback: Reply = { ...reply, status: Status.UnknownError, message: `reply could not be sent: ${errorMessage(e)}`, data: {} }
      const body = await this.o.codec.encode(fallback)
      this.counters.count('replies')
      return { destination: request.replyTo, body }
    }
  }

  private async act(request: Request): Promise<ActionResult & { denied?: boolean }> {
    if (request.agent === DISCOVERY_AGENT) {
      return { status: Status.OK, message: 'OK', data: { pong: Math.floor(this.o.clock.nowMs() / 1000), agents: this.agentNames() }, durationMs: 0 }
    }
    const agent = this.o.agents.get(request.agent)
    if (!agent) {
      return { status: Status.UnknownAction, message: `unknown agent '${request.agent}' on ${this.identity}; it has ${this.agentNames().join(', ')}`, durationMs: 0, data: {} }
    }
    if (this.o.authorizer) {
      const decision = this.o.authorizer.authorize(request.agent, { callerId: request.callerId, action: request.action }, this.inventory())
      if (!decision.allowed) {
        this.counters.count('denied')
        this.log.warn('request denied', { requestid: request.id, caller: request.callerId, agent: request.agent, action: request.action, reason: decision.reason })
        return { status: Status.Aborted, message: decision.reason, durationMs: 0, data: {}, denied: true }
      }
    }
    if (!(await this.o.limiter.acquire())) {
      this.counters.count('busy')
      return { status: Status.Aborted, message: `${this.identity} is busy: too many actions queued; retry later`, durationMs: 0, data: {} }
    }
    try {
      return await dispatchAction(agent, request.action, request.data, {
        node: this,
        host: this.o.host,
        request: { id: request.id, callerId: request.callerId, sender: request.sender, agent: request.agent, action: request.action, collective: request.collective },
        logger: this.log,
      })
    } finally {
      this.o.limiter.release()
    }
  }

  private audit(request: Request, outcome: AuditRecord['outcome'], status: number | null, message: string, verified: boolean): void {
    if (!this.o.audit) return
    this.o.audit.write({
      time: new Date(this.o.clock.nowMs()).toISOString(),
      requestid: request.id,
      caller: request.callerId,
      sender: request.sender,
      node: this.identity,
      collective: request.collective,
      agent: request.agent,
      action: request.action,
      inputs: redactInputs(request.data, this.o.agents.get(request.agent)?.ddl.actions[request.action]),
      filter: request.filter,
      outcome,
      statuscode: status,
      statusmsg: message,
      verified,
    })
  }

  /** A refused message, audited with what it claims (unverified, so marked so). */
  private auditRejected(bytes: Uint8Array, reason: string): void {
    if (!this.o.audit) return
    const claims = peekClaims(bytes)
    if (claims.agent === DISCOVERY_AGENT) return
    this.audit(
      { kind: 'request', id: claims.requestid ?? '?', sender: claims.senderid ?? '?', callerId: claims.callerid ?? '?', collective: claims.collective ?? '?', agent: claims.agent ?? '?', action: claims.action ?? '?', data: {}, filter: { fact: [], class: [], identity: [], agent: [], compound: [] }, createdAtMs: 0, ttlSeconds: 0, replyTo: '' },
      'rejected',
      null,
      reason,
      false,
    )
  }

  /** Rebuilt only when the facts snapshot or the classes list changes. */
  inventory(): NodeInventory {
    const facts = this.o.facts.all()
    const classes = this.o.classes()
    const c = this.inventoryCache
    if (c && c.facts === facts && c.classes === classes) return c.inventory
    const inventory: NodeInventory = { identity: this.identity, facts, classes: new Set(classes), agents: new Set([...this.o.agents.keys(), DISCOVERY_AGENT]) }
    this.inventoryCache = { facts, classes, inventory }
    return inventory
  }

  // NodeView, for agents such as rpcutil
  facts(): Facts {
    return this.o.facts.all()
  }

  fact(name: string): FactValue | undefined {
    return this.o.facts.get(name)
  }

  classes(): readonly string[] {
    return this.o.classes()
  }

  agents(): readonly AgentSummary[] {
    return this.agentSummaries
  }

  stats(): Record<string, unknown> {
    const cpu = cpuUsage()
    return {
      ...this.counters.snapshot(),
      pid: process.pid,
      concurrency: this.o.limiter.limit,
      times: { user: cpu.user / 1e6, system: cpu.system / 1e6 },
      version: this.version,
    }
  }
}

/** What an unverifiable message says about itself, for the audit log only. */
function peekClaims(bytes: Uint8Array): Record<string, string | undefined> {
  try {
    const outer = JSON.parse(Buffer.from(bytes).toString('utf8')) as { payload?: unknown }
    const inner = typeof outer.payload === 'string' ? (JSON.parse(outer.payload) as Record<string, unknown>) : {}
    const body = (inner.body ?? {}) as Record<string, unknown>
    const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 128) : undefined)
    return { requestid: str(inner.requestid), senderid: str(inner.senderid), callerid: str(inner.callerid), collective: str(inner.collective), agent: str(inner.agent), action: str(body.action) }
  } catch {
    return {}
  }
}
