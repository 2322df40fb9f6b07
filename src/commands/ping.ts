import { McshError } from '../util/errors.js'
import { filterIsEmpty } from '../filter/index.js'
import { filterFromOptions, filterOptions } from './common.js'
import { numberOption, parseOptions, type OptionSpec } from './options.js'
import type { PingResult } from './result.js'
import type { Command } from './types.js'

const options: OptionSpec[] = [
  ...filterOptions,
  { name: 'discovery-timeout', kind: 'value', valueName: 'SECONDS', help: 'longest wait (it ends sooner once replies stop)' },
]

export const pingCommand: Command = {
  name: 'ping',
  summary: 'round-trip time of every node in scope (a discovery ping)',
  usage: 'ping [filter options]',
  options,
  needsBroker: true,
  async run(args, { session, signal, progress }): Promise<PingResult> {
    const { options: o, positionals } = parseOptions(args, options, 'ping')
    if (positionals.length) throw new McshError('MCSH_USAGE', `ping takes filter options, not '${positionals.join(' ')}'`)
    const extra = filterFromOptions(o)
    const filter = session.effectiveFilter(extra)
    const timeout = numberOption(o, 'discovery-timeout', { min: 0.001 })
    const client = await session.connectedClient()
    const started = performance.now()
    const times = new Map<string, number>()
    const d = await client.discover({
      filter,
      collective: session.collective,
      timeoutMs: timeout !== undefined ? timeout * 1000 : session.settings.discoveryTimeoutMs,
      windowMs: session.settings.discoveryWindowMs,
      signal,
      onNode: (identity) => {
        const t = performance.now() - started
        times.set(identity, Math.round(t * 100) / 100)
        progress?.discovered?.(times.size, t)
      },
    })
    progress?.done?.()
    if (filterIsEmpty(extra)) session.rememberNodes(d, filter, session.collective)
    const replies = [...times].map(([sender, time_ms]) => ({ sender, time_ms })).sort((a, b) => a.time_ms - b.time_ms)
    const values = replies.map((r) => r.time_ms)
    const avg = values.length ? Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 100) / 100 : null
    return {
      kind: 'ping',
      replies,
      filter,
      collective: session.collective,
      stats: {
        responded: replies.length,
        min_ms: values.length ? Math.min(...values) : null,
        max_ms: values.length ? Math.max(...values) : null,
        avg_ms: avg,
        discovery_ms: d.stats.discovery_ms,
      },
    }
  },
}
