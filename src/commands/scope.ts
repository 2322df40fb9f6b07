import { addFilterTerm, describeFilter, type FilterTermKind } from '../filter/index.js'
import { emptyFilter } from '../filter/types.js'
import { McshError } from '../util/errors.js'
import type { ScopeResult } from './result.js'
import type { ScopeTerm, Session } from './session.js'
import { discoverInSession } from './discovering.js'
import type { Command, CommandContext } from './types.js'

const kinds: FilterTermKind[] = ['fact', 'class', 'identity', 'agent', 'where', 'with']

/** Discovers the current scope and remembers it as the node set. */
export async function discoverScope(ctx: CommandContext): Promise<{ nodes: number; discovery_ms: number }> {
  const { discovery } = await discoverInSession(ctx)
  return { nodes: discovery.nodes.length, discovery_ms: discovery.stats.discovery_ms }
}

export function scopeResult(session: Session, discovered?: { nodes: number; discovery_ms: number }, message?: string): ScopeResult {
  const known = session.scopeNodeSet()
  return {
    kind: 'scope',
    collective: session.collective,
    terms: session.scopeTerms.map((t) => ({ ...t, label: termLabel(t) })),
    filter: session.scope,
    nodes: discovered?.nodes ?? known?.nodes.length ?? null,
    discovery_ms: discovered?.discovery_ms ?? null,
    ...(message ? { message } : {}),
  }
}

export function termLabel(t: ScopeTerm): string {
  return describeFilter(addFilterTerm(emptyFilter(), t.kind, t.text)).join(' ')
}

export const filterCommand: Command = {
  name: 'filter',
  summary: 'narrow the scope (AND with what is there) and re-discover; alone, show the scope',
  usage: 'filter [fact FACT=VALUE | class CLASS | identity NAME | agent AGENT | where "EXPR" | with "FACT=V CLASS" | reset]',
  options: [],
  details:
    'Examples:\n  filter fact os=linux\n  filter class apache\n  filter identity /^web\\d+/\n  filter agent rpcutil\n  filter where "os.family=debian and (role=web or role=db)"\n' +
    "A bad filter is refused with the column of the mistake and the scope stays as it was. 'unfilter N' removes term N, 'filter reset' all of them.",
  needsBroker: false,
  async run(args, ctx): Promise<ScopeResult> {
    const { session } = ctx
    const [kind, ...rest] = args
    if (!kind) return scopeResult(session)
    if (kind === 'reset') {
      if (rest.length) throw usage("'filter reset' takes nothing more")
      session.setScope([])
      return scopeResult(session, await discoverScope(ctx))
    }
    if (!kinds.includes(kind as FilterTermKind)) {
      // `filter os=linux` is common enough to accept: a term with an operator is a fact, else a class.
      if (rest.length === 0 && /[=<>~!]/.test(kind)) return addTerm(ctx, { kind: 'fact', text: kind })
      throw usage(`unknown filter kind '${kind}': use fact, class, identity, agent, where, with or reset`)
    }
    const text = rest.join(' ')
    if (!text) throw usage(`'filter ${kind}' needs a value, e.g. ${example(kind as FilterTermKind)}`)
    return addTerm(ctx, { kind: kind as FilterTermKind, text })
  },
}

async function addTerm(ctx: CommandContext, term: ScopeTerm): Promise<ScopeResult> {
  ctx.session.addScopeTerm(term)
  return scopeResult(ctx.session, await discoverScope(ctx))
}

export const unfilterCommand: Command = {
  name: 'unfilter',
  summary: "widen the scope: remove term N of 'filter' (or all with 'unfilter all')",
  usage: 'unfilter N|all',
  options: [],
  needsBroker: false,
  async run(args, ctx): Promise<ScopeResult> {
    const { session } = ctx
    const [which] = args
    if (!which || args.length > 1) throw usage("usage: unfilter N (the number 'filter' shows) or unfilter all")
    if (which === 'all') session.setScope([])
    else {
      const n = Number(which)
      if (!Number.isInteger(n) || n < 1 || n > session.scopeTerms.length)
        throw usage(session.scopeTerms.length === 0 ? 'the scope is empty: nothing to remove' : `no scope term ${which}: give 1 to ${session.scopeTerms.length} ('filter' lists them)`)
      session.removeScopeTerm(n - 1)
    }
    return scopeResult(session, await discoverScope(ctx))
  },
}

export const scopeCommand: Command = {
  name: 'scope',
  summary: 'save (push) and restore (pop) the scope, collective and node set',
  usage: 'scope [push | pop]',
  options: [],
  needsBroker: false,
  async run(args, { session }): Promise<ScopeResult> {
    const [op] = args
    if (!op) return scopeResult(session)
    if (op === 'push') return scopeResult(session, undefined, `scope saved (${session.pushScope()} saved)`)
    if (op === 'pop') {
      if (!session.popScope()) throw usage("no saved scope: 'scope push' saves one")
      return scopeResult(session, undefined, `scope restored (${session.savedScopes} left)`)
    }
    throw usage(`unknown scope operation '${op}': push or pop`)
  },
}

export const useCommand: Command = {
  name: 'use',
  summary: 'switch to another collective (and re-discover)',
  usage: 'use COLLECTIVE',
  options: [],
  needsBroker: false,
  async run(args, ctx): Promise<ScopeResult> {
    const { session } = ctx
    const [name] = args
    if (!name || args.length > 1) throw usage(`usage: use COLLECTIVE; configured: ${session.config.collectives.join(', ')}`)
    if (!session.config.collectives.includes(name)) throw usage(`unknown collective '${name}'; configured: ${session.config.collectives.join(', ')}`)
    session.collective = name
    return scopeResult(session, await discoverScope(ctx))
  },
}

function example(kind: FilterTermKind): string {
  return { fact: 'os=linux', class: 'apache', identity: '/^web/', agent: 'rpcutil', where: '"os=linux and role=web"', with: '"os=linux apache"' }[kind]
}

function usage(message: string): McshError {
  return new McshError('MCSH_USAGE', message)
}
