import type { RpcResult } from '../client/result.js'
import { McshError } from '../util/errors.js'
import { parseOptions, type OptionSpec } from './options.js'
import type { CommandResult } from './result.js'
import { callInScope, rpcCommandResult } from './rpc.js'
import type { Command } from './types.js'

const lastOptions: OptionSpec[] = [
  { name: 'failed', kind: 'flag', help: 'only the nodes that failed or did not answer' },
  { name: 'ok', kind: 'flag', help: 'only the nodes that answered OK' },
]

export const lastCommand: Command = {
  name: 'last',
  summary: 'show the last result again (--failed, --ok, or one NODE); add --json or | to export it',
  usage: 'last [--failed | --ok | NODE]',
  options: lastOptions,
  needsBroker: false,
  async run(args, { session }): Promise<CommandResult> {
    const { options, positionals } = parseOptions(args, lastOptions, 'last')
    const last = session.lastResult
    if (!last) throw new McshError('MCSH_USAGE', 'nothing has run yet in this session')
    if (!options.failed && !options.ok && positionals.length === 0) return last
    if (last.kind !== 'rpc') throw new McshError('MCSH_USAGE', `'last --failed', '--ok' and 'last NODE' apply to RPC results; the last result was '${last.kind}'`)
    const rpc = last.rpc
    let keep: (sender: string, ok: boolean) => boolean
    if (positionals.length) {
      const wanted = new Set(positionals)
      const unknown = positionals.filter((n) => !rpc.discovered.includes(n) && !rpc.replies.some((r) => r.sender === n))
      if (unknown.length) throw new McshError('MCSH_USAGE', `not in the last result: ${unknown.join(', ')}`)
      keep = (s) => wanted.has(s)
    } else if (options.failed) keep = (_s, ok) => !ok
    else keep = (_s, ok) => ok
    const replies = rpc.replies.filter((r) => keep(r.sender, r.status === 0))
    const noResponse = rpc.noResponse.filter((n) => keep(n, false))
    const subset: RpcResult = {
      ...rpc,
      replies,
      noResponse,
      discovered: rpc.discovered.filter((n) => replies.some((r) => r.sender === n) || noResponse.includes(n)),
      stats: {
        ...rpc.stats,
        discovered: replies.length + noResponse.length,
        targeted: replies.length + noResponse.length,
        responded: replies.length,
        ok: replies.filter((r) => r.status === 0).length,
        failed: replies.filter((r) => r.status !== 0).length,
        no_response: noResponse.length,
      },
    }
    return rpcCommandResult(subset, last.ddl)
  },
}

export const retryCommand: Command = {
  name: 'retry',
  summary: 'run the last RPC again on the nodes that failed or did not answer',
  usage: 'retry [--all]',
  options: [{ name: 'all', kind: 'flag', help: 'every node of the last call, not just the failed ones' }],
  needsBroker: true,
  async run(args, ctx): Promise<CommandResult> {
    const { options } = parseOptions(args, retryCommand.options, 'retry')
    const last = ctx.session.lastResult
    if (!last || last.kind !== 'rpc') throw new McshError('MCSH_USAGE', "'retry' re-runs the last RPC, and the last result is not one")
    const rpc = last.rpc
    const nodes = options.all ? rpc.discovered : [...rpc.replies.filter((r) => r.status !== 0).map((r) => r.sender), ...rpc.noResponse]
    if (nodes.length === 0) throw new McshError('MCSH_USAGE', `nothing to retry: every node of the last ${rpc.agent} ${rpc.action} answered OK ('retry --all' runs it on all of them)`)
    return callInScope(ctx, { agent: rpc.agent, action: rpc.action, data: rpc.inputs, nodes: [...new Set(nodes)].sort() })
  },
}
