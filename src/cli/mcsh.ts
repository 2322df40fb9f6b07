import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { callOptions, filterFromOptions, filterOptions } from '../commands/common.js'
import { formatOptionHelp, numberOption, parseOptions, type OptionSpec, type ParsedOptions } from '../commands/options.js'
import { defaultCommands } from '../commands/registry.js'
import { ExitCode, type ExitCodeValue } from '../commands/result.js'
import { runCommand, splitCommands, type RunOutcome } from '../commands/run.js'
import { Session } from '../commands/session.js'
import { quoteWord } from '../commands/tokenize.js'
import type { Progress } from '../commands/types.js'
import { parseLimit } from '../client/limit.js'
import { loadConfig } from '../config/load.js'
import type { Config } from '../config/types.js'
import { parseNodeList, readNodeFile } from '../discovery/list.js'
import { createLogger } from '../util/logger.js'
import { packageVersion } from '../util/package-root.js'
import { findConfigFile } from './config-file.js'
import { describeError, printOutcome, stdoutTarget, type OutputTarget } from './output.js'

export const globalOptions: OptionSpec[] = [
  { name: 'command', short: 'c', kind: 'list', valueName: 'COMMANDS', help: "run commands (separated by ';') and exit" },
  ...filterOptions,
  ...callOptions,
  { name: 'nodes', kind: 'value', valueName: 'FILE', help: "address these identities (one a line; '-' for stdin) without broadcast discovery" },
  { name: 'broker', short: 'b', kind: 'value', valueName: 'URL[,URL...]', help: 'broker pool, e.g. stomp://user:pass@127.0.0.1:61613' },
  { name: 'collective', short: 'T', kind: 'value', valueName: 'NAME', help: 'collective to talk to (default: the main one)' },
  { name: 'config', kind: 'value', valueName: 'FILE', help: 'client config (default ~/.mcsh/client.json5, /etc/mcsh/client.json5)' },
  { name: 'json', short: 'j', kind: 'flag', help: 'print each result as one JSON document' },
  { name: 'verbose', short: 'v', kind: 'flag', help: 'log connection and protocol details on stderr' },
  { name: 'version', kind: 'flag', help: 'print the version' },
  { name: 'help', short: 'h', kind: 'flag', help: 'this help' },
]

export function usageText(): string {
  return `mcsh ${packageVersion()} — the Marionette Collective shell

usage:
  mcsh [options]                      the interactive shell (commands from stdin when it is not a terminal)
  mcsh [options] -c "CMD; CMD"        run commands and exit
  mcsh [options] COMMAND [ARGS]       run one command, e.g. mcsh rpc rpcutil ping
  mcsh [options] FILE.mcsh            run a script
  mcsh broker [--listen HOST:PORT]    run the embedded STOMP broker ('mcsh broker --help')
  mcsh demo [-c "CMDS"]               embedded broker + 50 simulated nodes + the shell, on loopback

options:
${formatOptionHelp(globalOptions)}

exit status: 0 every node answered OK, 1 some failed or did not answer, 2 usage error,
             3 broker or configuration error, 4 no node matched the filter.
environment: MCSH_BROKER, MCSH_PSK, MCSH_COLLECTIVES, MCSH_CONFIG, MCSH_LOG_LEVEL, NO_COLOR.`
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv
  if (first === 'broker') return (await import('./broker.js')).brokerMain(rest)
  if (first === 'demo') return (await import('./demo.js')).demoMain(rest)
  const out = stdoutTarget({ json: false })
  let parsed: ReturnType<typeof parseOptions>
  try {
    parsed = parseOptions(argv, globalOptions, 'mcsh')
  } catch (e) {
    out.error(describeError(e as Error, out.color) + "\nrun 'mcsh --help' for the options")
    return ExitCode.Usage
  }
  const o = parsed.options
  if (o.help) {
    out.write(usageText())
    return ExitCode.OK
  }
  if (o.version) {
    out.write(packageVersion())
    return ExitCode.OK
  }
  let config: Readonly<Config>
  try {
    config = await loadConfig({ ...(findConfigFile(o.config as string | undefined, 'client') ? { file: findConfigFile(o.config as string | undefined, 'client') as string } : {}), overrides: (c) => applyConnectionFlags(c, o) })
  } catch (e) {
    out.error(describeError(e as Error, out.color))
    return ExitCode.Connection
  }
  return runClient({ config, options: o, positionals: parsed.positionals })
}

export function applyConnectionFlags(c: Config, o: ParsedOptions): void {
  if (typeof o.broker === 'string') c.broker.urls = o.broker.split(',').map((u) => u.trim()).filter(Boolean)
  if (o.verbose) c.logLevel = 'debug'
  else if (!process.env.MCSH_LOG_LEVEL) c.logLevel = 'error'
}

