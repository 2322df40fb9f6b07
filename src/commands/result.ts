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
}

export type CommandResult = DiscoverResult | PingResult | RpcCommandResult | TextResult

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
    case 'text':
      return ExitCode.OK
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
    default: {
      const never: never = r
      return never
    }
  }
}
