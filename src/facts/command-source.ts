import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import JSON5 from 'json5'
import { McshError, errorMessage } from '../util/errors.js'
import { flattenFacts } from './flatten.js'
import type { FactSource } from './store.js'
import type { FactValue } from './types.js'

export interface CommandFactSourceOptions {
  /** Default 10_000. */
  timeoutMs?: number
  /** Stdout beyond this fails the load and kills the command. Default 4 MiB. */
  maxOutputBytes?: number
  /** Added to (not replacing) the daemon's environment. */
  env?: Record<string, string>
  /** How long after SIGTERM to send SIGKILL. Default 2_000. */
  killGraceMs?: number
}

const STDERR_KEEP_BYTES = 64 * 1024

/**
 * Facts from a command printing a JSON object on stdout (`facter --json`, `ohai`), run without a
 * shell in its own process group so a timeout kills whatever it started too. The output is flattened.
 */
export function commandFactSource(command: string, args: string[], opts: CommandFactSourceOptions = {}): FactSource {
  const display = [command, ...args].join(' ')
  return {
    name: `command:${display}`,
    async load() {
      const stdout = await run(command, args, display, opts)
      return parseOutput(stdout, display)
    },
  }
}

function run(command: string, args: string[], display: string, opts: CommandFactSourceOptions): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 10_000
  const maxOutputBytes = opts.maxOutputBytes ?? 4 * 1024 * 1024
  const killGraceMs = opts.killGraceMs ?? 2_000
  const groupKill = process.platform !== 'win32'

  return new Promise((resolve, reject) => {
    let child: ChildProcess
    try {
      child = spawn(command, args, {
        shell: false,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: opts.env !== undefined ? { ...process.env, ...opts.env } : process.env,
        detached: groupKill,
        windowsHide: true,
      })
    } catch (e) {
      reject(new McshError('MCSH_FACTS_COMMAND_FAILED', `facts command \`${display}\` could not be started: ${errorMessage(e)}`, { cause: e }))
      return
    }

    const out: Buffer[] = []
    let outBytes = 0
    const err: Buffer[] = []
    let errBytes = 0
    let failure: McshError | undefined
    let exited = false
    let settled = false
    let killTimer: NodeJS.Timeout | undefined
    let giveUpTimer: NodeJS.Timeout | undefined

    const kill = (signal: NodeJS.Signals) => {
      try {
        if (groupKill && child.pid !== undefined) process.kill(-child.pid, signal)
        else child.kill(signal)
      } catch {
        // already gone
      }
    }
    const finish = (fn: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      clearTimeout(killTimer)
      clearTimeout(giveUpTimer)
      child.stdout?.destroy()
      child.stderr?.destroy()
      fn()
    }
    const fail = () => finish(() => reject(failure))
    // SIGTERM to the group, SIGKILL after the grace period, and stop waiting one more grace period
    // later even if something (a process that left the group) still holds the pipes.
    const abort = (e: McshError) => {
      if (failure !== undefined || settled) return
      failure = e
      kill('SIGTERM')
      killTimer = setTimeout(() => {
        kill('SIGKILL')
        if (exited) fail()
        else giveUpTimer = setTimeout(fail, killGraceMs)
      }, killGraceMs)
    }

    const timer = setTimeout(
      () => abort(new McshError('MCSH_FACTS_COMMAND_TIMEOUT', `facts command \`${display}\` timed out after ${timeoutMs} ms and was killed`)),
      timeoutMs,
    )

    child.stdout?.on('data', (chunk: Buffer) => {
      if (failure !== undefined) return
      outBytes += chunk.length
      if (outBytes > maxOutputBytes) {
        abort(new McshError('MCSH_FACTS_COMMAND_OUTPUT_TOO_LARGE', `facts command \`${display}\` printed more than ${maxOutputBytes} bytes and was killed`))
        return
      }
      out.push(chunk)
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      if (errBytes >= STDERR_KEEP_BYTES) return
      err.push(chunk)
      errBytes += chunk.length
    })

    child.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ENOENT' ? 'not found' : e.code === 'EACCES' ? 'permission denied' : errorMessage(e)
      finish(() => reject(new McshError('MCSH_FACTS_COMMAND_FAILED', `facts command \`${display}\` could not be started: ${why}`, { cause: e })))
    })

    child.on('exit', () => {
      exited = true
      if (failure === undefined) return
      // Killed by us: take whatever it started in its group along, and do not wait for the pipes.
      kill('SIGKILL')
      fail()
    })

    // 'close' comes after the exit and once stdout/stderr are drained, so the output is complete. If a
    // background process keeps the pipes open, the timeout above ends the wait.
    child.on('close', (code, signal) => {
      if (failure !== undefined) return fail()
      if (code === 0) return finish(() => resolve(Buffer.concat(out).toString('utf8')))
      const firstLine = Buffer.concat(err).toString('utf8').split(/\r?\n/).find((l) => l.trim() !== '')?.trim()
      const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`
      finish(() => reject(new McshError('MCSH_FACTS_COMMAND_FAILED', `facts command \`${display}\` ${how}${firstLine ? `: ${firstLine}` : ''}`)))
    })
  })
}

function parseOutput(stdout: string, display: string): Record<string, FactValue> {
  if (stdout.trim() === '') throw new McshError('MCSH_FACTS_COMMAND_INVALID_JSON', `facts command \`${display}\` printed nothing`)
  let data: unknown
  try {
    data = JSON.parse(stdout)
  } catch {
    // JSON.parse does not reliably say where; JSON5 (a superset) does, and tolerates trailing commas and the like.
    try {
      data = JSON5.parse(stdout)
    } catch (e) {
      const { lineNumber, columnNumber } = e as { lineNumber?: number; columnNumber?: number }
      const where = lineNumber !== undefined && columnNumber !== undefined ? ` at line ${lineNumber}, column ${columnNumber}` : ''
      const reason = errorMessage(e).replace(/^JSON5: /, '').replace(/ at \d+:\d+$/, '')
      const start = stdout.trim().slice(0, 60).replace(/\s+/g, ' ')
      throw new McshError(
        'MCSH_FACTS_COMMAND_INVALID_JSON',
        `facts command \`${display}\` printed invalid JSON${where} (${reason}); output began ${JSON.stringify(start)}`,
        { cause: e },
      )
    }
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new McshError('MCSH_FACTS_COMMAND_INVALID_JSON', `facts command \`${display}\` printed JSON that is not an object`)
  }
  return flattenFacts(data)
}
