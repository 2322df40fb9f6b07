import { isIP } from 'node:net'
import { onHost } from '../../src/agents/host-errors.js'
import { defineAgent, RpcError } from '../../src/agents/define.js'
import { NAMED_VALIDATORS } from '../../src/ddl/index.js'
import { Status } from '../../src/protocol/status.js'

/** Below the DDL's 10 s, so the answer (reachable or not) arrives before the daemon gives up. */
const MAX_TIMEOUT_SECONDS = 9

/** The DDL's pattern only shapes the text; this decides between a host name and an address. */
function checkTarget(fqdn: string): string {
  if (isIP(fqdn) !== 0 || NAMED_VALIDATORS.hostname?.test(fqdn)) return fqdn
  throw new RpcError(Status.InvalidData, `input 'fqdn' must be a host name or an IP address but was ${JSON.stringify(fqdn)}`)
}

function timeoutMs(timeout: unknown): number {
  const seconds = typeof timeout === 'number' ? timeout : 5
  if (!(seconds > 0 && seconds <= MAX_TIMEOUT_SECONDS))
    throw new RpcError(Status.InvalidData, `input 'timeout' must be more than 0 and at most ${MAX_TIMEOUT_SECONDS} seconds but was ${seconds}`)
  return Math.round(seconds * 1000)
}

export default defineAgent({
  ddl: 'nettest',
  actions: {
    ping: async ({ fqdn, timeout }, ctx) => {
      const host = checkTarget(fqdn)
      const ms = timeoutMs(timeout)
      const r = await onHost(`cannot ping ${host}`, () => ctx.host.net.ping(host, { timeoutMs: ms }))
      return { host, reachable: r.reachable, rtt_ms: r.reachable ? r.rtt_ms : null, error: r.reachable ? null : (r.error ?? 'no answer') }
    },

    connect: async ({ fqdn, port, timeout }, ctx) => {
      const host = checkTarget(fqdn)
      if (!(Number.isInteger(port) && port >= 1 && port <= 65535))
        throw new RpcError(Status.InvalidData, `input 'port' must be a port number from 1 to 65535 but was ${String(port)}`)
      const ms = timeoutMs(timeout)
      const r = await onHost(`cannot connect to ${host}:${port}`, () => ctx.host.net.connect(host, port, { timeoutMs: ms }))
      return {
        host,
        port,
        connected: r.connected,
        time_ms: r.connected ? r.time_ms : null,
        error: r.connected ? null : (r.error ?? 'not connected'),
      }
    },
  },
})
