import { readFile } from 'node:fs/promises'
import { compileFilter } from '../filter/index.js'
import { emptyFilter, type Filter } from '../filter/types.js'
import { McshError, errorMessage } from '../util/errors.js'
import type { DiscoveryMethod, DiscoveryResult } from './types.js'

/** Identities one a line; blank lines and '#' comments skipped, duplicates dropped. */
export function parseNodeList(text: string): string[] {
  const seen = new Set<string>()
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, '').trim()
    if (!line) continue
    if (!/^[\w.@-]+$/.test(line)) throw new McshError('MCSH_NODES_INVALID', `bad identity '${line}' in node list: letters, digits, '.', '_', '@' and '-' only`)
    seen.add(line)
  }
  return [...seen]
}

/**
 * Discovery from a known list (`--nodes FILE`, stdin): no broadcast. Identity filters apply; a list
 * has no facts or classes to match, so those filters are refused rather than silently ignored. Agent
 * filters pass: a listed node without the agent answers 'unknown agent' (status 2).
 */
export function listDiscovery(name: string, nodes: readonly string[]): DiscoveryMethod {
  return {
    name,
    async discover(filter: Filter): Promise<DiscoveryResult> {
      const started = performance.now()
      if (filter.fact.length || filter.class.length || filter.compound.length)
        throw new McshError('MCSH_DISCOVERY_UNSUPPORTED', `discovery from ${name} supports identity filters only; drop the fact, class and compound filters or use broadcast discovery`)
      const byIdentity = compileFilter({ ...emptyFilter(), identity: filter.identity })
      const chosen = filter.identity.length === 0
        ? [...nodes]
        : nodes.filter((identity) => byIdentity.matches({ identity, facts: {}, classes: new Set(), agents: new Set() }))
      return { nodes: chosen, stats: { discovered: chosen.length, discovery_ms: performance.now() - started }, ended: 'list', method: name, agents: new Map() }
    },
  }
}

export async function readNodeFile(path: string): Promise<string[]> {
  try {
    return parseNodeList(await readFile(path, 'utf8'))
  } catch (e) {
    if (e instanceof McshError) throw e
    throw new McshError('MCSH_NODES_INVALID', `cannot read node list ${path}: ${errorMessage(e)}`, { cause: e })
  }
}
