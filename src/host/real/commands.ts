import { spawn } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'
import { errorMessage } from '../../util/errors.js'
import { silentLogger, type Logger } from '../../util/logger.js'
import type { CommandResult, CommandRunner } from '../types.js'

/** How long a child gets between SIGTERM and SIGKILL once its time is up or it is aborted. */
export const KILL_GRACE_MS = 2_000
/**
 * After the child exits, how long to keep reading output before giving up on it: a daemon it
 * started may hold the pipes open forever (an init script that does not close its descriptors).
 */
const DRAIN_AFTER_EXIT_MS = 1_000

export interface CommandRunnerOptions {
  /** PATH to search and to give children; default process.env.PATH. */
  path?: string
  /** Extra variables for every command, under LANG/LC_ALL=C and each call's own env. */
  env?: NodeJS.ProcessEnv
  logger?: Logger
}

/**
 * The full path of an executable named `name` on `path`, or undefined. A name containing a slash
 * is taken as a path and only checked.
 */
export function findExecutable(name: string, path: string | undefined): string | undefined {
  if (name === '') return undefined
  if (name.includes('/')) return isExecutableFile(name) ? name : undefined
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '' || !isAbsolute(dir)) continue
    const candidate = join(dir, name)
    if (isExecutableFile(candidate)) return candidate
  }
  return undefined
}

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false
    accessSync(p, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Runs programs without a shell. Children get a minimal environment (PATH, LANG=C, LC_ALL=C, the
 * runner's env, then the call's env) so tools print parseable English; they run in their own
 * process group, which is what a timeout or an abort kills (SIGTERM, SIGKILL after KILL_GRACE_MS).
 * stdout and stderr are each capped at maxOutputBytes (the head is kept, the rest read and
 * dropped). It never rejects: a missing program gives exit code 127 with a message on stderr.
 */
export function createCommandRunner(o: CommandRunnerOptions = {}): CommandRunner & { readonly path: string } {
  const path = o.path ?? process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  const logger = o.logger ?? silentLogger
  const baseEnv: Record<string, string> = {}
  for (const [k, v] of Object.entries(o.env ?? {})) if (v !== undefined) baseEnv[k] = v

  return {
    path,
    run: (command, args, options) => {
      const env: Record<string, string> = { ...baseEnv, PATH: path, LANG: 'C', LC_ALL: 'C', ...options.env }
      return runCommand(command, args, { ...options, env }, logger)
    },
  }
}

interface RunOptions {
  timeoutMs: number
  maxOutputBytes: number
  env: Record<string, string>
  cwd?: string
  input?: string
  signal?: AbortSignal
}

function runCommand(command: string, args: readonly string[], o: RunOptions, logger: Logger): Promise<CommandResult> {
  const started = performance.now()
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10
  const failed = (exitCode: number, stderr: string): CommandResult => ({
    exitCode,
    signal: null,
    stdout: '',
    stderr,
    truncated: false,
    timedOut: false,
    durationMs: elapsed(),
  })

  const executable = findExecutable(command, o.env.PATH)
  if (executable === undefined) {
    const where = command.includes('/') ? '' : ` (searched PATH=${o.env.PATH ?? ''})`
    return Promise.resolve(failed(127, `${command}: command not found${where}\n`))
  }
  if (o.signal?.aborted) return Promise.resolve(failed(130, `${command}: aborted before it started\n`))
  if (o.cwd !== undefined && !isDirectory(o.cwd)) return Promise.resolve(failed(126, `${command}: working directory ${o.cwd} does not exist\n`))

  return new Promise<CommandResult>((resolve) => {
    let child: ReturnType<typeof spawn>
    try {
      child = spawn(executable, [...args], {
        env: o.env,
        cwd: o.cwd,
        detached: true,
        stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        argv0: command,
      })
    } catch (e) {
      resolve(failed(126, `${command}: ${errorMessage(e)}\n`))
      return
    }

    const out = new CappedBuffer(o.maxOutputBytes)
    const err = new CappedBuffer(o.maxOutputBytes)
    let timedOut = false
    let exit: { code: number | null; signal: string | null } | undefined
    let spawnError: Error | undefined
    let settled = false
    let openStreams = 2
    let killTimer: NodeJS.Timeout | undefined
    let drainTimer: NodeJS.Timeout | undefined

    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return
      try {
        process.kill(-child.pid, signal)
      } catch {
        // The whole group is gone already.
      }
    }
    const terminate = () => {
      if (killTimer !== undefined || settled) return
      killGroup('SIGTERM')
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS)
    }
    const timer = setTimeout(() => {
      timedOut = true
      terminate()
    }, Math.max(0, o.timeoutMs))
    const onAbort = () => terminate()
    o.signal?.addEventListener('abort', onAbort, { once: true })

    const finish = () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      clearTimeout(drainTimer)
      // A pending SIGKILL stays armed: a grandchild that ignores SIGTERM may outlive the child.
      o.signal?.removeEventListener('abort', onAbort)
      child.stdout?.destroy()
      child.stderr?.destroy()
      let stderr = err.text()
      let exitCode = exit?.code ?? null
      if (spawnError !== undefined) {
        const code = (spawnError as NodeJS.ErrnoException).code
        exitCode = code === 'ENOENT' ? 127 : 126
        stderr += `${command}: ${spawnError.message}\n`
      }
      const result: CommandResult = {
        exitCode,
        signal: exit?.signal ?? null,
        stdout: out.text(),
        stderr,
        truncated: out.truncated || err.truncated,
        timedOut,
        durationMs: elapsed(),
      }
      logger.debug('command finished', { command, args: args.join(' '), exitCode: result.exitCode, signal: result.signal, timedOut, ms: result.durationMs })
      resolve(result)
    }
    const maybeFinish = () => {
      if ((exit !== undefined || spawnError !== undefined) && openStreams === 0) finish()
    }

    child.stdout?.on('data', (b: Buffer) => out.push(b))
    child.stderr?.on('data', (b: Buffer) => err.push(b))
    for (const s of [child.stdout, child.stderr]) {
      s?.on('error', () => undefined)
      s?.on('close', () => {
        openStreams--
        maybeFinish()
      })
    }
    child.on('error', (e) => {
      spawnError = e
      openStreams = 0
      maybeFinish()
    })
    child.on('exit', (code, signal) => {
      exit = { code, signal }
      if (openStreams > 0) drainTimer = setTimeout(finish, DRAIN_AFTER_EXIT_MS)
      maybeFinish()
    })

    if (o.input !== undefined && child.stdin) {
      // A child that does not read its input closes the pipe: that is not our failure.
      child.stdin.on('error', () => undefined)
      child.stdin.end(o.input)
    }
  })
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

