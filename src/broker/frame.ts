import { McshError } from '../util/errors.js'

export type StompVersion = '1.0' | '1.1' | '1.2'

/** How header names and values are escaped: 1.0 not at all, 1.1 `\\ \n \c`, 1.2 adds `\r`. */
export type EscapeMode = 'none' | '1.1' | '1.2'

export interface StompFrame {
  command: string
  /** The first occurrence of a repeated header wins (STOMP 1.2, "Repeated Header Entries"). */
  headers: Map<string, string>
  body: Buffer
}

export type HeaderInput = Readonly<Record<string, string>> | Iterable<readonly [string, string]>

export const CLIENT_COMMANDS: ReadonlySet<string> = new Set([
  'CONNECT',
  'STOMP',
  'SEND',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'ACK',
  'NACK',
  'BEGIN',
  'COMMIT',
  'ABORT',
  'DISCONNECT',
])
export const SERVER_COMMANDS: ReadonlySet<string> = new Set(['CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR'])
const ALL_COMMANDS: ReadonlySet<string> = new Set([...CLIENT_COMMANDS, ...SERVER_COMMANDS])

export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024
export const DEFAULT_MAX_HEADERS = 100
export const DEFAULT_MAX_HEADER_LINE_BYTES = 64 * 1024

/** A protocol violation by the peer. `receiptId` is the offending frame's `receipt` header when it was read. */
export class StompFrameError extends McshError {
  readonly receiptId: string | undefined

  constructor(message: string, receiptId?: string) {
    super('MCSH_STOMP_FRAME', message)
    this.name = 'StompFrameError'
    this.receiptId = receiptId
  }
}

export function escapeModeFor(version: StompVersion): EscapeMode {
  return version === '1.0' ? 'none' : version
}

/** CONNECT, STOMP and CONNECTED headers are never escaped (STOMP 1.2, "Value Encoding"). */
function isRawHeaderCommand(command: string): boolean {
  return command === 'CONNECT' || command === 'CONNECTED' || command === 'STOMP'
}

const LF = 0x0a
const CR = 0x0d
const NUL = 0x00
const EMPTY = Buffer.alloc(0)

function clip(text: string, max = 60): string {
  const printable = JSON.stringify(text).slice(1, -1)
  return printable.length > max ? printable.slice(0, max) + '…' : printable
}

export function unescapeHeader(text: string, mode: EscapeMode, where: string): string {
  if (mode === 'none') return text
  let i = text.indexOf('\\')
  if (i < 0) return text
  let out = ''
  let last = 0
  while (i >= 0) {
    out += text.slice(last, i)
    const c = text[i + 1]
    if (c === 'n') out += '\n'
    else if (c === 'c') out += ':'
    else if (c === '\\') out += '\\'
    else if (c === 'r') out += '\r'
    else if (c === undefined) throw new StompFrameError(`invalid escape sequence: '\\' at the end of ${where}`)
    else throw new StompFrameError(`invalid escape sequence '\\${clip(c)}' in ${where}`)
    last = i + 2
    i = text.indexOf('\\', last)
  }
  return out + text.slice(last)
}

const NEEDS_ESCAPE_12 = /[\\\n\r:]/
const NEEDS_ESCAPE_11 = /[\\\n:]/

export function escapeHeader(text: string, mode: EscapeMode): string {
  if (mode === 'none') return text
  if (!(mode === '1.2' ? NEEDS_ESCAPE_12 : NEEDS_ESCAPE_11).test(text)) return text
  let out = ''
  for (const ch of text) {
    if (ch === '\\') out += '\\\\'
    else if (ch === '\n') out += '\\n'
    else if (ch === ':') out += '\\c'
    else if (ch === '\r' && mode === '1.2') out += '\\r'
    else out += ch
  }
  return out
}

function headerEntries(headers: HeaderInput): Iterable<readonly [string, string]> {
  return Symbol.iterator in headers
    ? (headers as Iterable<readonly [string, string]>)
    : Object.entries(headers as Record<string, string>)
}

/** `name:value\n` lines, escaped for `mode`. */
export function encodeHeaderLines(headers: HeaderInput, mode: EscapeMode): string {
  let out = ''
  for (const [name, value] of headerEntries(headers)) out += `${escapeHeader(name, mode)}:${escapeHeader(value, mode)}\n`
  return out
}

/**
 * Serializes one frame. A `content-length` header is added when the body is not empty and the
 * headers have none, so bodies may contain NUL bytes.
 */
