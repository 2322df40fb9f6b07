import type { CommandResult } from '../../commands/result.js'
import { renderDiscoverResult, renderPingResult } from './discover.js'
import { renderRpcResult } from './rpc.js'
import { renderFactsResult, renderInventoryResult, renderNodesResult, renderScopeResult } from './session.js'
import type { RenderOptions } from './style.js'

export type { RenderOptions } from './style.js'
export { renderRpcResult, summaryLine } from './rpc.js'
export { renderDiscoverResult, renderPingResult } from './discover.js'
export { renderFactsResult, renderInventoryResult, renderNodesResult, renderScopeResult } from './session.js'
export { renderTable } from './table.js'

/** Any result as text for a terminal of `width` columns. Pure: no I/O. */
export function renderResult(r: CommandResult, o: RenderOptions): string {
  switch (r.kind) {
    case 'rpc':
      return renderRpcResult(r, o)
    case 'discover':
      return renderDiscoverResult(r, o)
    case 'ping':
      return renderPingResult(r, o)
    case 'text':
      return r.text
    case 'scope':
      return renderScopeResult(r, o)
    case 'nodes':
      return renderNodesResult(r, o)
    case 'facts':
      return renderFactsResult(r, o)
    case 'inventory':
      return renderInventoryResult(r, o)
    case 'exit':
      return ''
    default: {
      const never: never = r
      return never
    }
  }
}
