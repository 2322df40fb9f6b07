import { spawn, type ChildProcess } from 'node:child_process'
import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import type { Ddl } from '../ddl/index.js'
import { Status, isStatusCode, statusNames, type StatusCode } from '../protocol/status.js'
import { McshError } from '../util/errors.js'
import { RpcError, type ActionContext, type ActionHandler, type ActionInputs, type ActionOutputs } from './define.js'

/**
 * External agents: any executable beside a DDL. Each request runs it once, without a shell, as
 * `EXECUTABLE ACTION` in the agent's folder with a fixed environment, writes one JSON request line on
 * its stdin and reads one JSON answer from its stdout (docs/agents.md, "External agents").
 */

export const EXTERNAL_PROTOCOL = 'mcsh-external/1'

/** Looked for in this order once no in-process implementation (agent.js, agent.mjs) is found. */
export const EXTERNAL_AGENT_FILES = ['agent', 'agent.py', 'agent.sh', 'agent.rb'] as const

export const EXTERNAL_PATH = '/usr/local/bin:/usr/bin:/bin'

export interface ExternalLimits {
  /** More than this on stdout kills the process and fails the request. */
  maxStdoutBytes: number
  /** Only the last this-many bytes of stderr are kept (for messages and logs). */
  maxStderrBytes: number
  /** Between SIGTERM and SIGKILL when the process group is stopped. */
  killGraceMs: number
  /** How long to keep reading after the process exited when something it started still holds its stdout. */
  drainMs: number
}

export const DEFAULT_EXTERNAL_LIMITS: ExternalLimits = {
  maxStdoutBytes: 1024 * 1024,
  maxStderrBytes: 64 * 1024,
  killGraceMs: 2000,
  drainMs: 250,
}

export interface ExternalAgentOptions {
  /** HOME of the process; default the daemon's home folder. */
  home?: string
  limits?: Partial<ExternalLimits>
}

/** The JSON line an external agent reads on stdin. */
export interface ExternalRequest {
  protocol: typeof EXTERNAL_PROTOCOL
  agent: string
  action: string
  inputs: Record<string, unknown>
  request: { id: string; caller: string; sender: string; collective: string }
  node: { identity: string; facts: Record<string, unknown> }
  timeout: number
}

/**
 * The executable of an external agent in `dir`, or undefined when there is none. A candidate file
 * that exists but cannot be executed is an error, so a missing `chmod +x` is reported, not ignored.
 */
export async function findExternalExecutable(dir: string): Promise<string | undefined> {
  for (const file of EXTERNAL_AGENT_FILES) {
    const path = join(dir, file)
    const info = await stat(path).catch(() => undefined)
    if (!info?.isFile()) continue
    try {
      await access(path, constants.X_OK)
    } catch {
      throw new McshError('MCSH_AGENT_NOT_EXECUTABLE', `${path} is not executable: run chmod +x ${path} (an external agent needs a #! line and the execute bit)`)
    }
    return path
  }
  return undefined
}

/** One handler per action of the DDL, each running the executable. */
export function externalActions(
  agent: { name: string; ddl: Ddl; executable: string; dir: string },
  options: ExternalAgentOptions = {},
): Record<string, ActionHandler> {
  const limits = { ...DEFAULT_EXTERNAL_LIMITS, ...options.limits }
  const home = options.home ?? homedir()
  // Absolute, because the process runs with the agent folder as its working directory.
  const resolved = { ...agent, executable: resolve(agent.executable), dir: resolve(agent.dir) }
  const actions: Record<string, ActionHandler> = {}
  for (const action of Object.keys(agent.ddl.actions)) {
    actions[action] = (inputs, ctx) => runExternalAction(resolved, action, inputs, ctx, { home, limits })
  }
  return actions
}

