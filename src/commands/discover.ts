import { McshError } from '../util/errors.js'
import { filterIsEmpty } from '../filter/index.js'
import { filterFromOptions, filterOptions } from './common.js'
import { numberOption, parseOptions, type OptionSpec } from './options.js'
import type { DiscoverResult } from './result.js'
import type { Command } from './types.js'

const options: OptionSpec[] = [
  ...filterOptions,
  { name: 'discovery-timeout', kind: 'value', valueName: 'SECONDS', help: 'longest discovery wait (it ends sooner once replies stop)' },
]

export const discoverCommand: Command = {
  name: 'discover',
  summary: 'find the nodes that match the scope (and any filter options) now',
  usage: 'discover [-F fact=value] [-C class] [-I identity] [-A agent] [-S expr]',
  options,
  details: 'Broadcasts a discovery request with the filter; the node set is remembered for the following commands.',
  needsBroker: true,
  async run(args, { session, signal, progress }): Promise<DiscoverResult> {
    const { options: o, positionals } = parseOptions(args, options, 'discover')
    if (positionals.length) throw usage(`discover takes filter options, not '${positionals.join(' ')}'; e.g. discover -F os=linux`)
    const extra = filterFromOptions(o)
    const filter = session.effectiveFilter(extra)
    const timeout = numberOption(o, 'discovery-timeout', { min: 0.001 })
    const client = await session.connectedClient()
    const started = performance.now()
    let count = 0
    const method = session.discoveryMethod()
    const d = await client.discover({
      filter,
      collective: session.collective,
      timeoutMs: timeout !== undefined ? timeout * 1000 : session.settings.discoveryTimeoutMs,
      windowMs: session.settings.discoveryWindowMs,
      signal,
      ...(method ? { method } : {}),
      onNode: () => progress?.discovered?.(++count, performance.now() - started),
    })
    progress?.done?.()
    // Only a discovery of the scope itself becomes the session's node set.
    if (filterIsEmpty(extra)) session.rememberNodes(d, filter, session.collective)
    return { kind: 'discover', nodes: d.nodes, filter, collective: session.collective, method: d.method, ended: d.ended, stats: d.stats }
  },
}

function usage(message: string): McshError {
  return new McshError('MCSH_USAGE', message)
}
