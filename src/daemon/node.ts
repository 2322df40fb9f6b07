import { cpuUsage } from 'node:process'
import type { AgentSummary, NodeView } from '../agents/define.js'
import { dispatchAction, type ActionResult } from '../agents/dispatch.js'
import { agentSummary, type LoadedAgent } from '../agents/registry.js'
import type { Facts, FactValue } from '../facts/types.js'
import { compileFilter } from '../filter/index.js'
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
    this.dataPlugins = o.dataPlugins ?? []
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
      this.log.warn('request refused', { code: isMcshError(e) ? e.code : 'MCSH_MSG_MALFORMED', error: errorMessage(e), route: route.kind })
      return null
    }
    const nowMs = this.o.clock.nowMs()
    try {
      checkFreshness(request, nowMs, this.o.maxClockSkewMs)
      this.replay.admit(request.id, request.createdAtMs + request.ttlSeconds * 1000 + this.o.maxClockSkewMs, nowMs)
    } catch (e) {
      this.counters.count(isMcshError(e, 'MCSH_MSG_REPLAYED') ? 'replayed' : 'ttlexpired')
      this.log.warn('request refused', { code: isMcshError(e) ? e.code : '', error: errorMessage(e), requestid: request.id, caller: request.callerId })
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
      matches = compileFilter(request.filter).matches(this.inventory())
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

  private async act(request: Request): Promise<ActionResult> {
    if (request.agent === DISCOVERY_AGENT) {
      return { status: Status.OK, message: 'OK', data: { pong: Math.floor(this.o.clock.nowMs() / 1000), agents: this.agentNames() }, durationMs: 0 }
    }
    const agent = this.o.agents.get(request.agent)
    if (!agent) {
      return { status: Status.UnknownAction, message: `unknown agent '${request.agent}' on ${this.identity}; it has ${this.agentNames().join(', ')}`, durationMs: 0, data: {} }
    }
    if (!(await this.o.limiter.acquire())) {
      this.counters.count('busy')
      return { status: Status.Aborted, message: `${this.identity} is busy: too many actions queued; retry later`, durationMs: 0, data: {} }
    }
    try {
      return await dispatchAction(agent, request.action, request.data, {
        node: this,
        request: { id: request.id, callerId: request.callerId, sender: request.sender, agent: request.agent, action: request.action, collective: request.collective },
        logger: this.log,
      })
    } finally {
      this.o.limiter.release()
    }
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