export function encodeFrame(
  command: string,
  headers: HeaderInput = {},
  body: Buffer | string = EMPTY,
  mode: EscapeMode = '1.2',
): Buffer {
  const bodyBytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
  const effective = isRawHeaderCommand(command) ? 'none' : mode
  let head = command + '\n'
  let hasLength = false
  for (const [name, value] of headerEntries(headers)) {
    if (name === 'content-length') hasLength = true
    head += `${escapeHeader(name, effective)}:${escapeHeader(value, effective)}\n`
  }
  if (!hasLength && bodyBytes.length > 0) head += `content-length:${bodyBytes.length}\n`
  head += '\n'
  const headBytes = Buffer.byteLength(head)
  const out = Buffer.allocUnsafe(headBytes + bodyBytes.length + 1)
  out.write(head, 0, 'utf8')
  bodyBytes.copy(out, headBytes)
  out[out.length - 1] = NUL
  return out
}

/** One EOL: a heart-beat. */
export const HEARTBEAT = Buffer.from('\n')

export interface FrameParserOptions {
  maxFrameBytes?: number
  maxHeaders?: number
  maxHeaderLineBytes?: number
  /** Commands accepted; default every STOMP client and server command. */
  commands?: ReadonlySet<string>
  escape?: EscapeMode
}

/**
 * Incremental STOMP frame parser. Complete frames inside a chunk are parsed in place (bodies are
 * views of that chunk, valid until the caller drops them); only the tail of an incomplete frame
 * is copied, into a buffer that grows geometrically, so a frame split over many chunks costs
 * linear time. The buffer is only ever appended to, never compacted, so bodies already handed
 * out are never overwritten.
 */
export class FrameParser {
  /** Header escaping for frames other than CONNECT/STOMP/CONNECTED; set it once the version is negotiated. */
  escape: EscapeMode
  /** EOLs seen between frames. */
  heartbeats = 0

  private readonly maxFrameBytes: number
  private readonly maxHeaders: number
  private readonly maxLineBytes: number
  private readonly commands: ReadonlySet<string>

  private buf: Buffer = EMPTY
  private start = 0
  private end = 0
  private owned = false
  private stopped = false
  private failure: StompFrameError | undefined

  // The frame in progress. Offsets are relative to `start`, so they survive reallocation.
  private command: string | undefined
  private headers = new Map<string, string>()
  private headerCount = 0
  private headersAt = 0
  private lineStart = 0
  private lfScanned = 0
  private bodyStart = -1
  private contentLength = -1
  private bodyScanned = 0

