import type { AggregateResult, ActionDdl } from '../ddl/index.js'
import type { RpcResult } from '../client/result.js'
import { rpcResultToJson } from '../client/result.js'
import type { Filter } from '../filter/types.js'

export interface DiscoverResult {
  kind: 'discover'
  nodes: string[]
  filter: Filter
  collective: string
  method: string
  ended: string
  stats: { discovered: number; discovery_ms: number }
}

export interface PingResult {
  kind: 'ping'
  replies: Array<{ sender: string; time_ms: number }>
  filter: Filter
  collective: string
  stats: { responded: number; min_ms: number | null; max_ms: number | null; avg_ms: number | null; discovery_ms: number }
}

export interface RpcCommandResult {
  kind: 'rpc'
  rpc: RpcResult
  ddl?: ActionDdl
  aggregates: AggregateResult[]
}

/** Help, settings and other text; `data` is what `--json` prints. */
export interface TextResult {
  kind: 'text'
  text: string
  data?: unknown
  /** The exit status it stands for, when not OK (a script that failed). */
  status?: ExitCodeValue
}

/** The scope after `filter`, `unfilter`, `scope` or `use`, with the re-discovered node count. */
export interface ScopeResult {
  kind: 'scope'
  collective: string
  terms: Array<{ kind: string; text: string; label: string }>
  filter: Filter
  /** Nodes in scope, when discovered. */
  nodes: number | null
  discovery_ms: number | null
  message?: string
}

/** The session's node set (`nodes`), without discovering again. */
export interface NodesResult {
  kind: 'nodes'
  nodes: string[]
  collective: string
  filter: Filter
  age_ms: number
  agents: Record<string, string[]>
}

/** How a fact's values spread over the scope (`facts NAME`). */
export interface FactsResult {
  kind: 'facts'
  fact: string
  collective: string
  filter: Filter
  values: Array<{ value: string | number | boolean | null; count: number; nodes: string[] }>
  stats: { discovered: number; responded: number; no_response: number; failed: number; total_ms: number }
  no_response: string[]
}

/** One node's inventory (`inventory NODE`). */
export interface InventoryResult {
  kind: 'inventory'
  node: string
  data: Record<string, unknown>
  stats: { total_ms: number }
}

export interface ExitResult {
  kind: 'exit'
  code: number
}

export type CommandResult = DiscoverResult | PingResult | RpcCommandResult | TextResult | ScopeResult | NodesResult | FactsResult | InventoryResult | ExitResult

/** Documented exit statuses (docs/cli.md). */
export const ExitCode = {
  OK: 0,
  /** Some nodes failed, did not answer, sent replies that failed verification, or the call was cancelled. */
  Partial: 1,
  /** Bad command, option, filter or input. */
  Usage: 2,
  /** Broker unreachable, bad configuration. */
  Connection: 3,
  /** Nothing matched the filter. */
  NoNodes: 4,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export function exitCodeOf(r: CommandResult): ExitCodeValue {
  switch (r.kind) {
    case 'rpc': {
      const s = r.rpc.stats
      if (s.discovered === 0) return ExitCode.NoNodes
      return s.failed > 0 || s.no_response > 0 || s.invalid > 0 || r.rpc.cancelled ? ExitCode.Partial : ExitCode.OK
    }
    case 'discover':
      return r.nodes.length === 0 ? ExitCode.NoNodes : ExitCode.OK
    case 'ping':
      return r.replies.length === 0 ? ExitCode.NoNodes : ExitCode.OK
    case 'facts':
      if (r.stats.discovered === 0) return ExitCode.NoNodes
      return r.stats.no_response > 0 || r.stats.failed > 0 ? ExitCode.Partial : ExitCode.OK
    case 'scope':
      return r.nodes === 0 ? ExitCode.NoNodes : ExitCode.OK
    case 'text':
      return r.status ?? ExitCode.OK
    case 'nodes':
    case 'inventory':
      return ExitCode.OK
    case 'exit':
      return r.code as ExitCodeValue
    default: {
      const never: never = r
      return never
    }
  }
}

/** The stable JSON of every result (docs/json-output.md). */
export function resultToJson(r: CommandResult): unknown {
  switch (r.kind) {
    case 'rpc':
      return { ...rpcResultToJson(r.rpc), aggregates: r.aggregates }
    case 'discover':
      return { nodes: r.nodes, collective: r.collective, filter: r.filter, stats: r.stats }
    case 'ping':
      return { replies: r.replies, collective: r.collective, filter: r.filter, stats: r.stats }
    case 'text':
      return r.data ?? { text: r.text }
    case 'scope':
    case 'nodes':
    case 'facts':
    case 'inventory':
    case 'exit': {
      const { kind: _kind, ...rest } = r
      return rest
    }
    default: {
      const never: never = r
      return never
    }
  }
}
