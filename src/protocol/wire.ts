import { validateFilter } from '../filter/index.js'
import { McshError } from '../util/errors.js'
import { PROTOCOL, type Message, type Reply, type Request } from './messages.js'
import { isStatusCode } from './status.js'

/** The documented JSON of a request (docs/protocol.md). Wire names live here only. */
export interface RequestWire {
  protocol: typeof PROTOCOL
  type: 'request'
  requestid: string
  senderid: string
  callerid: string
  collective: string
  agent: string
  msgtime: number
  ttl: number
  filter: unknown
  reply_to: string
  body: { action: string; data: Record<string, unknown> }
}

export interface ReplyWire {
  protocol: typeof PROTOCOL
  type: 'reply'
  requestid: string
  senderid: string
  agent: string
  msgtime: number
  body: { action: string; statuscode: number; statusmsg: string; data: Record<string, unknown> }
}

export function toWire(m: Message): RequestWire | ReplyWire {
  switch (m.kind) {
    case 'request':
      return {
        protocol: PROTOCOL,
        type: 'request',
        requestid: m.id,
        senderid: m.sender,
        callerid: m.callerId,
        collective: m.collective,
        agent: m.agent,
        msgtime: m.createdAtMs,
        ttl: m.ttlSeconds,
        filter: m.filter,
        reply_to: m.replyTo,
        body: { action: m.action, data: m.data },
      }
    case 'reply':
      return {
        protocol: PROTOCOL,
        type: 'reply',
        requestid: m.requestId,
        senderid: m.sender,
        agent: m.agent,
        msgtime: m.createdAtMs,
        body: { action: m.action, statuscode: m.status, statusmsg: m.message, data: m.data },
      }
    default: {
      const never: never = m
      throw new Error(`unknown message ${JSON.stringify(never)}`)
    }
  }
}

const idPattern = /^[\w.:@=-]{1,128}$/
const namePattern = /^[A-Za-z_][\w-]{0,63}$/

/** Checks the shape of a decoded message; a failure names the field and what was expected. */
export function fromWire(w: unknown): Message {
  if (!isObject(w)) throw malformed('message is not a JSON object')
  if (w.protocol !== PROTOCOL) throw new McshError('MCSH_MSG_PROTOCOL', `unsupported protocol ${JSON.stringify(w.protocol)}; this build speaks ${PROTOCOL}`)
  const str = (k: string, pattern?: RegExp) => {
    const v = w[k]
    if (typeof v !== 'string' || (pattern && !pattern.test(v))) throw malformed(`field '${k}' is missing or malformed: ${JSON.stringify(v)?.slice(0, 80)}`)
    return v
  }
  const num = (k: string) => {
    const v = w[k]
    if (typeof v !== 'number' || !Number.isFinite(v)) throw malformed(`field '${k}' must be a number`)
    return v
  }
  const body = w.body
  if (!isObject(body)) throw malformed("field 'body' must be an object")
  const data = body.data ?? {}
  if (!isObject(data)) throw malformed("field 'body.data' must be an object")
  const action = body.action
  if (typeof action !== 'string' || !namePattern.test(action)) throw malformed(`field 'body.action' is missing or malformed: ${JSON.stringify(action)?.slice(0, 80)}`)
  switch (w.type) {
    case 'request': {
      const req: Request = {
        kind: 'request',
        id: str('requestid', idPattern),
        sender: str('senderid', idPattern),
        callerId: str('callerid', idPattern),
        collective: str('collective', namePattern),
        agent: str('agent', namePattern),
        action,
        data,
        filter: validateFilter(w.filter ?? {}),
        createdAtMs: num('msgtime'),
        ttlSeconds: num('ttl'),
        replyTo: str('reply_to'),
      }
      return req
    }
    case 'reply': {
      const status = body.statuscode
      if (!isStatusCode(status)) throw malformed(`field 'body.statuscode' must be 0..5 but is ${JSON.stringify(status)}`)
      const statusmsg = body.statusmsg
      if (typeof statusmsg !== 'string') throw malformed("field 'body.statusmsg' must be a string")
      const reply: Reply = {
        kind: 'reply',
        requestId: str('requestid', idPattern),
        sender: str('senderid', idPattern),
        agent: str('agent', namePattern),
        action,
        status,
        message: statusmsg,
        data,
        createdAtMs: num('msgtime'),
      }
      return reply
    }
    default:
      throw malformed(`field 'type' must be 'request' or 'reply' but is ${JSON.stringify(w.type)}`)
  }
}

function malformed(what: string): McshError {
  return new McshError('MCSH_MSG_MALFORMED', `malformed message: ${what}`)
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
