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
  const { words, partial, openQuote } = scanWords(command)
  if (openQuote) throw new McshError('MCSH_USAGE', `unterminated ${openQuote === '"' ? 'double' : 'single'} quote in: ${command}`)
  return partial === undefined ? words : [...words, partial]
}

/**
 * The finished words before the end of `text` and the word being typed (empty when the text ends in
 * a space); an unterminated quote is fine. For completion.
 */
export function splitPartial(text: string): { words: string[]; fragment: string } {
  const { words, partial } = scanWords(text)
  return { words, fragment: partial ?? '' }
}

function scanWords(text: string): { words: string[]; partial: string | undefined; openQuote: string | undefined } {
  const words: string[] = []
  let word = ''
  let inWord = false
  let quote: string | undefined
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    if (quote) {
      if (ch === quote) quote = undefined
      else if (ch === '\\' && quote === '"' && i + 1 < text.length && /["\\$`]/.test(text[i + 1] as string)) word += text[++i]
      else word += ch
      continue
    }
    if (ch === '"' || ch === "'") {
      quote = ch
      inWord = true
      continue
    }
    if (ch === '\\' && i + 1 < text.length) {
      word += text[++i]
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
  return { words, partial: inWord ? word : undefined, openQuote: quote }
}

/** Quotes a word only when it needs it, so a re-rendered command tokenizes back the same. */
export function quoteWord(word: string): string {
  if (word !== '' && /^[\w@%+=:,./~^$*?\-[\]{}()<>!|&]+$/.test(word) && !/[|&<>()]/.test(word)) return word
  return `'${word.replace(/'/g, `'\\''`)}'`
}
