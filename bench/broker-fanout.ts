/**
 * Broadcast to many subscribers and collect their replies through the embedded broker.
 *
 *   npm run build && node dist/bench/broker-fanout.js [subscribers=1000] [rounds=5] [bodyBytes=1024]
 *
 * The broker runs on the main thread; the clients (raw TCP sockets speaking STOMP by hand, so
 * stompjs is not what is measured) run in a worker thread, so each side has its own core.
 * Per round it measures:
 *   fan-out   one SEND to a topic until every subscriber has the MESSAGE
 *   replies   every subscriber SENDs a reply at once to the requester's temp queue, until all arrived
 *   rpc       a request whose subscribers reply as soon as they get it, until all replies arrived
 */
import { type Socket, createConnection } from 'node:net'
import { fileURLToPath } from 'node:url'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'
import { FrameParser, type StompFrame, encodeFrame, startBroker } from '../src/broker/index.js'

interface BenchConfig {
  port: number
  subscribers: number
  rounds: number
  bodyBytes: number
}

interface RoundResult {
  fanoutMs: number
  repliesMs: number
  rpcMs: number
}

type WorkerMessage = { kind: 'ready'; connectMs: number } | { kind: 'round'; round: number; result: RoundResult } | { kind: 'done' }

const TOPIC = '/topic/bench.request'

class Peer {
  private readonly parser: FrameParser
  onFrame: (frame: StompFrame) => void = () => {}

  constructor(readonly socket: Socket) {
    this.parser = new FrameParser((f) => this.onFrame(f))
    socket.on('data', (chunk: Buffer) => this.parser.push(chunk))
  }

