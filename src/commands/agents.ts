import type { TextResult } from './result.js'
import type { Command } from './types.js'

export const agentsCommand: Command = {
  name: 'agents',
  summary: 'the agents this client has DDLs for, with how many discovered nodes run each',
  usage: 'agents',
  options: [],
  needsBroker: false,
  async run(_args, { session }): Promise<TextResult> {
    const ddls = session.client.ddls
    const names = await ddls.names()
    const counts = new Map<string, number>()
    for (const list of session.nodeSet?.agents.values() ?? []) for (const a of list) counts.set(a, (counts.get(a) ?? 0) + 1)
    for (const a of counts.keys()) if (!names.includes(a)) names.push(a)
    names.sort()
    const rows = await Promise.all(
      names.map(async (name) => {
        const ddl = await ddls.get(name).catch(() => undefined)
        return { agent: name, description: ddl?.metadata.description ?? '(no DDL on this client)', version: ddl?.metadata.version ?? null, nodes: session.nodeSet ? (counts.get(name) ?? 0) : null }
      }),
    )
    const width = Math.max(5, ...names.map((n) => n.length)) + 2
    const text = rows
      .map((r) => `${r.agent.padEnd(width)}${r.nodes !== null ? `${String(r.nodes).padStart(5)} nodes  ` : ''}${r.description}`)
      .join('\n')
    return { kind: 'text', text: text || 'no agents known: add agent folders to agentDirs', data: { agents: rows } }
  },
}
