import { discoverInSession, discoveryOptions, parseDiscoveryArgs } from './discovering.js'
import type { DiscoverResult } from './result.js'
import type { Command } from './types.js'

export const discoverCommand: Command = {
  name: 'discover',
  summary: 'find the nodes that match the scope (and any filter options) now',
  usage: 'discover [-F fact=value] [-C class] [-I identity] [-A agent] [-S expr]',
  options: discoveryOptions,
  details: 'Broadcasts a discovery request with the filter; a discovery of the scope becomes the node set the following commands use.',
  needsBroker: true,
  async run(args, ctx): Promise<DiscoverResult> {
    const { discovery: d, filter } = await discoverInSession(ctx, parseDiscoveryArgs(args, 'discover'))
    return { kind: 'discover', nodes: d.nodes, filter, collective: ctx.session.collective, method: d.method, ended: d.ended, stats: d.stats }
  },
}
