import type { SecurityPlugin, Seal } from '../security/types.js'
import { SecurityError } from '../security/errors.js'
import type { Serializer } from '../serializer/types.js'
import { McshError } from '../util/errors.js'
import { PROTOCOL, type Message, type Reply, type Request } from './messages.js'
import { fromWire, toWire } from './wire.js'

/**
 * The bytes on the broker: `{ mcsh, serializer, seal, payload }` where `payload` is the serialized
 * request or reply and `seal` signs exactly those bytes (docs/protocol.md).
 */
interface SealedWire {
  mcsh: string
  serializer: string
  seal: Seal
  payload: string
}

export interface Decoded<M extends Message = Message> {
  message: M
  /** Whom the seal proves: the caller id of a request, the node of a reply. */
  signer: string
  sizeBytes: number
}

export interface CodecOptions {
  security: SecurityPlugin
  serializer: Serializer
  maxMessageBytes: number
}

export class MessageCodec {
  readonly security: SecurityPlugin
  readonly serializer: Serializer
  private readonly maxMessageBytes: number

  constructor(options: CodecOptions) {
    this.security = options.security
    this.serializer = options.serializer
    this.maxMessageBytes = options.maxMessageBytes
  }

  async encode(message: Message): Promise<Buffer> {
    const payloadBytes = this.serializer.encode(toWire(message))
    const signer = message.kind === 'request' ? message.callerId : message.sender
    const seal = await this.security.seal(payloadBytes, message.kind, signer)
    const sealed: SealedWire = {
      mcsh: PROTOCOL,
      serializer: this.serializer.name,
      seal,
      payload: this.serializer.binary ? payloadBytes.toString('base64') : payloadBytes.toString('utf8'),
    }
    const bytes = Buffer.from(JSON.stringify(sealed), 'utf8')
    if (bytes.length > this.maxMessageBytes)
      throw new McshError('MCSH_MSG_TOO_LARGE', `message is ${bytes.length} bytes, over the limit of ${this.maxMessageBytes} (maxMessageBytes): send less data`)
    return bytes
  }

  /** Verifies and decodes; throws McshError (MCSH_MSG_*) or SecurityError (MCSH_SECURITY_*). */
  async decode(bytes: Uint8Array): Promise<Decoded> {
    if (bytes.length > this.maxMessageBytes)
      throw new McshError('MCSH_MSG_TOO_LARGE', `message of ${bytes.length} bytes is over the limit of ${this.maxMessageBytes}`)
    let outer: unknown
    try {
      outer = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'))
    } catch {
      throw new McshError('MCSH_MSG_MALFORMED', `malformed message: not a sealed mcsh message (not JSON; starts with ${JSON.stringify(Buffer.from(bytes.subarray(0, 24)).toString('utf8'))})`)
    }
    const sealed = checkSealed(outer)
    if (sealed.serializer !== this.serializer.name)
      throw new McshError('MCSH_MSG_SERIALIZER', `message uses serializer '${sealed.serializer}' but this side is configured for '${this.serializer.name}'`)
    if (sealed.seal.plugin !== this.security.name)
      throw new SecurityError('MCSH_SECURITY_MISMATCH', `message sealed by security plugin '${sealed.seal.plugin}' but this side uses '${this.security.name}'`)
    const payloadBytes = Buffer.from(sealed.payload, this.serializer.binary ? 'base64' : 'utf8')
    const role = peekRole(sealed.payload)
    const signer = await this.security.verify(payloadBytes, sealed.seal, role)
    const message = fromWire(this.serializer.decode(payloadBytes))
    if (message.kind !== role) throw new SecurityError('MCSH_SECURITY_SIGNATURE', `message claims to be a ${role} but its payload is a ${message.kind}`)
    const claimed = message.kind === 'request' ? message.callerId : message.sender
    if (claimed !== signer)
      throw new SecurityError(
        'MCSH_SECURITY_CALLER',
        `${message.kind} claims to come from '${claimed}' but is signed by '${signer}'`,
      )
    return { message, signer, sizeBytes: bytes.length }
  }

  async decodeRequest(bytes: Uint8Array): Promise<Decoded<Request>> {
    const d = await this.decode(bytes)
    if (d.message.kind !== 'request') throw new McshError('MCSH_MSG_MALFORMED', 'malformed message: expected a request but got a reply')
    return d as Decoded<Request>
  }

  async decodeReply(bytes: Uint8Array): Promise<Decoded<Reply>> {
    const d = await this.decode(bytes)
    if (d.message.kind !== 'reply') throw new McshError('MCSH_MSG_MALFORMED', 'malformed message: expected a reply but got a request')
    return d as Decoded<Reply>
  }
}

/**
 * The role is part of what is signed (a reply cannot be replayed as a request), so it is read before
 * verification; the full, verified decode confirms it.
 */
function peekRole(payload: string): 'request' | 'reply' {
  const m = /"type"\s*:\s*"(request|reply)"/.exec(payload.slice(0, 512))
  if (!m) throw new McshError('MCSH_MSG_MALFORMED', "malformed message: payload has no 'type' of request or reply")
  return m[1] as 'request' | 'reply'
}

function checkSealed(v: unknown): SealedWire {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new McshError('MCSH_MSG_MALFORMED', 'malformed message: not a JSON object')
  const o = v as Record<string, unknown>
  if (o.mcsh !== PROTOCOL)
    throw new McshError('MCSH_MSG_PROTOCOL', `unsupported message: 'mcsh' is ${JSON.stringify(o.mcsh)} but this build speaks ${PROTOCOL}`)
  if (typeof o.serializer !== 'string') throw new McshError('MCSH_MSG_MALFORMED', "malformed message: 'serializer' must be a string")
  if (typeof o.payload !== 'string') throw new McshError('MCSH_MSG_MALFORMED', "malformed message: 'payload' must be a string")
  const seal = o.seal
  if (typeof seal !== 'object' || seal === null || Array.isArray(seal))
    throw new SecurityError('MCSH_SECURITY_UNSIGNED', "message has no 'seal': unsigned messages are refused")
  for (const [k, val] of Object.entries(seal))
    if (typeof val !== 'string') throw new SecurityError('MCSH_SECURITY_UNSIGNED', `message seal field '${k}' must be a string`)
  const s = seal as Seal
  if (!s.plugin || !s.signer || !s.signature) throw new SecurityError('MCSH_SECURITY_UNSIGNED', "message seal needs 'plugin', 'signer' and 'signature'")
  return { mcsh: o.mcsh, serializer: o.serializer, seal: s, payload: o.payload }
}
