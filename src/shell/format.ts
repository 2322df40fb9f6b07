import { resultToJson, type CommandResult } from '../commands/result.js'
import type { OutputFormat } from '../commands/session.js'
import { McshError } from '../util/errors.js'

export interface FormatOptions {
  width: number
  color: boolean
  /** Indented JSON (for people); one line per document otherwise. */
  pretty: boolean
}

/**
 * A result in any output format (docs/json-output.md). The text renderer and YAML load on first use:
 * `mcsh -c` sends its request before paying for them.
 */
export async function formatResult(r: CommandResult, format: OutputFormat, o: FormatOptions): Promise<string> {
  switch (format) {
    case 'text': {
      const { renderResult } = await import('./render/index.js')
      return renderResult(r, { width: o.width, color: o.color })
    }
    case 'json':
      return JSON.stringify(resultToJson(r), null, o.pretty ? 2 : undefined)
    case 'jsonl':
      return rows(r).map((row) => JSON.stringify(row)).join('\n')
    case 'yaml': {
      const { stringify } = await import('yaml')
      return stringify(resultToJson(r), { lineWidth: 0 }).trimEnd()
    }
    case 'csv':
      return toCsv(r)
  }
}

/** The format a file name suggests (`> out.csv`), or undefined. */
export function formatForPath(path: string): OutputFormat | undefined {
  const ext = /\.([a-z]+)$/i.exec(path)?.[1]?.toLowerCase()
  if (ext === 'json') return 'json'
  if (ext === 'jsonl' || ext === 'ndjson') return 'jsonl'
  if (ext === 'csv') return 'csv'
  if (ext === 'yaml' || ext === 'yml') return 'yaml'
  if (ext === 'txt') return 'text'
  return undefined
}

/** One record per node (or value): what jsonl and csv print. */
function rows(r: CommandResult): Array<Record<string, unknown>> {
  switch (r.kind) {
    case 'rpc':
      return [
        ...r.rpc.replies.map((x) => ({ sender: x.sender, statuscode: x.status, statusmsg: x.message, data: x.data, request_id: r.rpc.requestId, agent: r.rpc.agent, action: r.rpc.action })),
        ...r.rpc.noResponse.map((sender) => ({ sender, statuscode: null, statusmsg: 'no response', data: {}, request_id: r.rpc.requestId, agent: r.rpc.agent, action: r.rpc.action })),
      ]
    case 'discover':
    case 'nodes':
      return r.nodes.map((identity) => ({ identity }))
    case 'ping':
      return r.replies.map((x) => ({ ...x }))
    case 'facts':
      return r.values.map((v) => ({ fact: r.fact, value: v.value, count: v.count, nodes: v.nodes }))
    case 'inventory':
      return Object.entries((r.data.facts ?? {}) as Record<string, unknown>).map(([fact, value]) => ({ node: r.node, fact, value }))
    default:
      return [resultToJson(r) as Record<string, unknown>]
  }
}

function toCsv(r: CommandResult): string {
  if (r.kind === 'text' || r.kind === 'scope' || r.kind === 'exit')
    throw new McshError('MCSH_USAGE', `csv output is for node results (rpc, discover, nodes, ping, facts, inventory), not '${r.kind}'; use --json`)
  const records = rows(r).map((row) => {
    if (r.kind !== 'rpc') return row
    const { data, request_id: _id, agent: _a, action: _b, ...rest } = row as { data: Record<string, unknown> } & Record<string, unknown>
    return { ...rest, ...data }
  })
  const columns: string[] = []
  for (const rec of records) for (const k of Object.keys(rec)) if (!columns.includes(k)) columns.push(k)
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : typeof v === 'object' ? (Array.isArray(v) && v.every((x) => typeof x !== 'object') ? v.join(' ') : JSON.stringify(v)) : String(v)
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  return [columns.join(','), ...records.map((rec) => columns.map((k) => cell(rec[k])).join(','))].join('\n')
}
