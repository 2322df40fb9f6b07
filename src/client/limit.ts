import { McshError } from '../util/errors.js'
import { seededRandom } from '../util/random.js'

/** `--limit 10`, `--limit 25%`; `first` takes the sorted head, `random` a (seedable) sample. */
export interface Limit {
  count?: number
  percent?: number
  method: 'first' | 'random'
  seed?: number
}

export function parseLimit(text: string, method: Limit['method'] = 'first'): Limit {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text)
  if (!m) throw new McshError('MCSH_USAGE', `bad limit '${text}': give a node count such as 10 or a percentage such as 25%`)
  const n = Number(m[1])
  if (m[2]) {
    if (n <= 0 || n > 100) throw new McshError('MCSH_USAGE', `bad limit '${text}': a percentage must be above 0 and at most 100`)
    return { percent: n, method }
  }
  if (!Number.isInteger(n) || n < 1) throw new McshError('MCSH_USAGE', `bad limit '${text}': a count must be a whole number of at least 1`)
  return { count: n, method }
}

export function applyLimit(nodes: readonly string[], limit: Limit): string[] {
  const sorted = [...nodes].sort()
  const wanted = limit.count ?? Math.max(1, Math.ceil((sorted.length * (limit.percent ?? 100)) / 100))
  if (wanted >= sorted.length) return sorted
  if (limit.method === 'first') return sorted.slice(0, wanted)
  const rnd = limit.seed !== undefined ? seededRandom(limit.seed) : Math.random
  for (let i = sorted.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[sorted[i], sorted[j]] = [sorted[j] as string, sorted[i] as string]
  }
  return sorted.slice(0, wanted).sort()
}
