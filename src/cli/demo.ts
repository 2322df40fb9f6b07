import { startBroker } from '../broker/index.js'
import { loadAgents } from '../agents/loader.js'
import { parseOptions } from '../commands/options.js'
import { ExitCode } from '../commands/result.js'
import { loadConfig } from '../config/load.js'
import { startFleet } from '../daemon/simulator.js'
import { createLogger } from '../util/logger.js'
import { errorMessage } from '../util/errors.js'
import { describeError } from '../shell/errors.js'
import { stdioTerminal } from '../shell/terminal.js'
import { globalOptions, runClient } from './mcsh.js'

const demoOptions = [
  ...globalOptions.filter((o) => !['broker', 'config', 'nodes'].includes(o.name)),
  { name: 'nodes-count', short: 'n', kind: 'value' as const, valueName: 'N', help: 'simulated nodes (default 50)' },
  { name: 'seed', kind: 'value' as const, valueName: 'S', help: 'seed of the simulated fleet (default 1)' },
]

/**
 * The embedded broker on an ephemeral loopback port, a simulated fleet and the shell (or -c commands),
 * all in this process, all stopped on the way out.
 */
export async function demoMain(argv: string[]): Promise<number> {
  const out = stdioTerminal()
  let parsed
  try {
    parsed = parseOptions(argv, demoOptions, 'mcsh demo')
  } catch (e) {
    out.err(describeError(e as Error, out.color))
    return ExitCode.Usage
  }
  const o = parsed.options
  if (o.help) {
    out.out('usage: mcsh demo [-n NODES] [--seed S] [-c "COMMANDS"] [client options]\n\nStarts the embedded broker, a simulated fleet and the shell on loopback; everything stops when you exit.')
    return ExitCode.OK
  }
  const count = Number(o['nodes-count'] ?? 50)
  const seed = Number(o.seed ?? 1)
  if (!Number.isInteger(count) || count < 1 || count > 20_000) {
    out.err('error: --nodes-count must be a whole number from 1 to 20000')
    return ExitCode.Usage
  }
  const logger = createLogger({ level: o.verbose ? 'debug' : 'error' })
  const broker = await startBroker({ host: '127.0.0.1', port: 0, logger })
  try {
    const config = await loadConfig({
      env: {},
      overrides: (c) => {
        c.broker.urls = [broker.url]
        c.identity = 'demo-client'
        c.logLevel = o.verbose ? 'debug' : 'error'
      },
    })
    const agents = await loadAgents({ dirs: config.agentDirs, logger })
    const fleet = await startFleet({ count, seed, config, agents, logger, connections: Math.min(8, count) })
    try {
      const banner = `mcsh demo: embedded broker ${broker.url}, ${count} simulated nodes (seed ${seed}). Try: ping · discover · filter fact os.family=debian · rpc rpcutil get_fact fact=role · help`
      return await runClient({ config, options: o, positionals: parsed.positionals, banner })
    } finally {
      await fleet.stop()
    }
  } catch (e) {
    out.err(`error: demo failed: ${errorMessage(e)}`)
    return ExitCode.Connection
  } finally {
    await broker.close()
  }
}
