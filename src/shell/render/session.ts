import type { FactsResult, InventoryResult, NodesResult, ScopeResult } from '../../commands/result.js'
import { renderTable } from './table.js'
import { cellText, formatMs, packWords, palette, type RenderOptions } from './style.js'

export function renderScopeResult(r: ScopeResult, o: RenderOptions): string {
  const c = palette(o.color)
  const lines: string[] = []
  if (r.message) lines.push(r.message)
  if (r.terms.length === 0) lines.push(`${c.bold(r.collective)}: no filter (every node)`)
  else lines.push(`${c.bold(r.collective)} scope:`, ...r.terms.map((t, i) => `  ${c.dim(String(i + 1) + '.')} ${t.label}`))
  if (r.nodes !== null) lines.push(`${c.bold(String(r.nodes))} ${r.nodes === 1 ? 'node' : 'nodes'}${r.discovery_ms !== null ? c.dim(` (discovered in ${formatMs(r.discovery_ms)})`) : ''}`)
  if (r.nodes === 0) lines.push(c.yellow("nothing matches this scope: 'unfilter N' widens it"))
  return lines.join('\n')
}

export function renderNodesResult(r: NodesResult, o: RenderOptions): string {
  const c = palette(o.color)
  if (r.nodes.length === 0) return c.yellow('the node set is empty')
  const width = Math.max(...r.nodes.map((n) => n.length)) + 2
  const perLine = Math.max(1, Math.floor(o.width / width))
  const lines: string[] = []
  for (let i = 0; i < r.nodes.length; i += perLine) lines.push(r.nodes.slice(i, i + perLine).map((n) => n.padEnd(width)).join('').trimEnd())
  return `${lines.join('\n')}\n\n${c.bold(String(r.nodes.length))} nodes, discovered ${formatMs(r.age_ms)} ago ${c.dim("('discover' refreshes)")}`
}

/** One line per value: count, a bar scaled to the largest count, and the value. */
export function renderFactsResult(r: FactsResult, o: RenderOptions): string {
  const c = palette(o.color)
  const lines: string[] = [c.bold(`${r.fact}:`)]
  if (r.values.length === 0) lines.push(c.yellow('  no node answered'))
  const max = Math.max(1, ...r.values.map((v) => v.count))
  const total = r.values.reduce((s, v) => s + v.count, 0)
  const valueWidth = Math.min(40, Math.max(5, ...r.values.map((v) => display(v.value).length)))
  const countWidth = String(max).length
  const barRoom = Math.max(10, Math.min(30, o.width - valueWidth - countWidth - 14))
  for (const v of r.values) {
    const bar = '█'.repeat(Math.max(1, Math.round((v.count / max) * barRoom)))
    const pct = `${((v.count / total) * 100).toFixed(v.count === total ? 0 : 1)}%`
    lines.push(`  ${display(v.value).padEnd(valueWidth)}  ${String(v.count).padStart(countWidth)}  ${c.cyan(bar)} ${c.dim(pct)}`)
  }
  const s = r.stats
  lines.push('', `${s.responded} of ${s.discovered} nodes answered in ${formatMs(s.total_ms)}${s.failed ? c.red(`, ${s.failed} failed`) : ''}${s.no_response ? c.yellow(`, ${s.no_response} no response`) : ''}`)
  if (r.no_response.length) lines.push(`${c.yellow('no response from:')}\n${packWords(r.no_response, o.width, '  ')}`)
  return lines.join('\n')
}

function display(v: string | number | boolean | null): string {
  return v === null ? '(not set)' : cellText(v, 40)
}

export function renderInventoryResult(r: InventoryResult, o: RenderOptions): string {
  const c = palette(o.color)
  const d = r.data
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : [])
  const lines = [
    c.bold(r.node),
    `  ${c.bold('version')}      ${cellText(d.version)}`,
    `  ${c.bold('collectives')}  ${list(d.collectives).join(', ')} (main: ${cellText(d.main_collective)})`,
    `  ${c.bold('agents')}       ${packWords(list(d.agents), o.width - 15, ' '.repeat(15)).trimStart()}`,
    `  ${c.bold('classes')}      ${packWords(list(d.classes), o.width - 15, ' '.repeat(15)).trimStart() || '(none)'}`,
  ]
  const facts = typeof d.facts === 'object' && d.facts !== null ? Object.entries(d.facts as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)) : []
  lines.push('', c.bold(`facts (${facts.length}):`))
  const table = renderTable([c.bold('Fact'), c.bold('Value')], facts.map(([k, v]) => [k, cellText(v, 400)]), { width: o.width - 2 })
  lines.push(...(table ?? facts.map(([k, v]) => `${k} = ${cellText(v)}`).join('\n')).split('\n').map((l) => '  ' + l))
  return lines.join('\n')
}