async function runExternalAction(
  agent: { name: string; ddl: Ddl; executable: string; dir: string },
  action: string,
  inputs: ActionInputs,
  ctx: ActionContext,
  o: { home: string; limits: ExternalLimits },
): Promise<ActionOutputs> {
  const timeoutSeconds = agent.ddl.metadata.timeoutSeconds
  const label = `${agent.name}#${action}: ${basename(agent.executable)}`
  const request: ExternalRequest = {
    protocol: EXTERNAL_PROTOCOL,
    agent: agent.name,
    action,
    inputs: { ...inputs },
    request: { id: ctx.request.id, caller: ctx.request.callerId, sender: ctx.request.sender, collective: ctx.request.collective },
    node: { identity: ctx.node.identity, facts: { ...ctx.node.facts() } },
    timeout: timeoutSeconds,
  }
  const env: Record<string, string> = {
    PATH: EXTERNAL_PATH,
    LANG: 'C.UTF-8',
    HOME: o.home,
    MCSH_AGENT: agent.name,
    MCSH_ACTION: action,
    MCSH_REQUEST_ID: ctx.request.id,
    MCSH_CALLER: ctx.request.callerId,
    MCSH_IDENTITY: ctx.node.identity,
  }
  const run = await runProcess({
    file: agent.executable,
    args: [action],
    cwd: agent.dir,
    env,
    input: JSON.stringify(request) + '\n',
    timeoutMs: timeoutSeconds * 1000,
    signal: ctx.signal,
    limits: o.limits,
  })
  const stderr = run.stderr.toString('utf8')
  const fail = (status: Exclude<StatusCode, 0>, message: string, data?: Record<string, unknown>): never => {
    ctx.logger.warn('external agent failed', { agent: agent.name, action, executable: agent.executable, status, error: message, stderr: stderr.slice(-2048) })
    throw new RpcError(status, message, data)
  }
  if (run.spawnError) fail(Status.UnknownError, `${label} cannot be executed: ${describeSpawnError(run.spawnError)}`)
  if (run.timedOut) fail(Status.Aborted, `action ${agent.name}#${action} timed out after ${timeoutSeconds} s`)
  if (run.overflow) fail(Status.UnknownError, `${label} printed more than ${formatBytes(o.limits.maxStdoutBytes)} on stdout`)
  if (stderr) ctx.logger.debug('external agent stderr', { agent: agent.name, action, stderr: stderr.slice(-2048) })

  const text = run.stdout.toString('utf8').trim()
  const exitedBadly = run.exitCode !== 0
  const how = run.signal ? `was killed by ${run.signal}` : `exited with code ${String(run.exitCode)}`
  const lastLine = lastStderrLine(stderr)
  const crashed = () => fail(Status.UnknownError, `${label} ${how}${lastLine ? `: ${lastLine}` : ' and printed nothing on stderr'}`)
  if (text === '') return exitedBadly ? crashed() : fail(Status.UnknownError, `${label} printed nothing on stdout; expected one JSON object`)
  let answer: unknown
  try {
    answer = JSON.parse(text)
  } catch (e) {
    if (exitedBadly) return crashed()
    const position = jsonErrorPosition(text, e)
    return fail(Status.UnknownError, `${label} printed invalid JSON${position === undefined ? '' : ` at position ${position}`}: ${excerpt(text)}`)
  }
  if (!isPlainObject(answer)) {
    if (exitedBadly) return crashed()
    return fail(Status.UnknownError, `${label} printed ${describeJson(answer)}, not a JSON object { "statuscode", "statusmsg", "data" }`)
  }
  const statuscode = answer.statuscode ?? 0
  if (!isStatusCode(statuscode)) return fail(Status.UnknownError, `${label} answered statuscode ${JSON.stringify(statuscode)}; expected an integer from 0 to 5`)
  const statusmsg = answer.statusmsg
  if (statusmsg !== undefined && typeof statusmsg !== 'string') return fail(Status.UnknownError, `${label} answered a statusmsg that is not a string`)
  const data = answer.data
  if (data !== undefined && !isPlainObject(data)) return fail(Status.UnknownError, `${label} answered a "data" that is ${describeJson(data)}, not an object`)
  if (statuscode === 0) {
    if (data === undefined) return fail(Status.UnknownError, `${label} answered statuscode 0 without a "data" object`)
    return data
  }
  // The agent's own failing answer: a reply like any other, not a fault of the agent worth a warning.
  throw new RpcError(statuscode, statusmsg || statusNames[statuscode], data ?? {})
}

