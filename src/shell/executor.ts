import { spawn } from 'node:child_process'
import { appendFile, writeFile } from 'node:fs/promises'
import type { CommandRegistry } from '../commands/registry.js'
import { ExitCode, type ExitCodeValue } from '../commands/result.js'
import { exitCodeForError, runCommand, type RunOutcome } from '../commands/run.js'
import type { OutputFormat, Session } from '../commands/session.js'
import { splitCommands } from '../commands/tokenize.js'
import type { Progress } from '../commands/types.js'
import { termLabel } from '../commands/scope.js'
import { McshError, errorMessage } from '../util/errors.js'
import { describeError } from './errors.js'
import { formatForPath, formatResult } from './format.js'
import { parseSink, type Sink } from './pipeline.js'

/** Where output goes: a terminal, a pipe, or a test's buffer. */
export interface Terminal {
  out(text: string): void
  err(text: string): void
  readonly width: number
  readonly color: boolean
  /** stdout is a terminal: text results by default, progress lines, notices. */
  readonly tty: boolean
  progress?(): Progress
}

const severity: Record<ExitCodeValue, number> = { 0: 0, 4: 1, 1: 2, 2: 3, 3: 4 }

/**
 * Runs lines the same way for the shell, `-c`, scripts and stdin: `;` lists, `| shell-command`,
 * `> file` and `>> file`, output formats, recording, `errexit`, `exit`.
 */
export class Executor {
  /** The most serious status seen (3 > 2 > 1 > 4 > 0). */
  worst: ExitCodeValue = ExitCode.OK
  /** Set by `exit N`: the caller should stop. */
  exitRequested: number | undefined
  /** Set when errexit stopped the run or Ctrl-C interrupted a non-interactive one. */
  stopped = false

  constructor(
    readonly session: Session,
    readonly registry: CommandRegistry,
    readonly term: Terminal,
    private readonly o: { interactive: boolean } = { interactive: false },
  ) {}

  /** Runs every command of a line; resolves to the line's most serious status. */
  async runLine(line: string, signal: AbortSignal = new AbortController().signal): Promise<ExitCodeValue> {
    let commands: string[]
    try {
      commands = splitCommands(line)
    } catch (e) {
      return this.fail(e as Error)
    }
    let status: ExitCodeValue = ExitCode.OK
    for (const command of commands) {
      if (this.exitRequested !== undefined || this.stopped) break
      const s = await this.runOne(command, signal)
      if (severity[s] > severity[status]) status = s
      if (signal.aborted && !this.o.interactive) {
        this.stopped = true
        break
      }
      if (this.session.settings.errexit && s !== ExitCode.OK && s !== ExitCode.NoNodes && !this.o.interactive) {
        this.term.err(`stopped: errexit is on and '${command}' exited ${s}`)
        this.stopped = true
        break
      }
    }
    return status
  }

  private async runOne(text: string, signal: AbortSignal): Promise<ExitCodeValue> {
    let command: string
    let sink: Sink | undefined
    try {
      ;({ command, sink } = parseSink(text))
    } catch (e) {
      return this.fail(e as Error)
    }
    const scope = this.session.scopeTerms.map(termLabel).join(' ') || 'all nodes'
    const outcome = await runCommand(command, {
      session: this.session,
      registry: this.registry,
      signal,
      ...(this.term.tty && this.term.progress ? { progress: this.term.progress() } : {}),
      notice: (t) => this.term.err(t),
      execute: (line) => this.runLine(line, signal),
    })
    this.session.recorder?.record(text, { ...(outcome.result ? { result: outcome.result } : {}), ...(outcome.error ? { error: outcome.error } : {}), scope })
    let status = outcome.exitCode
    if (outcome.error) return this.fail(outcome.error)
    if (outcome.result?.kind === 'exit') {
      this.exitRequested = outcome.result.code
      return this.note(status)
    }
    try {
      const pipeStatus = await this.deliver(outcome, sink)
      if (pipeStatus !== ExitCode.OK && severity[pipeStatus] > severity[status]) status = pipeStatus
    } catch (e) {
      return this.fail(e as Error)
    }
    return this.note(status)
  }

  private async deliver(outcome: RunOutcome, sink: Sink | undefined): Promise<ExitCodeValue> {
    const result = outcome.result
    if (!result) return ExitCode.OK
    const setting = this.session.settings.output
    const pretty = this.term.tty
    if (!sink) {
      const format: OutputFormat = outcome.format ?? setting ?? (this.term.tty ? 'text' : 'json')
      const text = await formatResult(result, format, { width: this.term.width, color: this.term.color && format === 'text', pretty })
      if (text) this.term.out(text)
      return ExitCode.OK
    }
    if (sink.kind === 'file') {
      const format = outcome.format ?? formatForPath(sink.path) ?? 'json'
      const text = (await formatResult(result, format, { width: this.term.width, color: false, pretty: format === 'json' && !sink.append })) + '\n'
      try {
        await (sink.append ? appendFile(sink.path, text) : writeFile(sink.path, text))
      } catch (e) {
        throw new McshError('MCSH_OUTPUT', `cannot write ${sink.path}: ${errorMessage(e)}`)
      }
      if (this.term.tty) this.term.err(`${sink.append ? 'appended' : 'wrote'} ${format} to ${sink.path}`)
      return ExitCode.OK
    }
    const format = outcome.format ?? 'json'
    const text = (await formatResult(result, format, { width: this.term.width, color: false, pretty: false })) + '\n'
    const code = await pipeTo(sink.command, text, this.term)
    if (code !== 0) {
      this.term.err(`shell command '${sink.command}' exited with ${code}`)
      return ExitCode.Partial
    }
    return ExitCode.OK
  }

  private fail(e: Error): ExitCodeValue {
    const status = exitCodeForError(e)
    this.term.err(describeError(e, this.term.color))
    return this.note(status)
  }

  private note(status: ExitCodeValue): ExitCodeValue {
    if (severity[status] > severity[this.worst]) this.worst = status
    return status
  }
}

/** Feeds `input` to `sh -c command`; its output goes to the terminal. Resolves to its exit status. */
function pipeTo(command: string, input: string, term: Terminal): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.stdin.on('error', () => {}) // the command may exit without reading (head, grep -q)
    child.on('error', (e) => {
      term.err(`cannot run '${command}': ${e.message}`)
      resolve(127)
    })
    child.on('close', (code, signal) => {
      if (out) term.out(out.replace(/\n$/, ''))
      if (err) term.err(err.replace(/\n$/, ''))
      resolve(code ?? (signal ? 128 : 1))
    })
    child.stdin.end(input)
  })
}
