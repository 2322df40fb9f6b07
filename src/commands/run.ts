import { isMcshError } from '../util/errors.js'
import type { CommandRegistry } from './registry.js'
import { ExitCode, exitCodeOf, type CommandResult, type ExitCodeValue } from './result.js'
import type { Session } from './session.js'
import { splitCommands, tokenize } from './tokenize.js'
import type { Progress } from './types.js'

export interface RunOutcome {
  line: string
  result?: CommandResult
  error?: Error
  /** `--json` on the command line asks for JSON for this command only. */
  json: boolean
  exitCode: ExitCodeValue
}

/** Runs one command (no `;`): tokenize, resolve, run. Errors come back as data, never thrown. */
export async function runCommand(
  line: string,
  o: { session: Session; registry: CommandRegistry; signal: AbortSignal; progress?: Progress },
): Promise<RunOutcome> {
  let json = false
  try {
    const words = tokenize(line).filter((w) => {
      if (w !== '--json') return true
      json = true
      return false
    })
    const { command, args } = await o.registry.resolve(words, o.session)
    const result = await command.run(args, { session: o.session, signal: o.signal, ...(o.progress ? { progress: o.progress } : {}) })
    o.session.lastResult = result
    return { line, result, json, exitCode: exitCodeOf(result) }
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e))
    return { line, error, json, exitCode: exitCodeForError(error) }
  }
}

export function exitCodeForError(e: Error): ExitCodeValue {
  if (!isMcshError(e)) return ExitCode.Usage
  if (/^MCSH_(BROKER|NOT_CONNECTED|PUBLISH|CONFIG|SECURITY)/.test(e.code)) return ExitCode.Connection
  return ExitCode.Usage
}

export { splitCommands }