  constructor(
    private readonly onFrame: (frame: StompFrame) => void,
    options: FrameParserOptions = {},
  ) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
    this.maxHeaders = options.maxHeaders ?? DEFAULT_MAX_HEADERS
    this.maxLineBytes = options.maxHeaderLineBytes ?? DEFAULT_MAX_HEADER_LINE_BYTES
    this.commands = options.commands ?? ALL_COMMANDS
    this.escape = options.escape ?? '1.2'
  }

  /** Bytes held for a frame not yet complete. */
  get bufferedBytes(): number {
    return this.end - this.start
  }

  /** Emits no more frames; later chunks are ignored. Safe to call from `onFrame`. */
  stop(): void {
    this.stopped = true
    this.release()
  }

  /**
   * Parses every frame `chunk` completes, calling `onFrame` for each in order. Throws
   * StompFrameError at the first malformed frame (frames before it have been emitted); the
   * parser then stays failed and the connection should be closed.
   */
  push(chunk: Buffer): void {
    if (this.failure) throw this.failure
    if (this.stopped || chunk.length === 0) return
    this.append(chunk)
    try {
      while (!this.stopped && this.start < this.end && this.step()) {
        // each step consumes one EOL or one frame
      }
    } catch (e) {
      if (e instanceof StompFrameError) {
        this.failure = e
        this.release()
      }
      throw e
    }
    if (this.start >= this.end) this.release()
  }

  private release(): void {
    this.buf = EMPTY
    this.start = 0
    this.end = 0
    this.owned = false
  }

  private append(chunk: Buffer): void {
    if (this.start >= this.end) {
      this.buf = chunk
      this.start = 0
      this.end = chunk.length
      this.owned = false
      return
    }
    if (this.owned && this.buf.length - this.end >= chunk.length) {
      chunk.copy(this.buf, this.end)
      this.end += chunk.length
      return
    }
    const held = this.end - this.start
    const need = held + chunk.length
    // With a known content-length, allocate the whole frame at once.
    const frameBytes = this.contentLength >= 0 ? this.bodyStart + this.contentLength + 1 : 0
    const capacity = Math.max(need, frameBytes > need ? frameBytes : Math.min(need * 2, need + this.maxFrameBytes), 4096)
    const next = Buffer.allocUnsafe(capacity)
    this.buf.copy(next, 0, this.start, this.end)
    chunk.copy(next, held)
    this.buf = next
    this.start = 0
    this.end = need
    this.owned = true
  }

  private indexOf(byte: number, from: number): number {
    const i = this.buf.indexOf(byte, from)
    return i >= 0 && i < this.end ? i : -1
  }

  private fail(message: string): never {
    throw new StompFrameError(message, this.headers.get('receipt'))
  }

  private where(): string {
    return `${this.command ?? 'the'} frame`
  }

  private step(): boolean {
    if (this.bodyStart < 0) {
      if (this.command === undefined && this.lineStart === 0 && this.lfScanned === 0) {
        const b = this.buf[this.start]
        if (b === LF) {
          this.start += 1
          this.heartbeats++
          return true
        }
        if (b === CR) {
          if (this.start + 1 >= this.end) return false
          if (this.buf[this.start + 1] !== LF) this.fail('malformed frame: carriage return not followed by line feed between frames')
          this.start += 2
          this.heartbeats++
          return true
        }
      }
      if (!this.readHead()) return false
    }
    return this.readBody()
  }

  private readHead(): boolean {
    const buf = this.buf
    for (;;) {
      const lineAt = this.start + this.lineStart
      const nl = this.indexOf(LF, lineAt + this.lfScanned)
      if (nl < 0) {
        const open = this.end - lineAt
        if (open > this.maxLineBytes) this.lineTooLong()
        if (this.end - this.start > this.maxFrameBytes) this.fail(`frame too large: more than ${this.maxFrameBytes} bytes`)
        this.lfScanned = open
        return false
      }
      this.lfScanned = 0
      const lineEnd = nl > lineAt && buf[nl - 1] === CR ? nl - 1 : nl
      if (lineEnd - lineAt > this.maxLineBytes) this.lineTooLong()
      this.lineStart = nl + 1 - this.start
      if (this.command === undefined) {
        const command = buf.toString('utf8', lineAt, lineEnd)
        if (!this.commands.has(command)) this.fail(`unknown command '${clip(command, 40)}'`)
        this.command = command
        this.headersAt = this.lineStart
        continue
      }
      if (lineEnd === lineAt) {
        this.bodyStart = this.lineStart
        break
      }
      if (++this.headerCount > this.maxHeaders) this.fail(`too many headers in ${this.where()}: more than ${this.maxHeaders}`)
    }
    if (this.headerCount > 0) {
      // One decode for the whole header block; lines were checked above.
      const block = buf.toString('utf8', this.start + this.headersAt, this.start + this.bodyStart)
      for (const line of block.split('\n')) {
        const text = line.endsWith('\r') ? line.slice(0, -1) : line
        if (text.length > 0) this.readHeaderLine(text)
      }
    }
    const length = this.headers.get('content-length')
    if (length !== undefined) {
      if (!/^[0-9]{1,15}$/.test(length)) this.fail(`invalid content-length header in ${this.where()}: '${clip(length, 40)}' is not a number`)
      this.contentLength = Number(length)
      if (this.bodyStart + this.contentLength > this.maxFrameBytes)
        this.fail(`frame too large: content-length ${this.contentLength} exceeds the maximum frame size of ${this.maxFrameBytes} bytes`)
    }
    if (this.bodyStart > this.maxFrameBytes) this.fail(`frame too large: more than ${this.maxFrameBytes} bytes`)
    return true
  }

  private lineTooLong(): never {
    if (this.command === undefined) this.fail(`unknown command: the first line is longer than ${this.maxLineBytes} bytes`)
    this.fail(`header line too long in ${this.where()}: more than ${this.maxLineBytes} bytes`)
  }

  private readHeaderLine(line: string): void {
    const colon = line.indexOf(':')
    if (colon < 0) this.fail(`malformed header line in ${this.where()}: no ':' in '${clip(line)}'`)
    if (colon === 0) this.fail(`malformed header line in ${this.where()}: empty header name in '${clip(line)}'`)
    let name = line.slice(0, colon)
    let value = line.slice(colon + 1)
    if (line.includes('\\') && this.escape !== 'none' && !isRawHeaderCommand(this.command as string)) {
      try {
        name = unescapeHeader(name, this.escape, `a header name in ${this.where()}`)
        value = unescapeHeader(value, this.escape, `header '${clip(name, 40)}' of ${this.where()}`)
      } catch (e) {
        if (e instanceof StompFrameError) this.fail(e.message)
        throw e
      }
    }
    if (!this.headers.has(name)) this.headers.set(name, value)
  }

  private readBody(): boolean {
    const bodyAt = this.start + this.bodyStart
    let nul: number
    if (this.contentLength >= 0) {
      nul = bodyAt + this.contentLength
      if (nul >= this.end) return false
      if (this.buf[nul] !== NUL)
        this.fail(`malformed ${this.where()}: body of content-length ${this.contentLength} is not followed by a NUL byte`)
    } else {
      nul = this.indexOf(NUL, bodyAt + this.bodyScanned)
      if (nul < 0) {
        if (this.end - this.start > this.maxFrameBytes) this.fail(`frame too large: more than ${this.maxFrameBytes} bytes`)
        this.bodyScanned = this.end - bodyAt
        return false
      }
      if (nul - this.start > this.maxFrameBytes) this.fail(`frame too large: more than ${this.maxFrameBytes} bytes`)
    }
    const frame: StompFrame = { command: this.command as string, headers: this.headers, body: this.buf.subarray(bodyAt, nul) }
    this.start = nul + 1
    this.command = undefined
    this.headers = new Map()
    this.headerCount = 0
    this.headersAt = 0
    this.lineStart = 0
    this.lfScanned = 0
    this.bodyStart = -1
    this.contentLength = -1
    this.bodyScanned = 0
    this.onFrame(frame)
    return true
  }
}

