import type { ActionDdl, AggregateDdl, AggregateResult } from './types.js'

const CONVERSION = /%([-0]?)(\d*)(?:\.(\d+))?([sdif%])/g
const ANY_PERCENT = /%(?:[-0]?\d*(?:\.\d+)?[sdif%])?/g

/**
 * A tiny printf: `%s`, `%d`, `%i`, `%f`, `%.Nf`, `%%`, with an optional width and `-` (left-align) or
 * `0` (zero-pad) flag. Every conversion formats the same single value. A `%d`/`%f` of something that is
 * not a number prints the value as a string; unsupported sequences are copied as they are.
 */
export function formatValue(format: string, value: number | string): string {
  return format.replace(CONVERSION, (_all, flag: string, width: string, precision: string | undefined, conversion: string) => {
    if (conversion === '%') return '%'
    let text: string
    const n = typeof value === 'number' ? value : toNumber(value)
    if (conversion === 's') {
      text = String(value)
      if (precision !== undefined) text = text.slice(0, Number(precision))
    } else if (n === undefined) {
      text = String(value)
    } else if (conversion === 'f') {
      text = n.toFixed(Math.min(precision === undefined ? 6 : Number(precision), 100))
    } else {
      text = String(Math.trunc(n))
    }
    return pad(text, width === '' ? 0 : Number(width), flag, conversion !== 's' && n !== undefined)
  })
}

function pad(text: string, width: number, flag: string, numeric: boolean): string {
  if (text.length >= width) return text
  if (flag === '-') return text.padEnd(width)
  if (flag === '0' && numeric) {
    const sign = text.startsWith('-') ? '-' : ''
    return sign + text.slice(sign.length).padStart(width - sign.length, '0')
  }
  return text.padStart(width)
}

/** undefined if `format` is usable by `formatValue`, else what is wrong with it. */
export function checkFormat(format: string): string | undefined {
  let conversions = 0
  for (const match of format.matchAll(ANY_PERCENT)) {
    if (match[0] === '%') return `unsupported conversion at "${format.slice(match.index, match.index + 2)}" in "${format}"; use %s, %d, %i, %f, %.Nf or %%`
    if (match[0] !== '%%') conversions++
  }
  return conversions === 0 ? `expected a format with a conversion such as %s, %d or %.2f but found "${format}"` : undefined
}

const NUMERIC_STRING = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?\s*$/i

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'string' && NUMERIC_STRING.test(value)) return Number(value)
  return undefined
}

function label(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  return JSON.stringify(value) ?? String(value)
}

/**
 * Runs the action's aggregate functions over the replies. Only successful replies count, and a reply
 * without the output (or with null) is skipped. Summary counts each element of an array value
 * separately; the numeric functions skip values that are neither numbers nor numeric strings.
 */
export function computeAggregates(
  action: ActionDdl,
  replies: Array<{ ok: boolean; data: Record<string, unknown> }>,
): AggregateResult[] {
  return action.aggregate.map((spec) => {
    const values: unknown[] = []
    for (const reply of replies) {
      if (!reply.ok) continue
      const value = Object.hasOwn(reply.data, spec.output) ? reply.data[spec.output] : undefined
      if (value !== undefined && value !== null) values.push(value)
    }
    const displayAs = action.outputs[spec.output]?.displayAs ?? spec.output
    return spec.function === 'summary' ? summarize(spec, displayAs, values) : reduceNumbers(spec, displayAs, values)
  })
}

function summarize(spec: AggregateDdl, displayAs: string, values: unknown[]): AggregateResult {
  const tally = new Map<string, number>()
  for (const value of values.flatMap((v) => (Array.isArray(v) ? (v as unknown[]) : [v]))) {
    if (value === undefined || value === null) continue
    const key = label(value)
    tally.set(key, (tally.get(key) ?? 0) + 1)
  }
  const counts = [...tally]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
  const labels = counts.map((c) => (spec.format === undefined ? c.value : formatValue(spec.format, c.value)))
  const width = labels.reduce((w, l) => Math.max(w, l.length), 0)
  const formatted = counts.length === 0 ? 'no values' : counts.map((c, i) => `${(labels[i] ?? '').padStart(width)} = ${c.count}`).join('\n')
  return { function: 'summary', output: spec.output, displayAs, value: null, counts, formatted }
}

function reduceNumbers(spec: AggregateDdl, displayAs: string, values: unknown[]): AggregateResult {
  const numbers = values.map(toNumber).filter((n): n is number => n !== undefined)
  let value: number | null = null
  if (numbers.length > 0) {
    switch (spec.function) {
      case 'average':
        value = numbers.reduce((a, b) => a + b, 0) / numbers.length
        break
      case 'sum':
        value = numbers.reduce((a, b) => a + b, 0)
        break
      case 'min':
        value = numbers.reduce((a, b) => Math.min(a, b))
        break
      case 'max':
        value = numbers.reduce((a, b) => Math.max(a, b))
        break
      case 'summary':
        break
    }
  }
  let text: string
  if (value === null) text = 'no values'
  else if (spec.format !== undefined) text = formatValue(spec.format, value)
  else if (spec.function === 'average' || !Number.isInteger(value)) text = value.toFixed(2)
  else text = String(value)
  return { function: spec.function, output: spec.output, displayAs, value, formatted: `${spec.function}: ${text}` }
}