interface ProcessRun {
  exitCode: number | null
  signal: NodeJS.Signals | null
  stdout: Buffer
  /** The last `maxStderrBytes`. */
  stderr: Buffer
  overflow: boolean
  timedOut: boolean
  spawnError?: NodeJS.ErrnoException
}

/**
 * Runs a program in a process group of its own, so a time-out or an overflow stops everything it
 * started: SIGTERM to the group, SIGKILL `killGraceMs` later. Never rejects.
 */
function runProcess(o: {
  file: string
  args: string[]
  cwd: string
  env: Record<string, string>
  input: string
  timeoutMs: number
  signal: AbortSignal
  limits: ExternalLimits
}): Promise<ProcessRun> {
  const empty = Buffer.alloc(0)
  if (o.signal.aborted) return Promise.resolve({ exitCode: null, signal: null, stdout: empty, stderr: empty, overflow: false, timedOut: true })
  return new Promise((resolve) => {
    const stdout: Buffer[] = []
    let stdoutBytes = 0
    let stderr = empty
    let overflow = false
    let timedOut = false
    let settled = false
    let exitCode: number | null = null
    let exitSignal: NodeJS.Signals | null = null
    let killTimer: NodeJS.Timeout | undefined
    let drainTimer: NodeJS.Timeout | undefined

    let child: ChildProcess
    try {
      child = spawn(o.file, o.args, { cwd: o.cwd, env: o.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true, shell: false })
    } catch (e) {
      resolve({ exitCode: null, signal: null, stdout: empty, stderr: empty, overflow: false, timedOut: false, spawnError: e as NodeJS.ErrnoException })
      return
    }
    const pid = child.pid

    const signalGroup = (sig: NodeJS.Signals | 0): boolean => {
      if (pid === undefined) return false
      try {
        process.kill(-pid, sig)
        return true
      } catch {
        return false
      }
    }
    const terminate = () => {
      if (killTimer) return
      signalGroup('SIGTERM')
      killTimer = setTimeout(() => signalGroup('SIGKILL'), o.limits.killGraceMs)
    }
    const onTimeout = () => {
      timedOut = true
      terminate()
    }
    const timer = setTimeout(onTimeout, o.timeoutMs)
    o.signal.addEventListener('abort', onTimeout, { once: true })

    const finish = (spawnError?: NodeJS.ErrnoException) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      clearTimeout(drainTimer)
      o.signal.removeEventListener('abort', onTimeout)
      // Keep the pending SIGKILL only while something of the group is still alive.
      if (killTimer && !signalGroup(0)) clearTimeout(killTimer)
      child.stdout?.destroy()
      child.stderr?.destroy()
      resolve({ exitCode, signal: exitSignal, stdout: Buffer.concat(stdout), stderr, overflow, timedOut, ...(spawnError ? { spawnError } : {}) })
    }

    child.on('error', (e: NodeJS.ErrnoException) => {
      // Also emitted when a kill fails; only a failed spawn leaves no pid.
      if (pid === undefined) finish(e)
    })
    child.on('exit', (code, sig) => {
      exitCode = code
      exitSignal = sig
      drainTimer = setTimeout(() => finish(), o.limits.drainMs)
    })
    child.on('close', () => finish())

    child.stdout?.on('data', (chunk: Buffer) => {
      if (overflow) return
      stdoutBytes += chunk.length
      if (stdoutBytes > o.limits.maxStdoutBytes) {
        overflow = true
        stdout.length = 0
        terminate()
        return
      }
      stdout.push(chunk)
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = Buffer.concat([stderr, chunk])
      if (stderr.length > o.limits.maxStderrBytes) stderr = stderr.subarray(stderr.length - o.limits.maxStderrBytes)
    })
    // An agent may exit without reading its request (EPIPE); a pipe error must never crash the daemon.
    child.stdin?.on('error', () => {})
    child.stdout?.on('error', () => {})
    child.stderr?.on('error', () => {})
    child.stdin?.end(o.input)
  })
}

