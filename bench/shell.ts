/**
 * Shell figures: `rpc rpcutil ping` over 50 nodes inside an open session (no connection set-up), and
 * the cold start of `mcsh -c` until its first request reaches the broker.
 */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadAgents } from '../src/agents/loader.js'
import { startBroker } from '../src/broker/index.js'
import { defaultCommands } from '../src/commands/registry.js'
import { runCommand } from '../src/commands/run.js'
import { Session } from '../src/commands/session.js'
import { defaultConfig } from '../src/config/defaults.js'
import { startFleet } from '../src/daemon/simulator.js'
import { destinations } from '../src/protocol/destinations.js'
import { createConnector } from '../src/transport/index.js'
import { silentLogger } from '../src/util/logger.js'
import { packageRoot } from '../src/util/package-root.js'

export interface ShellBench {
  lines: string[]
  data: { session_ping_50_ms: number; session_ping_50_p90_ms: number; cold_start_first_request_ms: number; cold_start_exit_ms: number }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

function p90(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.9))] as number
}

export async function runShellBench(o: { dir: string }): Promise<ShellBench> {
  const broker = await startBroker({ host: '127.0.0.1', port: 0, logger: silentLogger })
  const config = defaultConfig()
  config.broker.urls = [broker.url]
  config.collectives = ['shellbench']
  config.identity = 'bench-shell'
  config.logLevel = 'error'
  config.security = { plugin: 'psk', psk: 'shell-bench' }
  const agents = await loadAgents({ dirs: [], logger: silentLogger })
  const fleet = await startFleet({ count: 50, seed: 3, config, agents, logger: silentLogger, connections: 4 })
  const session = new Session({ config, logger: silentLogger })
  const registry = defaultCommands()
  const signal = new AbortController().signal
  try {
    const first = await runCommand('discover', { session, registry, signal })
    if (first.error) throw first.error
    const times: number[] = []
    for (let i = 0; i < 25; i++) {
      const started = performance.now()
      const r = await runCommand('rpc rpcutil ping', { session, registry, signal })
      const ms = performance.now() - started
      if (r.error || r.result?.kind !== 'rpc' || r.result.rpc.stats.ok !== 50) throw new Error(`in-session ping failed: ${r.error?.message ?? JSON.stringify(r.result?.kind)}`)
      if (i >= 5) times.push(ms)
    }

    const file = join(o.dir, 'shellbench.json5')
    writeFileSync(file, JSON.stringify({ collectives: ['shellbench'], broker: { urls: [broker.url] }, security: config.security }))
    const watcher = createConnector(config, { role: 'client', logger: silentLogger })
    let arrived: (() => void) | undefined
    watcher.subscribe(destinations.broadcast('shellbench', 'discovery'), () => arrived?.())
    await watcher.connect()
    const cold: number[] = []
    const exits: number[] = []
    for (let i = 0; i < 5; i++) {
      const started = performance.now()
      const seen = new Promise<number>((resolve) => (arrived = () => resolve(performance.now() - started)))
      const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'mcsh.js'), '--config', file, '-c', 'rpc rpcutil ping'], { stdio: 'ignore', env: { ...process.env, MCSH_CONFIG: '' } })
      const exited = new Promise<number>((resolve) => child.on('exit', () => resolve(performance.now() - started)))
      cold.push(await Promise.race([seen, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('mcsh -c sent nothing within 10 s')), 10_000))]))
      exits.push(await exited)
    }
    await watcher.close()
    const data = {
      session_ping_50_ms: Math.round(median(times) * 10) / 10,
      session_ping_50_p90_ms: Math.round(p90(times) * 10) / 10,
      cold_start_first_request_ms: Math.round(median(cold)),
      cold_start_exit_ms: Math.round(median(exits)),
    }
    return {
      lines: [
        'shell (embedded broker, 50 simulated nodes in-process):',
        `  rpc rpcutil ping inside an open session: median ${data.session_ping_50_ms} ms, p90 ${data.session_ping_50_p90_ms} ms (target < 50 ms)`,
        `  mcsh -c cold start until its first request reaches the broker: ${data.cold_start_first_request_ms} ms (target < 300 ms); whole run ${data.cold_start_exit_ms} ms`,
      ],
      data,
    }
  } finally {
    await session.close()
    await fleet.stop()
    await broker.close()
  }
}
