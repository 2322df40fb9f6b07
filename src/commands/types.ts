import type { OptionSpec } from './options.js'
import type { CommandResult } from './result.js'
import type { Session } from './session.js'

/** Feedback while a command waits: the shell draws it on stderr in a terminal, pipes get none. */
export interface Progress {
  discovered?(count: number, elapsedMs: number): void
  replied?(received: number, expected: number, elapsedMs: number): void
  done?(): void
}

export interface CommandContext {
  session: Session
  /** Aborted by Ctrl-C: stop waiting, keep what arrived. */
  signal: AbortSignal
  progress?: Progress
  /** Tells the operator something on the side (stderr), e.g. that a stale node set is re-discovered. */
  notice?: (text: string) => void
  /** Runs a line as the shell would (for `source`); resolves to its exit status. */
  execute?: (line: string) => Promise<number>
}

export interface Command {
  name: string
  aliases?: string[]
  /** One line for the command list. */
  summary: string
  usage: string
  options: OptionSpec[]
  /** More text for `help COMMAND`. */
  details?: string
  /** Whether it talks to the broker (the CLI connects only for these). */
  needsBroker: boolean
  run(args: string[], ctx: CommandContext): Promise<CommandResult>
}
