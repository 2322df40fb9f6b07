import { applyLimit } from '../client/limit.js'
import type { RpcResult } from '../client/result.js'
import type { CallOptions } from '../client/rpc-client.js'
import { computeAggregates, type ActionDdl } from '../ddl/index.js'
import { filterIsEmpty, summarizeFilter } from '../filter/index.js'
import type { Filter } from '../filter/types.js'
import { McshError } from '../util/errors.js'
import { callOptions, callSettings, filterFromOptions, filterOptions, parseKeyValues } from './common.js'
import { parseOptions, type OptionSpec } from './options.js'
import type { RpcCommandResult, TextResult } from './result.js'
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
  run: async (args, ctx) => {
    const { options: o, positionals } = parseOptions(args, options, 'rpc')
    const [agent, action, ...rest] = positionals
    if (!agent || !action) throw new McshError('MCSH_USAGE', `usage: ${rpcCommand.usage}; 'agents' lists the agents and 'help AGENT' their actions`)
    return callInScope(ctx, {
      agent,
      action,
      args: parseKeyValues(rest, `the inputs of ${agent} ${action}`),
      extra: filterFromOptions(o),
      settings: callSettings(o, ctx.session),
    })
  },
}

export interface ScopedCall {
  agent: string
  action: string
  args?: Record<string, string>
  data?: Record<string, unknown>
  /** Filter options of this command only, ANDed with the scope. */
  extra?: Filter
  settings?: ReturnType<typeof callSettings>
  /** Known targets (retry, inventory NODE): addressed directly. */
  nodes?: string[]
}

/**
 * An RPC in the session's scope: inputs checked against the DDL first, the node set reused while
 * fresh (said so when it is re-discovered for being stale), `--nodes` lists honoured, and under
 * `--dry-run` a description of what would be called instead of the call.
 */
export async function callInScope(ctx: CommandContext, c: ScopedCall): Promise<RpcCommandResult | TextResult> {
  const { session, signal, progress } = ctx
  // Validate before connecting or discovering: a bad input costs nothing on the network.
  const prepared = await session.client.prepareInputs(c.agent, c.action, c.args, c.data)
  const extra = c.extra
  const filter = session.effectiveFilter(extra)
  const settings = c.settings ?? callSettings({}, session)
  const connected = await session.connectedClient()
  const call: CallOptions = { agent: c.agent, action: c.action, data: prepared.data, filter, collective: session.collective, signal, ...settings }
  const method = session.discoveryMethod()
  if (c.nodes) {
    call.nodes = c.nodes
  } else if (method) {
    call.discovery = method
  } else if (!extra || filterIsEmpty(extra)) {
    const fresh = session.freshNodeSet(session.scope, session.collective)
    if (fresh) {
      // One broadcast reaches them all; the set says whom to expect.
      call.nodes = fresh.nodes.filter((n) => fresh.agents.get(n)?.includes(c.agent) ?? true)
      call.addressing = 'broadcast'
    } else {
      const stale = session.scopeNodeSet()
      if (stale) ctx.notice?.(`the node set is ${Math.round((Date.now() - stale.atMs) / 1000)} s old (over set node-set-max-age): discovering again`)
    }
  }
  if (session.dryRun) return describeDryRun(ctx, call, filter)
  const started = performance.now()
  call.onDiscovered = (d) => progress?.discovered?.(d.nodes.length, performance.now() - started)
  call.onReply = (_r, p) => progress?.replied?.(p.received, p.expected, performance.now() - started)
  const rpc = await connected.call(call)
  progress?.done?.()
  if (c.agent === 'rpcutil' && c.action === 'inventory') for (const r of rpc.replies) if (r.status === 0) session.inventory.record(r.sender, r.data)
  return rpcCommandResult(rpc, prepared.action)
}

export function rpcCommandResult(rpc: RpcResult, action: ActionDdl | undefined): RpcCommandResult {
  const aggregates = action ? computeAggregates(action, rpc.replies.map((r) => ({ ok: r.status === 0, data: r.data }))) : []
  return { kind: 'rpc', rpc, ...(action ? { ddl: action } : {}), aggregates }
}

async function describeDryRun(ctx: CommandContext, call: CallOptions, filter: Filter): Promise<TextResult> {
  let nodes = call.nodes ? [...call.nodes] : undefined
  if (!nodes) {
    const d = await (await ctx.session.connectedClient()).discover({
      filter: { ...filter, agent: [...filter.agent, call.agent] },
      collective: ctx.session.collective,
      ...(call.discovery ? { method: call.discovery } : {}),
      signal: ctx.signal,
    })
    nodes = d.nodes
  }
  if (call.limit) nodes = applyLimit(nodes, call.limit)
  const inputs = Object.entries(call.data ?? {})
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ')
  const text =
    `dry run: would call ${call.agent} ${call.action}${inputs ? ` ${inputs}` : ''} on ${nodes.length} ${nodes.length === 1 ? 'node' : 'nodes'}` +
    ` (${summarizeFilter(filter)}${call.batchSize ? `, batches of ${call.batchSize}` : ''})` +
    (nodes.length ? `:\n  ${nodes.join('\n  ')}` : '')
  return { kind: 'text', text, data: { dry_run: true, agent: call.agent, action: call.action, data: call.data, nodes, filter } }
}
