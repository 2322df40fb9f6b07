import type { FactValue } from '../facts/types.js'
import { errorMessage } from '../util/errors.js'
import type { Session } from './session.js'

interface NodeInventoryData {
  facts: Record<string, FactValue>
  classes: string[]
  agents: string[]
  atMs: number
}

/**
 * What the session has learnt about the fleet (facts, classes, agents per node), for completion and
 * summaries. Filled from `rpcutil inventory` replies, loaded in the background on demand, never
 * blocking a caller longer than it asks.
 */
export class FleetInventory {
  private readonly nodes = new Map<string, NodeInventoryData>()
  private loading: Promise<void> | undefined
  private loadedAtMs = 0
  lastError: string | undefined

  constructor(
    private readonly session: Session,
    private readonly maxAgeMs = 300_000,
  ) {}

  /** Absorbs inventory-shaped reply data (`rpcutil inventory`). */
  record(identity: string, data: Record<string, unknown>): void {
    const facts = data.facts
    const prev = this.nodes.get(identity)
    this.nodes.set(identity, {
      facts: isRecord(facts) ? (facts as Record<string, FactValue>) : (prev?.facts ?? {}),
      classes: Array.isArray(data.classes) ? data.classes.map(String) : (prev?.classes ?? []),
      agents: Array.isArray(data.agents) ? data.agents.map(String) : (prev?.agents ?? []),
      atMs: Date.now(),
    })
  }

  /** Absorbs one fact value per node (`rpcutil get_fact` replies). */
  recordFact(identity: string, fact: string, value: FactValue | null): void {
    const prev = this.nodes.get(identity) ?? { facts: {}, classes: [], agents: [], atMs: Date.now() }
    if (value === null) return
    this.nodes.set(identity, { ...prev, facts: { ...prev.facts, [fact]: value } })
  }

  /**
   * Loads the scope's inventory when what is known is older than the maximum age; waits at most
   * `waitMs` (the load goes on in the background and serves the next call).
   */
  async ensure(waitMs: number): Promise<void> {
    if (Date.now() - this.loadedAtMs < this.maxAgeMs && this.nodes.size > 0) return
    this.loading ??= this.load().finally(() => (this.loading = undefined))
    await Promise.race([this.loading, new Promise((r) => setTimeout(r, waitMs).unref())])
  }

  private async load(): Promise<void> {
    try {
      const client = await this.session.connectedClient()
      const known = this.session.scopeNodeSet()
      const result = await client.call({
        agent: 'rpcutil',
        action: 'inventory',
        filter: this.session.scope,
        collective: this.session.collective,
        timeoutMs: 5000,
        ...(known ? { nodes: known.nodes, addressing: 'broadcast' as const } : {}),
      })
      for (const r of result.replies) if (r.status === 0) this.record(r.sender, r.data)
      this.loadedAtMs = Date.now()
      this.lastError = undefined
    } catch (e) {
      this.lastError = errorMessage(e)
    }
  }

  get size(): number {
    return this.nodes.size
  }

  identities(): string[] {
    const ids = new Set<string>(this.nodes.keys())
    for (const n of this.session.nodeSet?.nodes ?? []) ids.add(n)
    return [...ids].sort()
  }

  /** Fact names, the most common first. */
  factNames(): string[] {
    const counts = new Map<string, number>()
    for (const n of this.nodes.values()) for (const k of Object.keys(n.facts)) counts.set(k, (counts.get(k) ?? 0) + 1)
    return byCount(counts)
  }

  /** Values of a fact seen in the fleet, the most common first. */
  factValues(name: string): string[] {
    const counts = new Map<string, number>()
    for (const n of this.nodes.values()) {
      const v = n.facts[name]
      if (v !== undefined) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1)
    }
    return byCount(counts)
  }

  classes(): string[] {
    const counts = new Map<string, number>()
    for (const n of this.nodes.values()) for (const c of n.classes) counts.set(c, (counts.get(c) ?? 0) + 1)
    return byCount(counts)
  }

  agents(): string[] {
    const names = new Set<string>()
    for (const n of this.nodes.values()) for (const a of n.agents) names.add(a)
    for (const list of this.session.nodeSet?.agents.values() ?? []) for (const a of list) names.add(a)
    names.delete('discovery')
    return [...names].sort()
  }
}

function byCount(counts: Map<string, number>): string[] {
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k)
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
