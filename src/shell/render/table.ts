import Table from 'cli-table3'
import { visibleLength } from './style.js'

const plainChars = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '',
  right: '', 'right-mid': '', middle: '  ',
}

const GAP = 2

/**
 * A borderless table with a rule under the header. The first column (the node) is never narrowed;
 * the widest other columns are, and their cells wrap. Returns undefined when the columns cannot
 * keep `minColumnWidth` within `width`, so the caller can switch to a per-node block layout.
 */
export function renderTable(head: string[], rows: string[][], o: { width: number; minColumnWidth?: number }): string | undefined {
  const columns = head.length
  const natural = head.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? '')), 1))
  const widths = fitWidths(natural, o.width - GAP * (columns - 1), o.minColumnWidth ?? 8)
  if (!widths) return undefined
  const table = new Table({
    head,
    chars: plainChars,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    colWidths: widths,
    wordWrap: true,
    wrapOnWordBoundary: false,
  })
  for (const r of rows) table.push(r)
  const lines = table.toString().split('\n').map((l) => l.replace(/\s+$/, ''))
  const rule = widths.map((w) => '─'.repeat(w)).join(' '.repeat(GAP))
  return [lines[0], rule, ...lines.slice(1)].join('\n')
}

function fitWidths(natural: number[], budget: number, min: number): number[] | undefined {
  const widths = [...natural]
  let total = widths.reduce((a, b) => a + b, 0)
  if (total <= budget) return widths
  const first = widths[0] as number
  if (first + min * (widths.length - 1) > budget) return undefined
  while (total > budget) {
    let widest = 1
    for (let i = 2; i < widths.length; i++) if ((widths[i] as number) > (widths[widest] as number)) widest = i
    const w = widths[widest] as number
    if (w <= min) return undefined
    const cut = Math.min(w - min, total - budget)
    widths[widest] = w - cut
    total -= cut
  }
  return widths
}
