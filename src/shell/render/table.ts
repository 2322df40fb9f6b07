import Table from 'cli-table3'
import { visibleLength } from './style.js'

const plainChars = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '',
  right: '', 'right-mid': '', middle: '  ',
}

/**
 * A borderless table with a rule under the header. Returns undefined when it cannot fit `width`
 * even after shrinking the widest columns, so the caller can switch to a per-node block layout.
 */
export function renderTable(head: string[], rows: string[][], o: { width: number; minColumnWidth?: number }): string | undefined {
  const columns = head.length
  const natural = head.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))))
  const gap = 2
  const budget = o.width - gap * (columns - 1)
  const widths = fitWidths(natural, budget, o.minColumnWidth ?? 8)
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
  const rule = widths.map((w) => '─'.repeat(w)).join(' '.repeat(gap))
  return [lines[0], rule, ...lines.slice(1)].join('\n')
}

/** Shrinks the widest columns first; wrapping then handles the rest. */
function fitWidths(natural: number[], budget: number, min: number): number[] | undefined {
  const widths = natural.map((w) => Math.max(1, w))
  let total = widths.reduce((a, b) => a + b, 0)
  if (total <= budget) return widths
  if (min * widths.length > budget) return undefined
  while (total > budget) {
    let widest = 0
    for (let i = 1; i < widths.length; i++) if ((widths[i] as number) > (widths[widest] as number)) widest = i
    const w = widths[widest] as number
    if (w <= min) return undefined
    const cut = Math.min(w - min, total - budget)
    widths[widest] = w - cut
    total -= cut
  }
  return widths
}
