// An in-process agent in TypeScript. It imports mcsh only as types, so the compiled agent.js has no
// import of mcsh and works copied beside the DDL anywhere. In your own agent, import from 'mcsh':
//   import { defineAgent, RpcError, type ActionContext } from 'mcsh'
import { cpus as osCpus, loadavg as osLoadavg, uptime as osUptime } from 'node:os'
import type { AgentDefinition } from '../../../src/index.js'

/** What the machine reports; a parameter so a test can pass fixed numbers. */
export interface UptimeSource {
  uptime(): number
  loadavg(): number[]
  cpus(): number
}

const machine: UptimeSource = { uptime: osUptime, loadavg: osLoadavg, cpus: () => osCpus().length }

export function uptimeAgent(source: UptimeSource = machine): AgentDefinition {
  return {
    ddl: 'uptime',
    actions: {
      uptime: () => {
        const seconds = Math.floor(source.uptime())
        const [load1 = 0, load5 = 0, load15 = 0] = source.loadavg().map(round2)
        const cpus = Math.max(1, source.cpus())
        return {
          uptime_seconds: seconds,
          uptime: humanDuration(seconds),
          load_1: load1,
          load_5: load5,
          load_15: load15,
          cpus,
          load_per_cpu: round2(load1 / cpus),
        }
      },
    },
  }
}

export function humanDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400)
  const h = Math.floor((seconds % 86400) / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  return d > 0 ? `${d}d ${h}h ${m}m` : h > 0 ? `${h}h ${m}m` : `${m}m ${seconds % 60}s`
}

function round2(n: number): number {
  return Math.round(n * 100) / 100
}

export default uptimeAgent()
