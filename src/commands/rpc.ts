import type { CallOptions } from '../client/rpc-client.js'
import { computeAggregates } from '../ddl/index.js'
import { filterIsEmpty } from '../filter/index.js'
import { McshError } from '../util/errors.js'
import { callOptions, callSettings, filterFromOptions, filterOptions, parseKeyValues } from './common.js'
import { parseOptions, type OptionSpec } from './options.js'
import type { RpcCommandResult } from './result.js'
import type { Command, CommandContext } from './types.js'

const options: OptionSpec[] = [...filterOptions, ...callOptions]

export const rpcCommand: Command = {
  name: 'rpc',
  summary: 'call an agent action on every node in scope',
  usage: 'rpc AGENT ACTION [input=value ...] [filter and call options]',
  options,
  details:
    'Inputs are checked against the DDL before anything is sent. Without a fresh node set the scope is discovered first.\n' +
    'The shorter form `AGENT ACTION input=value` does the same.\n' +
    'Example: rpc rpcutil get_fact fact=os.family -F role=web --limit 10',
  needsBroker: true,
  run: (args, ctx) => runRpc(args, ctx),
}

export async function runRpc(args: string[], { session, signal, progress }: CommandContext): Promise<RpcCommandResult> {
  const { options: o, positionals } = parseOptions(args, options, 'rpc')
  const [agent, action, ...rest] = positionals
  if (!agent || !action) throw new McshError('MCSH_USAGE', `usage: ${rpcCommand.usage}; 'agents' lists the agents and 'help AGENT' their actions`)
  const inputs = parseKeyValues(rest, `the inputs of ${agent} ${action}`)
  const client = session.client
  // Validate before connecting or discovering: a bad input costs nothing on the network.
  const prepared = await client.prepareInputs(agent, action, inputs)
  const extra = filterFromOptions(o)
  const filter = session.effectiveFilter(extra)
  const settings = callSettings(o, session)
  const connected = await session.connectedClient()
  const call: CallOptions = { agent, action, data: prepared.data, filter, collective: session.collective, signal, ...settings }
  const method = session.discoveryMethod()
  const fresh = filterIsEmpty(extra) ? session.freshNodeSet(session.scope, session.collective) : undefined
  if (method) {
    call.discovery = method
  } else if (fresh) {
    // One broadcast reaches them all; the set says whom to expect.
    call.nodes = fresh.nodes.filter((n) => fresh.agents.get(n)?.includes(agent) ?? true)
    call.addressing = 'broadcast'
  }
  const started = performance.now()
  call.onDiscovered = (d) => progress?.discovered?.(d.nodes.length, performance.now() - started)
  call.onReply = (_r, p) => progress?.replied?.(p.received, p.expected, performance.now() - started)
  const rpc = await connected.call(call)
  progress?.done?.()
  const aggregates = prepared.action ? computeAggregates(prepared.action, rpc.replies.map((r) => ({ ok: r.status === 0, data: r.data }))) : []
  return { kind: 'rpc', rpc, ...(prepared.action ? { ddl: prepared.action } : {}), aggregates }
}
