import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { callOptions, filterOptions } from '../commands/common.js'
import { formatOptionHelp, numberOption, parseOptions, type OptionSpec, type ParsedOptions } from '../commands/options.js'
import { defaultCommands } from '../commands/registry.js'
import { ExitCode } from '../commands/result.js'
import { OUTPUT_FORMATS, Session, type OutputFormat, type ScopeTerm } from '../commands/session.js'
import { quoteWord } from '../commands/tokenize.js'
import { parseLimit } from '../client/limit.js'
import { loadConfig } from '../config/load.js'
import type { Config } from '../config/types.js'
import { parseNodeList, readNodeFile } from '../discovery/list.js'
import type { FilterTermKind } from '../filter/index.js'
import { describeError } from '../shell/errors.js'
import { Executor } from '../shell/executor.js'
import { stdioTerminal } from '../shell/terminal.js'
import { McshError } from '../util/errors.js'
import { createLogger } from '../util/logger.js'
import { packageVersion } from '../util/package-root.js'
import { findConfigFile } from './config-file.js'

export const globalOptions: OptionSpec[] = [
  { name: 'command', short: 'c', kind: 'list', valueName: 'COMMANDS', help: "run commands (separated by ';') and exit" },
  ...filterOptions,
  ...callOptions,
  { name: 'nodes', kind: 'value', valueName: 'FILE', help: "address these identities (one a line; '-' for stdin) without broadcast discovery" },
  { name: 'broker', short: 'b', kind: 'value', valueName: 'URL[,URL...]', help: 'broker pool, e.g. stomp://user:pass@127.0.0.1:61613' },
  { name: 'collective', short: 'T', kind: 'value', valueName: 'NAME', help: 'collective to talk to (default: the main one)' },
  { name: 'config', kind: 'value', valueName: 'FILE', help: 'client config (default ~/.mcsh/client.json5, /etc/mcsh/client.json5)' },
  { name: 'json', short: 'j', kind: 'flag', help: 'print each result as one JSON document' },
  { name: 'output', short: 'o', kind: 'value', valueName: 'FORMAT', help: 'text, json, jsonl, csv or yaml (default: text on a terminal, JSON otherwise)' },
  { name: 'dry-run', kind: 'flag', help: 'discover, and print what each RPC would call, without sending RPCs' },
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
  mcsh [options] FILE.mcsh            run a script (--dry-run: show what it would do)
  mcsh broker [--listen HOST:PORT]    run the embedded STOMP broker ('mcsh broker --help')
  mcsh demo [-c "CMDS"]               embedded broker + 50 simulated nodes + the shell, on loopback
  mcsh pki init|issue|csr|sign|show|verify
                                      the site's certificates ('mcsh pki --help')

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
  if (first === 'pki') return (await import('./pki.js')).pkiMain(rest)
  const term = stdioTerminal()
  let parsed: ReturnType<typeof parseOptions>
  try {
    parsed = parseOptions(argv, globalOptions, 'mcsh')
  } catch (e) {
    term.err(describeError(e as Error, term.color) + "\nrun 'mcsh --help' for the options")
    return ExitCode.Usage
  }
  const o = parsed.options
  if (o.help) {
    term.out(usageText())
    return ExitCode.OK
  }
  if (o.version) {
    term.out(packageVersion())
    return ExitCode.OK
  }
  let config: Readonly<Config>
  try {
    const file = findConfigFile(o.config as string | undefined, 'client')
    config = await loadConfig({ ...(file ? { file } : {}), overrides: (c) => applyConnectionFlags(c, o) })
  } catch (e) {
    term.err(describeError(e as Error, term.color))
    return ExitCode.Connection
  }
  return runClient({ config, options: o, positionals: parsed.positionals })
}

export function applyConnectionFlags(c: Config, o: ParsedOptions): void {
  if (typeof o.broker === 'string') c.broker.urls = o.broker.split(',').map((u) => u.trim()).filter(Boolean)
  if (o.verbose) c.logLevel = 'debug'
  else if (!process.env.MCSH_LOG_LEVEL) c.logLevel = 'error'
}

