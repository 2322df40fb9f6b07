import { defineAgent, isRpcError, RpcError } from '../../src/agents/define.js'
import type { CommandResult } from '../../src/host/types.js'
import { Status } from '../../src/protocol/status.js'
import { errorMessage, isMcshError } from '../../src/util/errors.js'

/** Per stream: replies stay small enough for a fleet's worth of them. */
export const MAX_OUTPUT_BYTES = 64 * 1024
const MAX_TIMEOUT_SECONDS = 300

/** At most `max` bytes of UTF-8, cut at a character boundary. */
function bounded(text: string, max: number): { text: string; cut: boolean } {
  const bytes = Buffer.from(text, 'utf8')
  if (bytes.length <= max) return { text, cut: false }
  let end = max
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--
  return { text: bytes.subarray(0, end).toString('utf8'), cut: true }
}

function lastLine(text: string, max = 200): string {
  const lines = text.trim().split('\n')
  const last = (lines[lines.length - 1] ?? '').trim()
  return last.length <= max ? last : `…${last.slice(-max)}`
}

/** A failed command answers status 1 and still carries its outputs: dispatchAction passes an RpcError's `data` on. */
function failed(message: string, data: Record<string, unknown>): RpcError {
  return new RpcError(Status.Aborted, message, data)
}

export default defineAgent({
  ddl: 'shell',
  actions: {
    run: async ({ command, timeout, cwd }, ctx) => {
      const seconds = typeof timeout === 'number' ? timeout : 60
      if (!(seconds > 0 && seconds <= MAX_TIMEOUT_SECONDS))
        throw new RpcError(Status.InvalidData, `input 'timeout' must be more than 0 and at most ${MAX_TIMEOUT_SECONDS} seconds but was ${seconds}`)
      if (command.trim() === '') throw new RpcError(Status.InvalidData, "input 'command' must not be empty")
      const options = {
        timeoutMs: Math.round(seconds * 1000),
        maxOutputBytes: MAX_OUTPUT_BYTES,
        signal: ctx.signal,
        ...(typeof cwd === 'string' ? { cwd } : {}),
      }
      let r: CommandResult
      try {
        r = await ctx.host.commands.run('/bin/sh', ['-c', command], options)
      } catch (e) {
        if (e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError) throw e
        if (isRpcError(e)) throw e
        if (isMcshError(e) && e.code.startsWith('MCSH_INVALID')) throw new RpcError(Status.InvalidData, errorMessage(e))
        throw new RpcError(Status.Aborted, `cannot run the command${typeof cwd === 'string' ? ` in ${cwd}` : ''}: ${errorMessage(e)}`)
      }
      const stdout = bounded(r.stdout, MAX_OUTPUT_BYTES)
      const stderr = bounded(r.stderr, MAX_OUTPUT_BYTES)
      const outputs = {
        stdout: stdout.text,
        stderr: stderr.text,
        exitcode: r.timedOut || r.signal !== null ? null : r.exitCode,
        truncated: r.truncated || stdout.cut || stderr.cut,
        timedout: r.timedOut,
        duration_ms: Math.round(r.durationMs),
      }
      const why = lastLine(stderr.text)
      if (r.timedOut) throw failed(`command timed out after ${seconds} s and was killed`, outputs)
      if (r.signal !== null) throw failed(`command was killed by ${r.signal}${why ? `: ${why}` : ''}`, outputs)
      if (r.exitCode !== 0) throw failed(`command exited with code ${String(r.exitCode)}${why ? `: ${why}` : ''}`, outputs)
      return outputs
    },
  },
})
