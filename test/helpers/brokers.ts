import { connect } from 'node:net'
import { startBroker, type Broker } from '../../src/broker/index.js'
import { silentLogger } from '../../src/util/logger.js'

export const RABBITMQ_URL = process.env.MCSH_TEST_RABBITMQ ?? 'stomp://guest:guest@127.0.0.1:61613'
/** Debian's activemq package, configured by .ci/activemq-setup.sh (STOMP on loopback, user admin/admin). */
export const ACTIVEMQ_URL = process.env.MCSH_TEST_ACTIVEMQ ?? 'stomp://admin:admin@127.0.0.1:61623'

/** Whether a STOMP broker answers a CONNECT at host:port within timeoutMs; the reason when not. */
export function probeStomp(host: string, port: number, timeoutMs = 1500, login = 'guest', passcode = 'guest'): Promise<{ ok: true } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, host)
    let data = ''
    const done = (r: { ok: true } | { ok: false; reason: string }) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(r)
    }
    const timer = setTimeout(() => done({ ok: false, reason: `no STOMP answer from ${host}:${port} within ${timeoutMs} ms` }), timeoutMs)
    socket.on('connect', () => socket.write(`CONNECT\naccept-version:1.2\nhost:/\nlogin:${login}\npasscode:${passcode}\n\n\0`))
    socket.on('data', (d) => {
      data += d.toString()
      if (data.startsWith('CONNECTED')) done({ ok: true })
      else if (data.includes('\0')) done({ ok: false, reason: `broker at ${host}:${port} refused: ${data.split('\n')[0]}` })
    })
    socket.on('error', (e) => done({ ok: false, reason: `nothing answers STOMP on ${host}:${port} (${(e as NodeJS.ErrnoException).code ?? e.message})` }))
  })
}

export interface TestBroker {
  name: 'embedded' | 'rabbitmq'
  url: string
  stop(): Promise<void>
}

export async function embeddedBroker(): Promise<TestBroker & { broker: Broker }> {
  const broker = await startBroker({ host: '127.0.0.1', port: 0, logger: silentLogger })
  return { name: 'embedded', url: broker.url, broker, stop: () => broker.close() }
}

/** RabbitMQ when its STOMP plugin answers on loopback; otherwise the reason, to print when skipping. */
export async function rabbitmqAvailable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const u = new URL(RABBITMQ_URL)
  const r = await probeStomp(u.hostname, Number(u.port || 61613), 1500, decodeURIComponent(u.username || 'guest'), decodeURIComponent(u.password || 'guest'))
  if (!r.ok) return { ok: false, reason: `${r.reason}; enable it with 'rabbitmq-plugins enable rabbitmq_stomp' (.ci/run does)` }
  return r
}

/** ActiveMQ when its STOMP connector answers (MCSH_TEST_ACTIVEMQ); otherwise the reason, to print when skipping. */
export async function activemqAvailable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const u = new URL(ACTIVEMQ_URL)
  const r = await probeStomp(u.hostname, Number(u.port || 61613), 1500, decodeURIComponent(u.username || 'admin'), decodeURIComponent(u.password || 'admin'))
  if (!r.ok) return { ok: false, reason: `${r.reason}; install, configure and start it with .ci/activemq-setup.sh (as root)` }
  return r
}
