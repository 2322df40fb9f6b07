import { formatFilterError, FilterSyntaxError } from '../filter/index.js'
import { isMcshError } from '../util/errors.js'

/**
 * An error as the operator should read it: what, where (a caret under a bad filter), what to do.
 * Plain ANSI rather than chalk keeps the renderer off the start-up path.
 */
export function describeError(e: Error, color: boolean): string {
  const c = { red: (t: string) => (color ? `\x1b[31m${t}\x1b[39m` : t) }
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
