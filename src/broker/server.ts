import { randomBytes } from 'node:crypto'
import { type Server, type Socket, createServer } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { McshError } from '../util/errors.js'
import { type Logger, silentLogger } from '../util/logger.js'
import { Router, newCounters } from './destinations.js'
import { DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_HEADERS, DEFAULT_MAX_HEADER_LINE_BYTES } from './frame.js'
import { Session, type SessionContext } from './session.js'

export interface BrokerOptions {
  /** Default '127.0.0.1'. */
  host?: string
  /** Default 61613; 0 picks a free port. */
  port?: number
  /** When set, CONNECT must carry one of these login/passcode pairs; otherwise anyone may connect. */
  users?: Array<{ login: string; passcode: string }>
  /** Default 8 MiB. A bigger frame gets an ERROR and the connection is closed. */
  maxFrameBytes?: number
  /** Messages a queue keeps while nobody is subscribed; default 10,000. Beyond it the oldest are dropped and counted. */
  queueBufferLimit?: number
  /** The heart-beat interval the server offers and asks for; default 10,000; 0 disables heart-beats. */
  heartbeatMs?: number
  /** Serve stomp+ssl with node:tls. */
  tls?: { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer; requestCert?: boolean }
  logger?: Logger
}

/** Knobs for tests and benchmarks; the defaults suit production. */
export interface BrokerTuning {
  /** A connection with more than this many bytes waiting to be written is closed as a slow consumer; default 64 MiB. */
  writeHighWaterBytes?: number
  /** A connection that sends no CONNECT within this time is closed; default 30 s. */
  connectTimeoutMs?: number
  /** How long a closing connection may take to flush before it is destroyed; default 1 s. */
  closeGraceMs?: number
  maxHeaders?: number
  maxHeaderLineBytes?: number
}

export interface BrokerStats {
  connections: number
  subscriptions: number
  framesIn: number
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
  dropped: number
  errors: number
  /** Buffered depth per queue (temp queues excluded). */
  queues: Record<string, number>
}

export interface Broker {
  readonly host: string
  readonly port: number
  /** stomp://host:port, or stomp+ssl://host:port with TLS. */
  readonly url: string
  stats(): BrokerStats
  /** Stops accepting, sends every client an ERROR `broker shutting down`, and resolves once all connections are closed (destroyed after about a second). */
  close(): Promise<void>
}

function checkNonNegative(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0))
    throw new McshError('MCSH_BROKER_OPTIONS', `broker option ${name} must be a number >= 0, got ${String(value)}`)
}

export async function startBroker(options: BrokerOptions & BrokerTuning = {}): Promise<Broker> {
  const host = options.host ?? '127.0.0.1'
  const requestedPort = options.port ?? 61613
  for (const name of [
    'port',
    'maxFrameBytes',
    'queueBufferLimit',
    'heartbeatMs',
    'writeHighWaterBytes',
    'connectTimeoutMs',
    'closeGraceMs',
    'maxHeaders',
    'maxHeaderLineBytes',
  ] as const) {
    checkNonNegative(name, options[name])
  }
  const logger = (options.logger ?? silentLogger).child({ component: 'broker' })
  const counters = newCounters()
  const router = new Router(counters, options.queueBufferLimit ?? 10_000)
  const sessions = new Set<Session>()
  const tag = randomBytes(3).toString('hex')
  let sequence = 0
  let closing = false

  const ctx: SessionContext = {
    router,
    counters,
    logger,
    users: options.users,
    maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    maxHeaders: options.maxHeaders ?? DEFAULT_MAX_HEADERS,
    maxHeaderLineBytes: options.maxHeaderLineBytes ?? DEFAULT_MAX_HEADER_LINE_BYTES,
    heartbeatMs: options.heartbeatMs ?? 10_000,
    writeHighWaterBytes: options.writeHighWaterBytes ?? 64 * 1024 * 1024,
    connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
    closeGraceMs: options.closeGraceMs ?? 1000,
    onClosed: (session) => sessions.delete(session),
  }

  const accept = (socket: Socket): void => {
    if (closing) {
      socket.destroy()
      return
    }
    socket.setNoDelay(true)
    const session = new Session(socket, `${tag}-${(++sequence).toString(36)}`, ctx)
    sessions.add(session)
    logger.debug('STOMP connection accepted', { peer: session.peer, session: session.id })
  }

  let server: Server
  if (options.tls) {
    const t = options.tls
    const tlsServer = createTlsServer({
      key: t.key,
      cert: t.cert,
      ...(t.ca !== undefined ? { ca: t.ca } : {}),
      requestCert: t.requestCert ?? false,
      rejectUnauthorized: t.requestCert ?? false,
      handshakeTimeout: 10_000,
    })
    tlsServer.on('secureConnection', accept)
    tlsServer.on('tlsClientError', (e, socket) => {
      logger.warn('TLS handshake with a STOMP client failed', { peer: `${socket.remoteAddress}:${socket.remotePort}`, error: e.message })
    })
    server = tlsServer
  } else {
    server = createServer(accept)
  }

  // Every TCP connection, sessions or not (a TLS handshake in progress), so close() can end them all.
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => {
      reject(new McshError('MCSH_BROKER_LISTEN', `the broker cannot listen on ${host}:${requestedPort}: ${e.message}`, { cause: e }))
    }
    server.once('error', onError)
    server.listen(requestedPort, host, () => {
      server.off('error', onError)
      resolve()
    })
  })
  server.on('error', (e) => logger.error('broker server error', { error: e.message }))

  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : requestedPort
  const url = `${options.tls ? 'stomp+ssl' : 'stomp'}://${host.includes(':') ? `[${host}]` : host}:${port}`
  logger.info('broker listening', { url })

  let closed: Promise<void> | undefined

  return {
    host,
    port,
    url,
    stats(): BrokerStats {
      return {
        connections: sessions.size,
        subscriptions: counters.subscriptions,
        framesIn: counters.framesIn,
        messagesIn: counters.messagesIn,
        messagesOut: counters.messagesOut,
        bytesIn: counters.bytesIn,
        bytesOut: counters.bytesOut,
        dropped: counters.dropped,
        errors: counters.errors,
        queues: router.depths(),
      }
    },
    close(): Promise<void> {
      closed ??= (async () => {
        closing = true
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()))
        const open = [...sessions]
        for (const session of open) session.shutdown('broker shutting down')
        const allClosed = Promise.all(open.map((s) => s.closed))
        let timer: ReturnType<typeof setTimeout> | undefined
        const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, ctx.closeGraceMs)))
        await Promise.race([allClosed, graceOver])
        clearTimeout(timer)
        for (const session of sessions) session.destroy()
        for (const socket of sockets) socket.destroy()
        await allClosed
        await serverClosed
        logger.info('broker closed', { url })
      })()
      return closed
    },
  }
}
