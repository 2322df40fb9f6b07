import { Status } from '../protocol/status.js'
import { McshError } from '../util/errors.js'
import type { InventoryResult } from './result.js'
import { callInScope } from './rpc.js'
import type { Command } from './types.js'

export const inventoryCommand: Command = {
  name: 'inventory',
  summary: "one node's agents, classes, collectives and facts",
  usage: 'inventory NODE',
  options: [],
  needsBroker: true,
  async run(args, ctx): Promise<InventoryResult> {
    const [node] = args
    if (!node || args.length > 1) throw new McshError('MCSH_USAGE', 'usage: inventory NODE (Tab completes node names)')
    const out = await callInScope(ctx, { agent: 'rpcutil', action: 'inventory', nodes: [node] })
    if (out.kind !== 'rpc') throw new McshError('MCSH_USAGE', "'inventory' does not run under --dry-run")
    const reply = out.rpc.replies[0]
    if (!reply) throw new McshError('MCSH_NO_RESPONSE', `${node} did not answer within the timeout: is the name right and the daemon up? ('discover' lists the nodes)`)
    if (reply.status !== Status.OK) throw new McshError('MCSH_RPC_FAILED', `${node} answered ${reply.status}: ${reply.message}`)
    return { kind: 'inventory', node, data: reply.data, stats: { total_ms: out.rpc.stats.total_ms } }
  },
}