/** Parses a buffer holding whole frames (tests, tools). Throws StompFrameError if malformed or incomplete. */
export function parseFrames(data: Buffer | string, options: FrameParserOptions = {}): StompFrame[] {
  const frames: StompFrame[] = []
  const parser = new FrameParser((f) => frames.push(f), options)
  parser.push(typeof data === 'string' ? Buffer.from(data, 'utf8') : data)
  if (parser.bufferedBytes > 0) throw new StompFrameError(`incomplete frame: ${parser.bufferedBytes} bytes without a terminating NUL`)
  return frames
}

/**
 * The header a client frame lacks, as an error message, or undefined when complete. Lenient
 * where clients in the wild are: 1.0 SUBSCRIBE without `id`; ACK by `id` or `message-id` in any version.
 */
export function missingHeaderError(frame: StompFrame, version: StompVersion): string | undefined {
  const h = frame.headers
  const need = (name: string) => (h.has(name) ? undefined : `${frame.command} frame is missing the required '${name}' header`)
  switch (frame.command) {
    case 'SEND':
      return need('destination')
    case 'SUBSCRIBE':
      return need('destination') ?? (version === '1.0' ? undefined : need('id'))
    case 'UNSUBSCRIBE':
      if (version === '1.0' && h.has('destination')) return undefined
      return need('id')
    case 'ACK':
    case 'NACK':
      if (h.has('id') || h.has('message-id')) return undefined
      return need(version === '1.2' ? 'id' : 'message-id')
    case 'BEGIN':
    case 'COMMIT':
    case 'ABORT':
      return need('transaction')
    default:
      return undefined
  }
}

/**
 * A message as routed: the SEND's destination, a broker message id, the user headers, the body.
 * The part of the MESSAGE frame common to all deliveries (every header but `subscription` and
 * `ack`, the body and the NUL) is encoded once per escape mode and shared by all deliveries.
 */
export class OutboundMessage {
  private readonly blocks: Partial<Record<EscapeMode, Buffer>> = {}
  private readonly plain: boolean
  body: Buffer

  constructor(
    readonly id: string,
    readonly destination: string,
    readonly headers: ReadonlyArray<readonly [string, string]>,
    body: Buffer,
  ) {
    this.body = body
    this.plain = !NEEDS_ESCAPE_12.test(destination) && !NEEDS_ESCAPE_12.test(id) && headers.every(([k, v]) => !NEEDS_ESCAPE_12.test(k) && !NEEDS_ESCAPE_12.test(v))
    // Encode now so the message holds its own copy of the body, not a view of a socket chunk.
    this.block('1.2')
  }

  get sizeBytes(): number {
    return this.body.length
  }

  /** `destination:…\nmessage-id:…\n<headers>content-length:N\n\n<body>\0` */
  block(mode: EscapeMode): Buffer {
    const key: EscapeMode = this.plain ? '1.2' : mode
    const cached = this.blocks[key]
    if (cached) return cached
    let head = `destination:${escapeHeader(this.destination, key)}\nmessage-id:${escapeHeader(this.id, key)}\n`
    head += encodeHeaderLines(this.headers, key)
    head += `content-length:${this.body.length}\n\n`
    const headBytes = Buffer.byteLength(head)
    const block = Buffer.allocUnsafe(headBytes + this.body.length + 1)
    block.write(head, 0, 'utf8')
    this.body.copy(block, headBytes)
    block[block.length - 1] = NUL
    this.blocks[key] = block
    this.body = block.subarray(headBytes, headBytes + this.body.length)
    return block
  }
}

/** `MESSAGE\nsubscription:<id>\n`: what each delivery puts before the shared block (plus `ack:` when needed). */
export function messagePrefix(subscriptionId: string, mode: EscapeMode): Buffer {
  return Buffer.from(`MESSAGE\nsubscription:${escapeHeader(subscriptionId, mode)}\n`, 'utf8')
}
