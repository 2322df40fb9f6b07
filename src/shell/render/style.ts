import { Chalk, type ChalkInstance } from 'chalk'

export interface RenderOptions {
  /** Terminal width in columns. */
  width: number
  color: boolean
}

export function palette(color: boolean): ChalkInstance {
  return new Chalk({ level: color ? 1 : 0 })
}

/** One line for a cell: scalars as written, lists comma-joined, objects as compact JSON, all bounded. */
export function cellText(value: unknown, maxChars = 200): string {
  let text: string
  if (value === null || value === undefined) text = ''
  else if (typeof value === 'string') text = value
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value)
  else if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')) text = value.join(', ')
  else text = JSON.stringify(value)
  text = text.replace(/\r?\n/g, '⏎')
  return text.length > maxChars ? text.slice(0, maxChars - 1) + '…' : text
}

export { formatMs } from '../../util/duration.js'

/** Identities packed into lines no wider than `width`. */
export function packWords(words: readonly string[], width: number, indent = ''): string {
  const lines: string[] = []
  let line = ''
  for (const w of words) {
    if (line && line.length + 2 + w.length > width - indent.length) {
      lines.push(indent + line)
      line = w
    } else line = line ? `${line}, ${w}` : w
  }
  if (line) lines.push(indent + line)
  return lines.join('\n')
}

/** Visible length, ignoring ANSI colour codes. */
export function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '').length
}
