import type { DiscoverResult, PingResult } from '../../commands/result.js'
import { describeFilter } from '../../filter/index.js'
import { renderTable } from './table.js'
import { formatMs, palette, type RenderOptions } from './style.js'

export function renderDiscoverResult(r: DiscoverResult, o: RenderOptions): string {
  const c = palette(o.color)
  const scope = describeFilter(r.filter)
  const header = c.dim(`${r.collective}${scope.length ? ` [${scope.join(' ')}]` : ''}`)
  if (r.nodes.length === 0) return `${header}\n${c.yellow('no nodes matched')} ${c.dim(`(${formatMs(r.stats.discovery_ms)})`)}`
  const width = Math.max(...r.nodes.map((n) => n.length)) + 2
  const perLine = Math.max(1, Math.floor(o.width / width))
  const lines: string[] = []
  for (let i = 0; i < r.nodes.length; i += perLine) lines.push(r.nodes.slice(i, i + perLine).map((n) => n.padEnd(width)).join('').trimEnd())
  return `${header}\n${lines.join('\n')}\n\n${c.bold(String(r.nodes.length))} ${r.nodes.length === 1 ? 'node' : 'nodes'} discovered in ${formatMs(r.stats.discovery_ms)}${r.ended === 'timeout' ? c.dim(' (waited the full discovery timeout)') : ''}`
}

export function renderPingResult(r: PingResult, o: RenderOptions): string {
  const c = palette(o.color)
  if (r.replies.length === 0) return c.yellow('no replies: no node matched the filter or none is up')
  const table = renderTable([c.bold('Node'), c.bold('Time')], r.replies.map((x) => [x.sender, `${x.time_ms.toFixed(1)} ms`]), { width: o.width }) ?? ''
  const s = r.stats
  return `${table}\n\n---- ping statistics ----\n${s.responded} replies  min ${s.min_ms?.toFixed(1)} ms  max ${s.max_ms?.toFixed(1)} ms  avg ${s.avg_ms?.toFixed(1)} ms`
}
