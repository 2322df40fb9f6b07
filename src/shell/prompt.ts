import type { Session } from '../commands/session.js'
import { termLabel } from '../commands/scope.js'
import { palette } from './render/style.js'

/**
 * `mcollective [os=linux class:apache] 203 nodes > `: the collective, the scope and the node set at
 * a glance. The count is dimmed (and marked ~) when the set is older than node-set-max-age.
 */
export function renderPrompt(session: Session, color: boolean): string {
  const c = palette(color)
  const parts = [c.bold.cyan(session.collective)]
  if (session.scopeTerms.length) parts.push(c.yellow(`[${session.scopeTerms.map(termLabel).join(' ')}]`))
  const set = session.scopeNodeSet()
  if (set) {
    const stale = Date.now() - set.atMs > session.settings.nodeSetMaxAgeMs
    const count = `${stale ? '~' : ''}${set.nodes.length} ${set.nodes.length === 1 ? 'node' : 'nodes'}`
    parts.push(stale ? c.dim(count) : c.green(count))
  }
  if (session.recorder) parts.push(c.red('●rec'))
  if (session.dryRun) parts.push(c.magenta('dry-run'))
  return `${parts.join(' ')} ${c.bold('>')} `
}
