import { McshError } from '../util/errors.js'
import { filterFromOptions, filterOptions } from './common.js'
import { parseOptions } from './options.js'
import type { FactsResult } from './result.js'
import { callInScope } from './rpc.js'
import type { Command } from './types.js'

export const factsCommand: Command = {
  name: 'facts',
  summary: 'how the values of a fact spread over the scope: counts and a bar per value',
  usage: 'facts FACT [filter options]',
  options: filterOptions,
  details: 'Asks every node in scope (rpcutil get_fact). Example: facts os.family -F role=web',
  needsBroker: true,
  async run(args, ctx): Promise<FactsResult> {
    const { options, positionals } = parseOptions(args, filterOptions, 'facts')
    const [fact] = positionals
    if (!fact || positionals.length > 1) throw new McshError('MCSH_USAGE', `usage: ${factsCommand.usage}`)
    const out = await callInScope(ctx, { agent: 'rpcutil', action: 'get_fact', args: { fact }, extra: filterFromOptions(options) })
    if (out.kind !== 'rpc') throw new McshError('MCSH_USAGE', "'facts' does not run under --dry-run")
    const { rpc } = out
    const byValue = new Map<string, { value: string | number | boolean | null; nodes: string[] }>()
    let failed = 0
    for (const r of rpc.replies) {
      if (r.status !== 0) {
        failed++
        continue
      }
      const value = (r.data.value ?? null) as string | number | boolean | null
      ctx.session.inventory.recordFact(r.sender, fact, value)
      const key = JSON.stringify(value)
      const entry = byValue.get(key) ?? { value, nodes: [] }
      entry.nodes.push(r.sender)
      byValue.set(key, entry)
    }
    const values = [...byValue.values()]
      .map((v) => ({ value: v.value, count: v.nodes.length, nodes: v.nodes.sort() }))
      .sort((a, b) => b.count - a.count || String(a.value).localeCompare(String(b.value)))
    return {
      kind: 'facts',
      fact,
      collective: rpc.collective,
      filter: rpc.filter,
      values,
      stats: { discovered: rpc.stats.discovered, responded: rpc.stats.responded, no_response: rpc.stats.no_response, failed, total_ms: rpc.stats.total_ms },
      no_response: rpc.noResponse,
    }
  },
}
