import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadAgents } from '../agents/loader.js'
import type { Credentials } from '../security/pki.js'
import { readPrivateKey } from '../security/registry.js'
import { formatOptionHelp, numberOption, parseOptions, type OptionSpec } from '../commands/options.js'
import { ExitCode } from '../commands/result.js'
import { loadConfig } from '../config/load.js'
import { parseBrokerUrl } from '../config/broker-url.js'
import type { Config } from '../config/types.js'
import { startDaemon } from '../daemon/build.js'
import { startFleet } from '../daemon/simulator.js'
import { errorMessage } from '../util/errors.js'
import { createLogger, isLogLevel, type Logger } from '../util/logger.js'
import { packageVersion } from '../util/package-root.js'
import { findConfigFile } from './config-file.js'

const options: OptionSpec[] = [
  { name: 'config', kind: 'value', valueName: 'FILE', help: 'daemon config, JSON5 (default /etc/mcsh/server.json5; docs/configuration.md)' },
  { name: 'broker', short: 'b', kind: 'value', valueName: 'URL[,URL...]', help: 'broker pool (overrides broker.urls)' },
  { name: 'identity', kind: 'value', valueName: 'NAME', help: 'this node\'s identity (default: the hostname)' },
  { name: 'simulate', kind: 'value', valueName: 'N', help: 'run N simulated nodes instead of this host' },
  { name: 'seed', kind: 'value', valueName: 'S', help: 'seed of the simulated fleet (default 1)' },
  { name: 'simulate-ca', kind: 'value', valueName: 'DIR', help: 'with ssl: the CA (ca.pem, ca.key) that issues the simulated nodes their certificates' },
  { name: 'connections', kind: 'value', valueName: 'N', help: 'broker connections a simulated fleet shares (default broker.simulatorConnections; N = one per node)' },
  { name: 'log-level', kind: 'value', valueName: 'LEVEL', help: 'debug, info, warn, error' },
  { name: 'log-file', kind: 'value', valueName: 'FILE', help: 'append logs here instead of stderr' },
  { name: 'version', kind: 'flag', help: 'print the version' },
  { name: 'help', short: 'h', kind: 'flag', help: 'this help' },
]

export async function main(argv: string[]): Promise<number> {
  let o
  try {
    o = parseOptions(argv, options, 'mcshd').options
  } catch (e) {
    process.stderr.write(`error: ${errorMessage(e)}\nrun 'mcshd --help' for the options\n`)
    return ExitCode.Usage
  }
  if (o.help) {
    process.stdout.write(`mcshd ${packageVersion()} — the mcsh daemon: answers requests whose filters match this node

usage: mcshd [--config FILE] [options]
       mcshd --simulate N [--seed S] [--broker URL]

options:
${formatOptionHelp(options)}

signals: SIGTERM/SIGINT stop after running actions finish; SIGHUP re-reads facts and classes.
`)
    return ExitCode.OK
  }
  if (o.version) {
    process.stdout.write(packageVersion() + '\n')
    return ExitCode.OK
  }
  let config: Readonly<Config>
  let simulate: number | undefined
  let seed: number | undefined
  let connections: number | undefined
  try {
    simulate = numberOption(o, 'simulate', { min: 1, integer: true })
    seed = numberOption(o, 'seed', { integer: true })
    connections = numberOption(o, 'connections', { min: 1, integer: true })
    const file = findConfigFile(o.config as string | undefined, 'daemon')
    config = await loadConfig({
      ...(file ? { file } : {}),
      overrides: (c) => {
        if (typeof o.broker === 'string') c.broker.urls = o.broker.split(',').map((u) => u.trim()).filter(Boolean)
        if (typeof o.identity === 'string') c.identity = o.identity
        if (typeof o['log-file'] === 'string') c.logFile = o['log-file']
        if (typeof o['log-level'] === 'string') {
          if (!isLogLevel(o['log-level'])) throw new Error(`bad --log-level '${o['log-level']}': debug, info, warn or error`)
          c.logLevel = o['log-level']
        }
      },
    })
  } catch (e) {
    process.stderr.write(`error: ${errorMessage(e)}\n`)
    return ExitCode.Connection
  }
  const logger = createLogger({ level: config.logLevel, ...(config.logFile ? { file: config.logFile } : {}) })
  // A closed stderr (mcshd | head) must not turn every log line into another uncaught EPIPE.
  process.stderr.on('error', () => {})
  process.on('uncaughtException', (e) => {
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') return
    logger.error('uncaught exception (continuing)', { error: e.stack ?? String(e) })
  })
  process.on('unhandledRejection', (e) => logger.error('unhandled rejection (continuing)', { error: e instanceof Error ? (e.stack ?? e.message) : String(e) }))
  try {
    const ca = typeof o['simulate-ca'] === 'string' ? loadSimulatorCa(o['simulate-ca']) : undefined
    const stop = simulate !== undefined ? await runFleet(config, logger, simulate, seed, connections, ca) : await runDaemon(config, logger)
    await waitForSignal(logger, stop)
    return ExitCode.OK
  } catch (e) {
    logger.error('cannot start', { error: errorMessage(e) })
    return ExitCode.Connection
  }
}

async function runDaemon(config: Readonly<Config>, logger: Logger): Promise<{ stop(): Promise<void>; reload?(): Promise<void> }> {
  const daemon = await startDaemon(config, { logger })
  logger.info('ready', { identity: config.identity, broker: publicUrls(config) })
  return daemon
}

function loadSimulatorCa(dir: string): Credentials {
  return { certPem: readFileSync(join(dir, 'ca.pem'), 'utf8'), keyPem: readPrivateKey(join(dir, 'ca.key')) }
}

async function runFleet(config: Readonly<Config>, logger: Logger, count: number, seed: number | undefined, connections: number | undefined, ca: Credentials | undefined) {
  const agents = await loadAgents({ dirs: config.agentDirs, logger })
  const fleet = await startFleet({ count, seed: seed ?? 1, config, agents, logger, ...(connections ? { connections } : {}), ...(ca ? { ca } : {}) })
  logger.info('simulated fleet ready', { nodes: count, connections: fleet.connectors.length, broker: publicUrls(config) })
  return fleet
}

function waitForSignal(logger: Logger, target: { stop(): Promise<void>; reload?(): Promise<void> }): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      logger.info('stopping', { signal })
      void target.stop().finally(resolve)
    }
    process.once('SIGINT', () => stop('SIGINT'))
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.on('SIGHUP', () => void target.reload?.().catch((e) => logger.error('reload failed', { error: errorMessage(e) })))
  })
}

/** Broker URLs without passwords, for logs. */
function publicUrls(config: Readonly<Config>): string {
  return config.broker.urls.map((u) => parseBrokerUrl(u).url).join(',')
}
