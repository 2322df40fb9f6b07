import { McshError } from '../util/errors.js'
import type { NodesResult } from './result.js'
import { discoverScope } from './scope.js'
import type { Command } from './types.js'

export const nodesCommand: Command = {
  name: 'nodes',
  summary: 'list the discovered node set of the scope (discovering it if there is none)',
  usage: 'nodes',
  options: [],
  needsBroker: false,
  async run(args, ctx): Promise<NodesResult> {
    if (args.length) throw new McshError('MCSH_USAGE', "'nodes' takes no arguments; 'discover' refreshes the set")
    const { session } = ctx
    if (!session.scopeNodeSet()) await discoverScope(ctx)
    const set = session.scopeNodeSet()
    if (!set) throw new McshError('MCSH_USAGE', 'no node set: discovery did not complete')
    return {
      kind: 'nodes',
      nodes: set.nodes,
      collective: set.collective,
      filter: set.filter,
      age_ms: Date.now() - set.atMs,
      agents: Object.fromEntries(set.agents),
    }
  },
}