/** Runs the commands a client invocation asks for; shared with `mcsh demo`. */
export async function runClient(a: { config: Readonly<Config>; options: ParsedOptions; positionals: string[]; banner?: string }): Promise<number> {
  const o = a.options
  const out = stdoutTarget({ json: Boolean(o.json) })
  const logger = createLogger({ level: a.config.logLevel, ...(a.config.logFile ? { file: a.config.logFile } : {}) })
  let session: Session
  try {
    session = await createSession(a.config, o, logger)
  } catch (e) {
    out.error(describeError(e as Error, out.color))
    return ExitCode.Usage
  }
  const registry = defaultCommands()
  try {
    const script = await commandsToRun(a, o)
    if (script === 'interactive') {
      const { runShell } = await import('../shell/repl.js')
      return await runShell({ session, registry, ...(a.banner ? { banner: a.banner } : {}) })
    }
    let worst: ExitCodeValue = ExitCode.OK
    for (const line of script) {
      for (const command of splitCommands(line)) {
        const outcome = await runWithProgress(command, session, registry, out)
        printOutcome(outcome, out)
        worst = worse(worst, outcome.exitCode)
      }
    }
    return worst
  } catch (e) {
    out.error(describeError(e as Error, out.color))
    return ExitCode.Usage
  } finally {
    await session.close()
  }
}

async function createSession(config: Readonly<Config>, o: ParsedOptions, logger: ReturnType<typeof createLogger>): Promise<Session> {
  let staticNodes: string[] | undefined
  if (typeof o.nodes === 'string') staticNodes = o.nodes === '-' ? parseNodeList(await readStdin()) : await readNodeFile(o.nodes)
  const session = new Session({ config, logger, ...(staticNodes ? { staticNodes } : {}) })
  session.scope = filterFromOptions(o)
  if (typeof o.collective === 'string') {
    if (!config.collectives.includes(o.collective))
      throw new Error(`unknown collective '${o.collective}'; configured: ${config.collectives.join(', ')}`)
    session.collective = o.collective
  }
  const s = session.settings
  const timeout = numberOption(o, 'timeout', { min: 0.001 })
  if (timeout !== undefined) s.timeoutMs = timeout * 1000
  const discovery = numberOption(o, 'discovery-timeout', { min: 0.001 })
  if (discovery !== undefined) s.discoveryTimeoutMs = discovery * 1000
  const batch = numberOption(o, 'batch', { min: 1, integer: true })
  if (batch !== undefined) s.batchSize = batch
  const batchSleep = numberOption(o, 'batch-sleep', { min: 0 })
  if (batchSleep !== undefined) s.batchSleepMs = batchSleep * 1000
  if (typeof o.limit === 'string') s.limit = parseLimit(o.limit, o.random ? 'random' : 'first')
  if (o.json) s.output = 'json'
  return session
}

/** -c commands, a positional command, a script file, stdin, or the interactive shell. */
async function commandsToRun(a: { positionals: string[] }, o: ParsedOptions): Promise<string[] | 'interactive'> {
  const commands = o.command as string[] | undefined
  if (commands?.length) return commands
  const [first] = a.positionals
  if (first && a.positionals.length === 1 && first.endsWith('.mcsh')) {
    if (!existsSync(first)) throw new Error(`script ${first} not found`)
    return [await readFile(first, 'utf8')].flatMap((t) => t.split(/\r?\n/))
  }
  if (a.positionals.length) return [a.positionals.map(quoteWord).join(' ')]
  if (o.nodes === '-') throw new Error("--nodes - reads identities from stdin: give the commands with -c")
  if (!process.stdin.isTTY) return (await readStdin()).split(/\r?\n/)
  return 'interactive'
}

async function runWithProgress(command: string, session: Session, registry: ReturnType<typeof defaultCommands>, out: OutputTarget): Promise<RunOutcome> {
  const controller = new AbortController()
  const onSigint = () => controller.abort()
  process.on('SIGINT', onSigint)
  try {
    return await runCommand(command, { session, registry, signal: controller.signal, ...(process.stderr.isTTY && !out.json ? { progress: stderrProgress() } : {}) })
  } finally {
    process.off('SIGINT', onSigint)
  }
}

/** A single self-erasing line on stderr, only in a terminal. */
export function stderrProgress(): Progress {
  let shown = false
  const show = (text: string) => {
    process.stderr.write(`\r\x1b[2K${text}`)
    shown = true
  }
  return {
    discovered: (n, ms) => show(`discovering… ${n} ${n === 1 ? 'node' : 'nodes'} (${(ms / 1000).toFixed(1)} s)`),
    replied: (n, m, ms) => show(`replies ${n}/${m} (${(ms / 1000).toFixed(1)} s)`),
    done: () => {
      if (shown) process.stderr.write('\r\x1b[2K')
      shown = false
    },
  }
}

const severity: Record<ExitCodeValue, number> = { 0: 0, 4: 1, 1: 2, 2: 3, 3: 4 }

function worse(a: ExitCodeValue, b: ExitCodeValue): ExitCodeValue {
  return severity[b] > severity[a] ? b : a
}

let stdinText: Promise<string> | undefined
function readStdin(): Promise<string> {
  stdinText ??= new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    process.stdin.on('data', (c: Buffer) => chunks.push(c))
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    process.stdin.on('error', reject)
  })
  return stdinText
}
