import type { NodeReply } from '../../client/result.js'
import type { ActionDdl } from '../../ddl/index.js'
import type { RpcCommandResult } from '../../commands/result.js'
import { statusNames } from '../../protocol/status.js'
import { renderTable } from './table.js'
import { cellText, formatMs, packWords, palette, type RenderOptions } from './style.js'

/** Replies as a table whose columns come from the DDL outputs, then aggregates and the summary line. */
export function renderRpcResult(result: RpcCommandResult, o: RenderOptions): string {
  const c = palette(o.color)
  const { rpc, ddl } = result
  const parts: string[] = []
  const shown = rpc.replies.filter((r) => shouldShow(r, ddl))
  if (shown.length > 0) parts.push(renderReplies(shown, ddl, o))
  const hidden = rpc.replies.length - shown.length
  if (hidden > 0) parts.push(c.dim(`(${hidden} ${ddl?.display === 'failed' ? 'successful' : 'failed'} ${hidden === 1 ? 'reply' : 'replies'} not shown: this action displays ${ddl?.display} replies; 'last --json' has them all)`))
  const aggregates = result.aggregates.filter((a) => a.value !== null || (a.counts?.length ?? 0) > 0)
  if (aggregates.length > 0) {
    const lines = aggregates.map((a) => `${c.bold(a.displayAs)} (${a.function}):\n${indent(a.formatted, '  ')}`)
    parts.push(lines.join('\n'))
  }
  for (const bad of rpc.invalid) parts.push(c.red(`refused reply${bad.sender ? ` claiming to be from ${bad.sender}` : ''}: ${bad.reason}`))
  parts.push(summaryLine(result, o))
  return parts.join('\n\n')
}

export function summaryLine(result: RpcCommandResult, o: RenderOptions): string {
  const c = palette(o.color)
  const s = result.rpc.stats
  const bits = [
    c.green(`${s.ok} ok`),
    s.failed ? c.red(`${s.failed} failed`) : `${s.failed} failed`,
    s.no_response ? c.yellow(`${s.no_response} no response`) : `${s.no_response} no response`,
  ]
  if (s.invalid) bits.push(c.red(`${s.invalid} refused`))
  const of = s.targeted !== s.discovered ? `of ${s.targeted} called (${s.discovered} discovered)` : `of ${s.discovered} discovered`
  let line = `${bits.join(', ')} ${of} in ${formatMs(s.total_ms)}`
  if (s.discovery_ms) line += c.dim(` (discovery ${formatMs(s.discovery_ms)})`)
  if (result.rpc.cancelled) line += c.yellow(' — cancelled: the rest were not waited for')
  if (s.discovered === 0) line = c.yellow('no nodes matched the filter: nothing was called') + c.dim(` (discovery ${formatMs(s.discovery_ms)})`)
  if (result.rpc.noResponse.length) line += `\n${c.yellow('no response from:')}\n${packWords(result.rpc.noResponse, o.width, '  ')}`
  return line
}

function shouldShow(r: NodeReply, ddl: ActionDdl | undefined): boolean {
  const mode = ddl?.display ?? 'always'
  if (mode === 'ok') return r.status === 0
  if (mode === 'failed') return r.status !== 0
  return true
}

function renderReplies(replies: NodeReply[], ddl: ActionDdl | undefined, o: RenderOptions): string {
  const c = palette(o.color)
  const outputs = columnsFor(replies, ddl)
  const ok = replies.filter((r) => r.status === 0)
  const failed = replies.filter((r) => r.status !== 0)
  const bulky = ok.some((r) => outputs.some((k) => isBulky(r.data[k])))
  const table =
    ok.length === 0 || bulky
      ? undefined
      : outputs.length === 0
        ? renderTable([c.bold('Node'), c.bold('Status')], ok.map((r) => [r.sender, 'OK']), { width: o.width })
        : renderTable([c.bold('Node'), ...outputs.map((k) => c.bold(ddl?.outputs[k]?.displayAs ?? k))], ok.map((r) => [r.sender, ...outputs.map((k) => cellText(r.data[k]))]), { width: o.width })
  if (ok.length > 0 && !table) return renderBlocks(replies, outputs, ddl, o)
  const parts = table ? [table] : []
  if (failed.length > 0) parts.push(renderFailures(failed, o))
  return parts.join('\n\n')
}

/** Failed nodes, grouped after the table, each with its status and message. */
function renderFailures(failed: NodeReply[], o: RenderOptions): string {
  const c = palette(o.color)
  const nameWidth = Math.min(40, Math.max(...failed.map((r) => r.sender.length)))
  const room = Math.max(20, o.width - nameWidth - 2)
  return failed
    .map((r) => {
      const text = `${statusNames[r.status]}: ${r.message}`
      const lines = wrap(text, room)
      const pad = ' '.repeat(nameWidth + 2)
      return [`${c.red(r.sender.padEnd(nameWidth))}  ${c.red(lines[0] ?? '')}`, ...lines.slice(1).map((l) => pad + c.red(l))].join('\n')
    })
    .join('\n')
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = ''
    }
    line = line ? `${line} ${word}` : word
    while (line.length > width) {
      lines.push(line.slice(0, width))
      line = line.slice(width)
    }
  }
  if (line) lines.push(line)
  return lines
}

/** One block per node: for wide or nested outputs that a table cannot hold. */
function renderBlocks(replies: NodeReply[], outputs: string[], ddl: ActionDdl | undefined, o: RenderOptions): string {
  const c = palette(o.color)
  const labels = outputs.map((k) => ddl?.outputs[k]?.displayAs ?? k)
  const labelWidth = Math.max(0, ...labels.map((l) => l.length))
  return replies
    .map((r) => {
      if (r.status !== 0) return `${c.red.bold(r.sender)}\n  ${c.red(`${statusNames[r.status]}: ${r.message}`)}`
      const lines = outputs.map((k, i) => {
        const label = (labels[i] as string).padStart(labelWidth)
        return `  ${c.bold(label)}: ${blockValue(r.data[k], labelWidth + 4, o.width)}`
      })
      return [c.bold(r.sender), ...lines].join('\n')
    })
    .join('\n\n')
}

function blockValue(value: unknown, indentWidth: number, width: number): string {
  const pad = ' '.repeat(indentWidth)
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>)
    if (entries.length === 0) return '{}'
    const keyWidth = Math.min(30, Math.max(...entries.map(([k]) => k.length)))
    return '\n' + entries.map(([k, v]) => `${pad}${k.padEnd(keyWidth)} = ${cellText(v, Math.max(20, width - indentWidth - keyWidth - 3))}`).join('\n')
  }
  if (Array.isArray(value) && value.length > 0) return packWords(value.map((v) => cellText(v, 120)), width - indentWidth, pad).trimStart()
  return cellText(value, 2000)
}

function columnsFor(replies: NodeReply[], ddl: ActionDdl | undefined): string[] {
  if (ddl && Object.keys(ddl.outputs).length > 0) return Object.keys(ddl.outputs)
  const keys = new Set<string>()
  for (const r of replies) for (const k of Object.keys(r.data)) keys.add(k)
  return [...keys]
}

function isBulky(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return typeof v === 'string' && v.length > 120
  if (Array.isArray(v)) return v.length > 8 || v.some((x) => x !== null && typeof x === 'object')
  return Object.keys(v).length > 3
}

function indent(text: string, pad: string): string {
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n')
}
