import type { Filter } from '../filter/types.js'

export interface DiscoveryStats {
  discovered: number
  discovery_ms: number
}

export interface DiscoveryResult {
  nodes: string[]
  stats: DiscoveryStats
  /** How discovery ended: the adaptive window closed, the maximum was reached, or it was cancelled. */
  ended: 'window' | 'timeout' | 'cancelled' | 'list'
  method: string
  /** Agents per node, when the discovery replies tell them. */
  agents: Map<string, string[]>
}

export interface DiscoveryOptions {
  collective: string
  timeoutMs: number
  windowMs: number
  signal?: AbortSignal
  onNode?: (identity: string) => void
}

export interface DiscoveryMethod {
  readonly name: string
  discover(filter: Filter, o: DiscoveryOptions): Promise<DiscoveryResult>
}
