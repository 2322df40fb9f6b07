import type { Filter } from '../filter/types.js'
import type { StatusCode } from './status.js'

export const PROTOCOL = 'mcsh/1'

/** A request as the program sees it; `wire.ts` maps it to and from the documented JSON. */
export interface Request {
  kind: 'request'
  id: string
  /** The client's identity (where the request comes from). */
  sender: string
  /** Who asks, as the security plugin proved it: `uid=1000`, `cert=alice`. */
  callerId: string
  collective: string
  agent: string
  action: string
  data: Record<string, unknown>
  filter: Filter
  createdAtMs: number
  ttlSeconds: number
  replyTo: string
}

export interface Reply {
  kind: 'reply'
  requestId: string
  /** The replying node's identity. */
  sender: string
  agent: string
  action: string
  status: StatusCode
  message: string
  data: Record<string, unknown>
  createdAtMs: number
}

export type Message = Request | Reply
