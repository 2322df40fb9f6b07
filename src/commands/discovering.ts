import { McshError } from '../util/errors.js'
import type { DiscoveryResult } from '../discovery/types.js'
import { filterIsEmpty } from '../filter/index.js'
import type { Filter } from '../filter/types.js'
import { filterFromOptions, filterOptions } from './common.js'
import { numberOption, parseOptions, type OptionSpec } from './options.js'
import type { CommandContext } from './types.js'

/** The options of commands that discover: filter options and the discovery timeout. */
export const discoveryOptions: OptionSpec[] = [
  ...filterOptions,
  { name: 'discovery-timeout', kind: 'value', valueName: 'SECONDS', help: 'longest discovery wait (it ends sooner once replies stop)' },
]

/**
 * Discovers the scope (ANDed with `extra`) with progress and Ctrl-C. A discovery of the scope itself
 * becomes the session's node set; one narrowed by a command's own options does not.
 */
export async function discoverInSession(
  ctx: CommandContext,
  o: { extra?: Filter; timeoutMs?: number; onNode?: (identity: string, elapsedMs: number) => void } = {},
): Promise<{ discovery: DiscoveryResult; filter: Filter }> {
  const { session, signal, progress } = ctx
  const filter = session.effectiveFilter(o.extra)
  const client = await session.connectedClient()
  const started = performance.now()
  let count = 0
  const method = session.discoveryMethod()
  const discovery = await client.discover({
    filter,
    collective: session.collective,
    timeoutMs: o.timeoutMs ?? session.settings.discoveryTimeoutMs,
    windowMs: session.settings.discoveryWindowMs,
    signal,
    ...(method ? { method } : {}),
    onNode: (identity) => {
      const elapsed = performance.now() - started
      o.onNode?.(identity, elapsed)
      progress?.discovered?.(++count, elapsed)
    },
  })
  progress?.done?.()
  if (!o.extra || filterIsEmpty(o.extra)) session.rememberNodes(discovery, filter, session.collective)
  return { discovery, filter }
}

/** Parses `[filter options] [--discovery-timeout S]` for discover and ping; no positionals. */
export function parseDiscoveryArgs(args: string[], command: string): { extra: Filter; timeoutMs?: number } {
  const { options, positionals } = parseOptions(args, discoveryOptions, command)
  if (positionals.length) throw new McshError('MCSH_USAGE', `${command} takes filter options, not '${positionals.join(' ')}'; e.g. ${command} -F os=linux`)
  const timeout = numberOption(options, 'discovery-timeout', { min: 0.001 })
  return { extra: filterFromOptions(options), ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}) }
}
