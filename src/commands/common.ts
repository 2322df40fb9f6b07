import { parseLimit } from '../client/limit.js'
import { combineFilters, parseAgentTerm, parseClassTerm, parseCompound, parseFactTerm, parseIdentityTerm, parseWithFilter } from '../filter/index.js'
import { emptyFilter, type Filter } from '../filter/types.js'
import { McshError } from '../util/errors.js'
import type { CallOptions } from '../client/rpc-client.js'
import { numberOption, type OptionSpec, type ParsedOptions } from './options.js'
import type { Session } from './session.js'

export const filterOptions: OptionSpec[] = [
  { name: 'fact', short: 'F', aliases: ['wf', 'with-fact'], kind: 'list', valueName: 'FACT=VALUE', help: 'match a fact: os=linux, memory.total_mb>=4096, kernel=~/^5/' },
  { name: 'class', short: 'C', aliases: ['wc', 'with-class'], kind: 'list', valueName: 'CLASS', help: 'match a configuration class: apache or /^role::/' },
  { name: 'identity', short: 'I', aliases: ['wi', 'with-identity'], kind: 'list', valueName: 'NAME', help: 'match an identity: web1 or /^web/ (several are ORed)' },
  { name: 'agent', short: 'A', aliases: ['wa', 'with-agent'], kind: 'list', valueName: 'AGENT', help: 'match nodes that have an agent' },
  { name: 'with', short: 'W', kind: 'list', valueName: '"FACT=V CLASS"', help: 'facts and classes, space separated (MCollective -W)' },
  { name: 'select', short: 'S', aliases: ['where'], kind: 'list', valueName: 'EXPR', help: 'compound: "os=linux and (role=web or class:haproxy)"' },
]

export const callOptions: OptionSpec[] = [
  { name: 'timeout', short: 't', kind: 'value', valueName: 'SECONDS', help: 'wait this long for replies (default: the DDL timeout + grace)' },
  { name: 'discovery-timeout', kind: 'value', valueName: 'SECONDS', help: 'longest discovery wait (it ends sooner once replies stop)' },
  { name: 'limit', kind: 'value', valueName: 'N|P%', help: 'only call N nodes, or P percent of them' },
  { name: 'random', kind: 'flag', help: 'with --limit: a random sample rather than the first in order' },
  { name: 'batch', kind: 'value', valueName: 'N', help: 'call N nodes at a time' },
  { name: 'batch-sleep', kind: 'value', valueName: 'SECONDS', help: 'pause between batches' },
]

export const outputOptions: OptionSpec[] = [{ name: 'json', short: 'j', kind: 'flag', help: 'print the result as one JSON document' }]

/** The filter given by a command's own options (ANDed with the session's scope by the caller). */
export function filterFromOptions(options: ParsedOptions): Filter {
  const list = (name: string) => (options[name] as string[] | undefined) ?? []
  let filter: Filter = {
    ...emptyFilter(),
    fact: list('fact').map(parseFactTerm),
    class: list('class').map(parseClassTerm),
    identity: list('identity').map(parseIdentityTerm),
    agent: list('agent').map(parseAgentTerm),
  }
  for (const w of list('with')) filter = combineFilters(filter, parseWithFilter(w))
  for (const s of list('select')) {
    parseCompound(s)
    filter = combineFilters(filter, { ...emptyFilter(), compound: [s] })
  }
  return filter
}

/** The call settings of a command: its options over the session's settings. */
export function callSettings(options: ParsedOptions, session: Session): Pick<CallOptions, 'timeoutMs' | 'discoveryTimeoutMs' | 'discoveryWindowMs' | 'batchSize' | 'batchSleepMs' | 'limit'> {
  const s = session.settings
  const timeout = numberOption(options, 'timeout', { min: 0.001 })
  const discovery = numberOption(options, 'discovery-timeout', { min: 0.001 })
  const batch = numberOption(options, 'batch', { min: 1, integer: true })
  const batchSleep = numberOption(options, 'batch-sleep', { min: 0 })
  const limitText = options.limit as string | undefined
  const limit = limitText !== undefined ? parseLimit(limitText, options.random ? 'random' : 'first') : s.limit
  const out: ReturnType<typeof callSettings> = {
    discoveryTimeoutMs: discovery !== undefined ? discovery * 1000 : s.discoveryTimeoutMs,
    discoveryWindowMs: s.discoveryWindowMs,
    batchSleepMs: batchSleep !== undefined ? batchSleep * 1000 : s.batchSleepMs,
  }
  const timeoutMs = timeout !== undefined ? timeout * 1000 : s.timeoutMs
  if (timeoutMs !== undefined) out.timeoutMs = timeoutMs
  const batchSize = batch ?? s.batchSize
  if (batchSize !== undefined) out.batchSize = batchSize
  if (limit !== undefined) out.limit = limit
  return out
}

/** `key=value` words into raw inputs; a word without '=' is refused with the expected form. */
export function parseKeyValues(words: readonly string[], where: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const w of words) {
    const eq = w.indexOf('=')
    if (eq <= 0) throw new McshError('MCSH_USAGE', `expected key=value for ${where} but got '${w}'`)
    out[w.slice(0, eq)] = w.slice(eq + 1)
  }
  return out
}
