import type { RunOutcome } from '../commands/run.js'
import { resultToJson } from '../commands/result.js'
import { formatFilterError, FilterSyntaxError } from '../filter/index.js'
import { renderResult } from '../shell/render/index.js'
import { isMcshError } from '../util/errors.js'
import { palette } from '../shell/render/style.js'

export interface OutputTarget {
  write(text: string): void
  error(text: string): void
  width: number
  color: boolean
  json: boolean
  /** Indented JSON for people; one line per document for pipes. */
  pretty: boolean
}

export function stdoutTarget(o: { json: boolean }): OutputTarget {
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb'
  return {
    write: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
    error: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
    width: process.stdout.columns || 100,
    color,
    json: o.json,
    pretty: Boolean(process.stdout.isTTY),
  }
}

export function printOutcome(outcome: RunOutcome, out: OutputTarget): void {
  if (outcome.error) {
    out.error(describeError(outcome.error, out.color))
    return
  }
  if (!outcome.result) return
  if (out.json || outcome.json) out.write(JSON.stringify(resultToJson(outcome.result), null, out.pretty ? 2 : undefined))
  else out.write(renderResult(outcome.result, { width: out.width, color: out.color }))
}

/** An error as the operator should read it: what, where (a caret under a bad filter), what to do. */
export function describeError(e: Error, color: boolean): string {
  const c = palette(color)
  if (e instanceof FilterSyntaxError) return `${c.red('error: ')}${e.message}\n${indentLines(formatFilterError(e), '  ')}`
  if (isMcshError(e)) return c.red('error: ') + e.message
  return c.red('internal error: ') + (e.stack ?? e.message) + '\nplease report this with the command that caused it'
}

function indentLines(text: string, pad: string): string {
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n')
}