class CappedBuffer {
  private readonly chunks: Buffer[] = []
  private bytes = 0
  truncated = false

  constructor(private readonly maxBytes: number) {}

  push(b: Buffer): void {
    const room = this.maxBytes - this.bytes
    if (room <= 0) {
      if (b.length > 0) this.truncated = true
      return
    }
    const kept = b.length > room ? b.subarray(0, room) : b
    if (kept.length < b.length) this.truncated = true
    this.chunks.push(kept)
    this.bytes += kept.length
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8')
  }
}

/** The last few non-empty lines of a tool's stderr (or stdout when stderr is empty), for error messages. */
export function lastLines(r: Pick<CommandResult, 'stdout' | 'stderr'>, count = 5): string {
  const pick = (s: string) =>
    s
      .split('\n')
      .map((l) => l.trimEnd())
      .filter((l) => l.trim() !== '')
      .slice(-count)
      .join('\n')
  return pick(r.stderr) || pick(r.stdout)
}

/** How a command ended, in words: 'exit 100', 'killed by SIGKILL', 'timed out after 300 s'. */
export function describeEnd(r: CommandResult, timeoutMs: number): string {
  if (r.timedOut) return `timed out after ${Math.round(timeoutMs / 100) / 10} s`
  if (r.exitCode !== null) return `exit ${r.exitCode}`
  return `killed by ${r.signal ?? 'a signal'}`
}

/** stdout and stderr together, bounded to the last maxChars characters. */
export function combinedOutput(r: Pick<CommandResult, 'stdout' | 'stderr'>, maxChars = 65_536): string {
  const all = [r.stdout.trimEnd(), r.stderr.trimEnd()].filter((s) => s !== '').join('\n')
  return all.length > maxChars ? all.slice(all.length - maxChars) : all
}
