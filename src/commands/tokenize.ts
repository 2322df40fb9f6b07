import { McshError } from '../util/errors.js'

/**
 * Splits a line into commands at `;` outside quotes. Quotes and backslashes are kept, so each part
 * can be tokenized (and shown) as written.
 */
export function splitCommands(line: string): string[] {
  const parts: string[] = []
  let current = ''
  let quote: string | undefined
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string
    if (ch === '\\' && quote !== "'" && i + 1 < line.length) {
      current += ch + line[++i]
      continue
    }
    if (quote) {
      if (ch === quote) quote = undefined
      current += ch
      continue
    }
    if (ch === '"' || ch === "'") quote = ch
    if (ch === '#' && /(^|\s)$/.test(current)) break
    if (ch === ';') {
      if (current.trim()) parts.push(current.trim())
      current = ''
      continue
    }
    current += ch
  }
  if (quote) throw new McshError('MCSH_USAGE', `unterminated ${quote === '"' ? 'double' : 'single'} quote in: ${line}`)
  if (current.trim()) parts.push(current.trim())
  return parts
}

/** Shell-like words: whitespace separates, quotes group (`service="my svc"` → `service=my svc`), `\` escapes. */
export function tokenize(command: string): string[] {
  const words: string[] = []
  let word = ''
  let inWord = false
  let quote: string | undefined
  for (let i = 0; i < command.length; i++) {
    const ch = command[i] as string
    if (quote) {
      if (ch === quote) quote = undefined
      else if (ch === '\\' && quote === '"' && i + 1 < command.length && /["\\$`]/.test(command[i + 1] as string)) word += command[++i]
      else word += ch
      continue
    }
    if (ch === '"' || ch === "'") {
      quote = ch
      inWord = true
      continue
    }
    if (ch === '\\' && i + 1 < command.length) {
      word += command[++i]
      inWord = true
      continue
    }
    if (/\s/.test(ch)) {
      if (inWord) words.push(word)
      word = ''
      inWord = false
      continue
    }
    word += ch
    inWord = true
  }
  if (quote) throw new McshError('MCSH_USAGE', `unterminated ${quote === '"' ? 'double' : 'single'} quote in: ${command}`)
  if (inWord) words.push(word)
  return words
}

/** Quotes a word only when it needs it, so a re-rendered command tokenizes back the same. */
export function quoteWord(word: string): string {
  if (word !== '' && /^[\w@%+=:,./~^$*?\-[\]{}()<>!|&]+$/.test(word) && !/[|&<>()]/.test(word)) return word
  return `'${word.replace(/'/g, `'\\''`)}'`
}
