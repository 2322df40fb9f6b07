import type { Filter } from '../filter/types.js'
import type { StatusCode } from '../protocol/status.js'

export interface NodeReply {
  sender: string
  status: StatusCode
  message: string
  data: Record<string, unknown>
  /** From the request being sent to this reply arriving. */
  elapsedMs: number
}

export interface RpcStats {
  /** Nodes discovered (or listed) before any limit. */
  discovered: number
  /** Nodes the request was sent to (after a limit). */
  targeted: number
  responded: number
  ok: number
  failed: number
  no_response: number
  /** Replies refused because they failed verification; never shown as data. */
  invalid: number
  discovery_ms: number
  call_ms: number
  total_ms: number
}

export interface RpcResult {
  requestId: string
  agent: string
  action: string
  /** The inputs sent, after DDL coercion and defaults. */
  inputs: Record<string, unknown>
  collective: string
  filter: Filter
  /** The targets, sorted. */
  discovered: string[]
  replies: NodeReply[]
  noResponse: string[]
  invalid: Array<{ sender: string | null; reason: string }>
  /** Stopped by the caller (Ctrl-C) before every node answered. */
  cancelled: boolean
  stats: RpcStats
}

/** The documented JSON of an RPC result (docs/json-output.md). */
export interface RpcResultJson {
  request_id: string
  agent: string
  action: string
  inputs: Record<string, unknown>
  collective: string
  filter: Filter
  discovered: string[]
  replies: Array<{ sender: string; statuscode: number; statusmsg: string; data: Record<string, unknown> }>
  no_response: string[]
  invalid_replies: Array<{ sender: string | null; reason: string }>
  cancelled: boolean
  stats: RpcStats
}

export function rpcResultToJson(r: RpcResult): RpcResultJson {
  return {
    request_id: r.requestId,
    agent: r.agent,
    action: r.action,
    inputs: r.inputs,
    collective: r.collective,
    filter: r.filter,
    discovered: r.discovered,
    replies: r.replies.map((x) => ({ sender: x.sender, statuscode: x.status, statusmsg: x.message, data: x.data })),
    no_response: r.noResponse,
    invalid_replies: r.invalid,
    cancelled: r.cancelled,
    stats: r.stats,
  }
}