/** Runs what a client invocation asks for (commands, a script, stdin or the shell); shared with `mcsh demo`. */
export async function runClient(a: { config: Readonly<Config>; options: ParsedOptions; positionals: string[]; banner?: string }): Promise<number> {
  const o = a.options
  const term = stdioTerminal()
  const logger = createLogger({ level: a.config.logLevel, ...(a.config.logFile ? { file: a.config.logFile } : {}) })
  let session: Session
  let lines: string[] | 'interactive'
  try {
    session = await createSession(a.config, o, logger)
    lines = await linesToRun(a.positionals, o)
  } catch (e) {
    term.err(describeError(e as Error, term.color))
    return ExitCode.Usage
  }
  const registry = defaultCommands()
  try {
    if (lines === 'interactive') {
      const { runShell } = await import('../shell/repl.js')
      return await runShell({ session, registry, ...(a.banner ? { banner: a.banner } : {}) })
    }
    const executor = new Executor(session, registry, term)
    for (const line of lines) {
      if (!line.trim()) continue
      const controller = new AbortController()
      const onSigint = () => controller.abort()
      process.on('SIGINT', onSigint)
      try {
        session.history.push(line)
        await executor.runLine(line, controller.signal)
      } finally {
        process.off('SIGINT', onSigint)
      }
      if (executor.exitRequested !== undefined || executor.stopped) break
    }
    return executor.exitRequested ?? executor.worst
  } finally {
    await session.close()
  }
}

const termKinds: Array<[string, FilterTermKind]> = [
  ['fact', 'fact'],
  ['class', 'class'],
  ['identity', 'identity'],
  ['agent', 'agent'],
  ['with', 'with'],
  ['select', 'where'],
]

async function createSession(config: Readonly<Config>, o: ParsedOptions, logger: ReturnType<typeof createLogger>): Promise<Session> {
  let staticNodes: string[] | undefined
  if (typeof o.nodes === 'string') staticNodes = o.nodes === '-' ? parseNodeList(await readStdin()) : await readNodeFile(o.nodes)
  const session = new Session({ config, logger, ...(staticNodes ? { staticNodes } : {}) })
  const terms: ScopeTerm[] = []
  for (const [option, kind] of termKinds) for (const text of (o[option] as string[] | undefined) ?? []) terms.push({ kind, text })
  for (const t of terms) session.addScopeTerm(t)
  if (typeof o.collective === 'string') {
    if (!config.collectives.includes(o.collective))
      throw new McshError('MCSH_USAGE', `unknown collective '${o.collective}'; configured: ${config.collectives.join(', ')}`)
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
  if (typeof o.output === 'string') {
    if (!(OUTPUT_FORMATS as readonly string[]).includes(o.output)) throw new McshError('MCSH_USAGE', `--output must be one of ${OUTPUT_FORMATS.join(', ')}, not '${o.output}'`)
    s.output = o.output as OutputFormat
  }
  if (o['dry-run']) session.dryRun = true
  return session
}

/** -c commands, a positional command, a script file, stdin, or the interactive shell. */
async function linesToRun(positionals: string[], o: ParsedOptions): Promise<string[] | 'interactive'> {
  const commands = o.command as string[] | undefined
  if (commands?.length) {
    if (positionals.length) throw new McshError('MCSH_USAGE', `give commands with -c or as arguments, not both ('${positionals.join(' ')}')`)
    return commands
  }
  const [first] = positionals
  if (first && positionals.length === 1 && (first.endsWith('.mcsh') || (existsSync(first) && !/^[a-z_]+$/.test(first)))) {
    if (!existsSync(first)) throw new McshError('MCSH_USAGE', `script ${first} not found`)
    return (await readFile(first, 'utf8')).split(/\r?\n/)
  }
  if (positionals.length) return [positionals.map(quoteWord).join(' ')]
  if (o.nodes === '-') throw new McshError('MCSH_USAGE', '--nodes - reads identities from stdin: give the commands with -c')
  if (!process.stdin.isTTY) return (await readStdin()).split(/\r?\n/)
  return 'interactive'
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