  static open(port: number): Promise<Peer> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(port, '127.0.0.1')
      socket.setNoDelay(true)
      socket.once('error', reject)
      socket.once('connect', () => resolve(new Peer(socket)))
    })
  }

  /** Sends `frame` and resolves on the first frame that matches. */
  request(frame: Buffer, match: (f: StompFrame) => boolean): Promise<StompFrame> {
    return new Promise((resolve, reject) => {
      const previous = this.onFrame
      this.onFrame = (f) => {
        if (f.command === 'ERROR') reject(new Error(`broker error: ${f.headers.get('message')}`))
        if (match(f)) {
          this.onFrame = previous
          resolve(f)
        }
      }
      this.socket.write(frame)
    })
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

async function runClients(config: BenchConfig, post: (m: WorkerMessage) => void): Promise<void> {
  const { port, subscribers: n, rounds, bodyBytes } = config
  const connectFrame = encodeFrame('CONNECT', { 'accept-version': '1.2', host: 'bench', 'heart-beat': '0,0' })
  const join = async (peer: Peer, subscribe: boolean) => {
    await peer.request(connectFrame, (f) => f.command === 'CONNECTED')
    if (subscribe)
      await peer.request(encodeFrame('SUBSCRIBE', { id: '0', destination: TOPIC, receipt: 'sub' }), (f) => f.command === 'RECEIPT')
    return peer
  }

  const started = performance.now()
  const subscribers: Peer[] = []
  const batch = 100
  for (let i = 0; i < n; i += batch) {
    const opened = await Promise.all(Array.from({ length: Math.min(batch, n - i) }, () => Peer.open(port)))
    subscribers.push(...(await Promise.all(opened.map((p) => join(p, true)))))
  }
  const requester = await join(await Peer.open(port), false)
  post({ kind: 'ready', connectMs: performance.now() - started })

  const body = Buffer.alloc(bodyBytes, 0x78)
  for (let round = 1; round <= rounds; round++) {
    // fan-out, then all replies at once
    let received = 0
    const replyTos: string[] = []
    let fanoutDone!: () => void
    const fanout = new Promise<void>((resolve) => (fanoutDone = resolve))
    for (const peer of subscribers) {
      peer.onFrame = (f) => {
        if (f.command !== 'MESSAGE') return
        replyTos.push(f.headers.get('reply-to') as string)
        if (++received === n) fanoutDone()
      }
    }
    let replies = 0
    let repliesDone!: () => void
    let allReplies = new Promise<void>((resolve) => (repliesDone = resolve))
    requester.onFrame = (f) => {
      if (f.command === 'MESSAGE' && ++replies === n) repliesDone()
    }
    const t0 = performance.now()
    requester.socket.write(encodeFrame('SEND', { destination: TOPIC, 'reply-to': '/temp-queue/replies', 'correlation-id': `a${round}` }, body))
    await fanout
    const t1 = performance.now()
    subscribers.forEach((peer, i) => {
      peer.socket.write(encodeFrame('SEND', { destination: replyTos[i] as string, 'correlation-id': `a${round}` }, body))
    })
    await allReplies
    const t2 = performance.now()

    // request/reply as MCollective does it: each node answers as soon as it has the request
    replies = 0
    allReplies = new Promise<void>((resolve) => (repliesDone = resolve))
    for (const peer of subscribers) {
      peer.onFrame = (f) => {
        if (f.command !== 'MESSAGE') return
        peer.socket.write(encodeFrame('SEND', { destination: f.headers.get('reply-to') as string, 'correlation-id': `b${round}` }, body))
      }
    }
    const t3 = performance.now()
    requester.socket.write(encodeFrame('SEND', { destination: TOPIC, 'reply-to': '/temp-queue/replies', 'correlation-id': `b${round}` }, body))
    await allReplies
    const t4 = performance.now()
    post({ kind: 'round', round, result: { fanoutMs: t1 - t0, repliesMs: t2 - t1, rpcMs: t4 - t3 } })
    await new Promise((r) => setTimeout(r, 100))
  }
  for (const peer of [...subscribers, requester]) peer.socket.destroy()
  post({ kind: 'done' })
}

async function main(): Promise<void> {
  const [subscribers = 1000, rounds = 5, bodyBytes = 1024] = process.argv.slice(2).map(Number)
  const broker = await startBroker({ port: 0, heartbeatMs: 0 })
  const config: BenchConfig = { port: broker.port, subscribers, rounds, bodyBytes }
  console.log(`broker ${broker.url}: ${subscribers} subscribers, ${rounds} rounds, ${bodyBytes}-byte bodies (Node ${process.version})`)
  const results: RoundResult[] = []
  const elu0 = performance.eventLoopUtilization()
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: config })
  await new Promise<void>((resolve, reject) => {
    worker.on('error', reject)
    worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`client worker exited with ${code}`))))
    worker.on('message', (m: WorkerMessage) => {
      if (m.kind === 'ready') {
        console.log(`connected and subscribed ${subscribers} clients in ${m.connectMs.toFixed(0)} ms; broker RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB (clients included)`)
      } else if (m.kind === 'round') {
        results.push(m.result)
        const r = m.result
        console.log(`round ${m.round}: fan-out ${r.fanoutMs.toFixed(1)} ms, ${subscribers} replies ${r.repliesMs.toFixed(1)} ms, request→all replies ${r.rpcMs.toFixed(1)} ms`)
      }
    })
  })
  const elu = performance.eventLoopUtilization(elu0)
  const pick = (k: keyof RoundResult) => median(results.map((r) => r[k])).toFixed(1)
  console.log(`median: fan-out ${pick('fanoutMs')} ms, replies ${pick('repliesMs')} ms, request→all replies ${pick('rpcMs')} ms`)
  const s = broker.stats()
  console.log(
    `broker: ${s.messagesIn} messages in, ${s.messagesOut} out, ${(s.bytesOut / 2 ** 20).toFixed(1)} MiB out, ${s.errors} errors, ${s.dropped} dropped; event loop busy ${(elu.utilization * 100).toFixed(0)}% of the run`,
  )
  await broker.close()
}

if (isMainThread) {
  main().catch((e: unknown) => {
    console.error(e)
    process.exit(1)
  })
} else {
  runClients(workerData as BenchConfig, (m) => parentPort?.postMessage(m)).catch((e: unknown) => {
    console.error(e)
    process.exit(1)
  })
}
