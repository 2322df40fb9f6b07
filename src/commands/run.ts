import { isMcshError } from '../util/errors.js'
import type { CommandRegistry } from './registry.js'
import { ExitCode, exitCodeOf, type CommandResult, type ExitCodeValue } from './result.js'
import { OUTPUT_FORMATS, type OutputFormat, type Session } from './session.js'
import { splitCommands, tokenize } from './tokenize.js'
import type { CommandContext, Progress } from './types.js'

export interface RunOutcome {
  line: string
  result?: CommandResult
  error?: Error
  /** `--json`, `--jsonl`, `--csv`, `--yaml` or `--text` on the command: its output format. */
  format?: OutputFormat
  exitCode: ExitCodeValue
}

const formatFlags = new Map<string, OutputFormat>(OUTPUT_FORMATS.map((f) => [`--${f}`, f]))

/** Runs one command (no `;`): tokenize, resolve, run. Errors come back as data, never thrown. */
export async function runCommand(
  line: string,
  o: { session: Session; registry: CommandRegistry; signal: AbortSignal; progress?: Progress; notice?: (text: string) => void; execute?: (line: string) => Promise<number> },
): Promise<RunOutcome> {
  let format: OutputFormat | undefined
  try {
    const words = tokenize(line).filter((w) => {
      const f = formatFlags.get(w)
      if (f === undefined) return true
      format = f
      return false
    })
    const { command, args } = await o.registry.resolve(words, o.session)
    const ctx: CommandContext = { session: o.session, signal: o.signal }
    if (o.progress) ctx.progress = o.progress
    if (o.notice) ctx.notice = o.notice
    if (o.execute) ctx.execute = o.execute
    const result = await command.run(args, ctx)
    if (command.name !== 'last') o.session.lastResult = result
    return { line, result, ...(format ? { format } : {}), exitCode: exitCodeOf(result) }
  } catch (e) {
    o.progress?.done?.()
    const error = e instanceof Error ? e : new Error(String(e))
    return { line, error, ...(format ? { format } : {}), exitCode: exitCodeForError(error) }
  }
}

export function exitCodeForError(e: Error): ExitCodeValue {
  if (!isMcshError(e)) return ExitCode.Usage
  if (/^MCSH_(BROKER|NOT_CONNECTED|PUBLISH|CONFIG|SECURITY)/.test(e.code)) return ExitCode.Connection
  if (/^MCSH_(NO_RESPONSE|RPC_FAILED)$/.test(e.code)) return ExitCode.Partial
  return ExitCode.Usage
}

export { splitCommands }