function describeSpawnError(e: NodeJS.ErrnoException): string {
  const hint: Record<string, string> = {
    EACCES: 'permission denied (is it executable? chmod +x)',
    ENOENT: 'no such file, or the interpreter named on its #! line is missing',
    ENOEXEC: 'not an executable format (does it start with a #! line?)',
  }
  const code = e.code ?? 'error'
  return `${code}: ${hint[code] ?? e.message}`
}

function lastStderrLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean)
  const last = lines[lines.length - 1] ?? ''
  return last.length > 200 ? `${last.slice(0, 200)}…` : last
}

function excerpt(text: string): string {
  return JSON.stringify(text.slice(0, 80)) + (text.length > 80 ? '…' : '')
}

function formatBytes(n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`
  if (n % 1024 === 0) return `${n / 1024} KiB`
  return `${n} bytes`
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function describeJson(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  return `a ${typeof v}`
}

/**
 * Where JSON.parse failed: its own position when the message has one, else found by a small
 * scanner (V8 omits positions for an unexpected token). Undefined when unknown.
 */
export function jsonErrorPosition(text: string, error?: unknown): number | undefined {
  const m = error instanceof Error ? /at position (\d+)/.exec(error.message) : null
  if (m?.[1]) return Number(m[1])
  try {
    return scanJson(text)
  } catch {
    return undefined
  }
}

class JsonStop {
  constructor(readonly at: number) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y

/** The offset of the first character that makes `s` invalid JSON, or undefined if it is valid. */
function scanJson(s: string): number | undefined {
  let i = 0
  const stop = (): never => {
    throw new JsonStop(i)
  }
  const ws = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++
  }
  const string = () => {
    i++
    for (;;) {
      const c = s[i]
      if (c === undefined) stop()
      if (c === '"') {
        i++
        return
      }
      if (c === '\\') {
        const next = s[i + 1]
        if (next !== undefined && '"\\/bfnrt'.includes(next)) i += 2
        else if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) i += 6
        else {
          i++
          stop()
        }
      } else if ((c as string) < ' ') stop()
      else i++
    }
  }
  const value = (): void => {
    ws()
    const c = s[i]
    if (c === '{') {
      i++
      ws()
      if (s[i] === '}') {
        i++
        return
      }
      for (;;) {
        ws()
        if (s[i] !== '"') stop()
        string()
        ws()
        if (s[i] !== ':') stop()
        i++
        value()
        ws()
        if (s[i] === ',') i++
        else if (s[i] === '}') {
          i++
          return
        } else stop()
      }
    }
    if (c === '[') {
      i++
      ws()
      if (s[i] === ']') {
        i++
        return
      }
      for (;;) {
        value()
        ws()
        if (s[i] === ',') i++
        else if (s[i] === ']') {
          i++
          return
        } else stop()
      }
    }
    if (c === '"') return string()
    for (const word of ['true', 'false', 'null']) {
      if (s.startsWith(word, i)) {
        i += word.length
        return
      }
    }
    NUMBER.lastIndex = i
    const n = NUMBER.exec(s)
    if (!n) stop()
    i += (n as RegExpExecArray)[0].length
  }
  try {
    value()
    ws()
    return i < s.length ? i : undefined
  } catch (e) {
    if (e instanceof JsonStop) return e.at
    throw e
  }
}
