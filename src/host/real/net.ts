import { connect as netConnect } from 'node:net'
import { McshError } from '../../util/errors.js'
import type { CommandRunner, ConnectResult, NetProvider, PingResult } from '../types.js'
import { findExecutable, lastLines } from './commands.js'

/** Host names and addresses: no spaces, no shell characters, and no leading '-' that a tool would take for an option. */
const HOST = /^[a-zA-Z0-9:][a-zA-Z0-9._:%-]*$/

export function checkHost(host: string): string {
  if (typeof host !== 'string' || host.length > 253 || !HOST.test(host))
    throw new McshError('MCSH_INVALID_HOST', `invalid host name '${String(host)}': letters, digits and . - : % only`)
  return host
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new McshError('MCSH_INVALID_PORT', `invalid port ${String(port)}: 1 to 65535`)
  return port
}

/** The round trip from ping's `time=12.3 ms` (or `time<1 ms`). */
export function parsePingTime(stdout: string): number | null {
  const m = /time[=<]\s*([\d.]+)\s*ms/.exec(stdout)
  return m?.[1] ? Number(m[1]) : null
}

export interface NetProviderOptions {
  runner: CommandRunner
  /** PATH the runner searches. */
  path: string
}

/** Ping through the system's ping (ICMP needs privileges node has not), connect through node:net. */
export function createSystemNetProvider(o: NetProviderOptions): NetProvider {
  return {
    name: 'system',
    ping: async (rawHost, { timeoutMs }): Promise<PingResult> => {
      const host = checkHost(rawHost)
      if (findExecutable('ping', o.path) === undefined) throw new McshError('MCSH_PING_UNAVAILABLE', 'ping is not installed on this host (no ping on PATH)')
      const seconds = Math.max(1, Math.ceil(timeoutMs / 1000))
      // Name resolution happens before ping's own deadline, so the command gets a little longer.
      const r = await o.runner.run('ping', ['-c', '1', '-W', String(seconds), host], { timeoutMs: seconds * 1000 + 5_000, maxOutputBytes: 64 * 1024 })
      if (r.exitCode === 127) throw new McshError('MCSH_PING_UNAVAILABLE', 'ping is not installed on this host')
      const rtt = parsePingTime(r.stdout)
      if (r.exitCode === 0) return { host, reachable: true, rtt_ms: rtt, error: null }
      let error: string
      if (r.timedOut) error = `ping did not finish within ${seconds * 1000 + 5_000} ms`
      else if (r.exitCode === 1) error = `no reply within ${seconds} s`
      else error = lastLines(r, 1) || `ping failed (exit ${r.exitCode ?? r.signal ?? '?'})`
      return { host, reachable: false, rtt_ms: null, error }
    },
    connect: async (rawHost, rawPort, { timeoutMs }) => {
      const host = checkHost(rawHost)
      const port = checkPort(rawPort)
      const started = performance.now()
      return new Promise<ConnectResult>((resolve) => {
        const socket = netConnect({ host, port })
        const done = (r: Omit<ConnectResult, 'host' | 'port'>) => {
          clearTimeout(timer)
          socket.removeAllListeners()
          socket.on('error', () => undefined)
          socket.destroy()
          resolve({ host, port, ...r })
        }
        const timer = setTimeout(() => done({ connected: false, time_ms: null, error: `timed out after ${timeoutMs} ms` }), Math.max(0, timeoutMs))
        socket.once('connect', () => done({ connected: true, time_ms: Math.round((performance.now() - started) * 100) / 100, error: null }))
        socket.once('error', (e) => done({ connected: false, time_ms: null, error: e.message }))
      })
    },
  }
}
