import { McshError } from '../util/errors.js'

export type Sink = { kind: 'pipe'; command: string } | { kind: 'file'; path: string; append: boolean }

/**
 * Splits `COMMAND | shell-command`, `COMMAND > FILE` and `COMMAND >> FILE` outside quotes. A `|` or
 * `>` counts only at the start of a word, so `-F memory.total_mb>4096` stays a filter; quote
 * compound filters that contain ` | ` or ` > `.
 */
export function parseSink(text: string): { command: string; sink?: Sink } {
  let quote: string | undefined
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    if (ch === '\\' && quote !== "'") {
      i++
      continue
    }
    if (quote) {
      if (ch === quote) quote = undefined
      continue
    }
    if (ch === '"' || ch === "'") {
      quote = ch
      continue
    }
    const atWordStart = i === 0 || /\s/.test(text[i - 1] as string)
    if (!atWordStart) continue
    if (ch === '|' && text[i + 1] !== '|') {
      const command = text.slice(0, i).trim()
      const shell = text.slice(i + 1).trim()
      if (!command) throw new McshError('MCSH_USAGE', "nothing before '|': write COMMAND | shell-command")
      if (!shell) throw new McshError('MCSH_USAGE', "nothing after '|': give a shell command, e.g. | jq .stats")
      return { command, sink: { kind: 'pipe', command: shell } }
    }
    if (ch === '>') {
      const append = text[i + 1] === '>'
      const command = text.slice(0, i).trim()
      const path = unquote(text.slice(i + (append ? 2 : 1)).trim())
      if (!command) throw new McshError('MCSH_USAGE', "nothing before '>': write COMMAND > FILE")
      if (!path) throw new McshError('MCSH_USAGE', `nothing after '${append ? '>>' : '>'}': give a file name`)
      if (/\s/.test(path) && !/^(['"]).*\1$/.test(text.slice(i + (append ? 2 : 1)).trim()))
        throw new McshError('MCSH_USAGE', `one file after '${append ? '>>' : '>'}', not '${path}' (quote a name with spaces)`)
      return { command, sink: { kind: 'file', path, append } }
    }
  }
  return { command: text.trim() }
}

function unquote(s: string): string {
  const m = /^(['"])(.*)\1$/.exec(s)
  return m ? (m[2] as string) : s
}
