import { discoverInSession, discoveryOptions, parseDiscoveryArgs } from './discovering.js'
import type { PingResult } from './result.js'
import type { Command } from './types.js'

export const pingCommand: Command = {
  name: 'ping',
  summary: 'round-trip time of every node in scope (a discovery ping)',
  usage: 'ping [filter options]',
  options: discoveryOptions,
  needsBroker: true,
  async run(args, ctx): Promise<PingResult> {
    const times = new Map<string, number>()
    const { discovery: d, filter } = await discoverInSession(ctx, {
      ...parseDiscoveryArgs(args, 'ping'),
      onNode: (identity, ms) => times.set(identity, Math.round(ms * 100) / 100),
    })
    const replies = [...times].map(([sender, time_ms]) => ({ sender, time_ms })).sort((a, b) => a.time_ms - b.time_ms)
    const values = replies.map((r) => r.time_ms)
    return {
      kind: 'ping',
      replies,
      filter,
      collective: ctx.session.collective,
      stats: {
        responded: replies.length,
        min_ms: values.length ? Math.min(...values) : null,
        max_ms: values.length ? Math.max(...values) : null,
        avg_ms: values.length ? Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 100) / 100 : null,
        discovery_ms: d.stats.discovery_ms,
      },
    }
  },
}
