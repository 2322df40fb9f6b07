import { splitPartial } from '../../commands/tokenize.js'
import { bestMatch, rankCandidates } from './rank.js'

/** Where completions come from; each may be slow (the fleet) and must bound its own wait. */
export interface CompletionSources {
  commands(): string[]
  /** Options of a command (`--limit`, `-F`…). */
  options(command: string): string[]
  agents(): Promise<string[]>
  actions(agent: string): Promise<string[]>
  inputs(agent: string, action: string): Promise<Array<{ name: string; type: string; list?: unknown[] }>>
  factNames(): Promise<string[]>
  factValues(fact: string): Promise<string[]>
  classes(): Promise<string[]>
  identities(): Promise<string[]>
  collectives(): string[]
  settings(): Record<string, readonly string[] | undefined>
  scopeTermCount(): number
  /** Nodes of the last result (for `last NODE`). */
  lastNodes(): string[]
  files(prefix: string): Promise<string[]>
}

export interface Completion {
  /** Replacement texts for `fragment`, best first. */
  candidates: string[]
  /** The text before the cursor that the candidates replace. */
  fragment: string
}

const filterKinds = ['fact', 'class', 'identity', 'agent', 'where', 'with', 'reset']
/** Options whose value is a filter term, and what kind. */
const valueOptions: Record<string, 'fact' | 'class' | 'identity' | 'agent' | 'collective' | 'file' | 'none'> = {
  '-F': 'fact', '--fact': 'fact', '--wf': 'fact', '--with-fact': 'fact',
  '-C': 'class', '--class': 'class', '--wc': 'class', '--with-class': 'class',
  '-I': 'identity', '--identity': 'identity', '--wi': 'identity', '--with-identity': 'identity',
  '-A': 'agent', '--agent': 'agent', '--wa': 'agent', '--with-agent': 'agent',
  '-T': 'collective', '--collective': 'collective',
  '--nodes': 'file',
  '-W': 'none', '--with': 'none', '-S': 'none', '--select': 'none', '--where': 'none', '-t': 'none', '--timeout': 'none',
  '--discovery-timeout': 'none', '--limit': 'none', '--batch': 'none', '--batch-sleep': 'none',
}

/**
 * Completes the text before the cursor: the command, its arguments, options and their values. A
 * finished word gets a trailing space; `name=` and `folder/` do not, so typing goes on.
 */
export async function complete(before: string, src: CompletionSources): Promise<Completion> {
  const c = await completeWords(before, src)
  return { fragment: c.fragment, candidates: c.candidates.map((x) => (/[=/]$/.test(x) ? x : `${x} `)) }
}

async function completeWords(before: string, src: CompletionSources): Promise<Completion> {
  const segment = currentSegment(before)
  if (segment.kind === 'file') return { candidates: await src.files(segment.fragment), fragment: segment.fragment }
  if (segment.kind === 'shell') return { candidates: [], fragment: '' }
  const { words, fragment } = splitPartial(segment.text)
  const none: Completion = { candidates: [], fragment }
  const done = (candidates: string[], f = fragment): Completion => ({ candidates: rankCandidates(f, candidates), fragment: f })

  if (words.length === 0) return done([...src.commands(), ...(await src.agents())])
  const [first, ...rest] = words as [string, ...string[]]
  const commands = src.commands()
  const agents = await src.agents()
  const isCommand = commands.includes(first)
  const command = isCommand ? first : agents.includes(first) ? 'rpc' : undefined
  if (!command) return none

  const previous = rest[rest.length - 1]
  if (previous && previous in valueOptions) return completeTerm(valueOptions[previous] as string, fragment, src)
  if (fragment.startsWith('-')) return done(src.options(command))
  const positionals = positionalWords(rest)

  switch (command) {
    case 'rpc': {
      const args = isCommand ? positionals : [first, ...positionals]
      return completeRpc(args, fragment, src, isCommand)
    }
    case 'help':
      if (positionals.length === 0) return done([...commands, ...agents])
      if (positionals.length === 1) return done(await src.actions(resolve(positionals[0] as string, agents)))
      return none
    case 'filter':
      if (positionals.length === 0) {
        if (/[=<>~]/.test(fragment)) return completeTerm('fact', fragment, src)
        return done(filterKinds)
      }
      if (positionals.length === 1) return completeTerm(positionals[0] as string, fragment, src)
      return none
    case 'unfilter':
      return positionals.length === 0 ? done([...Array.from({ length: src.scopeTermCount() }, (_, i) => String(i + 1)), 'all']) : none
    case 'scope':
      return positionals.length === 0 ? done(['push', 'pop']) : none
    case 'use':
      return positionals.length === 0 ? done(src.collectives()) : none
    case 'set': {
      const settings = src.settings()
      if (positionals.length === 0) return done(Object.keys(settings))
      if (positionals.length === 1) return done([...(settings[positionals[0] as string] ?? [])])
      return none
    }
    case 'inventory':
      return positionals.length === 0 ? done(await src.identities()) : none
    case 'facts':
      return positionals.length === 0 ? done(await src.factNames()) : none
    case 'last':
      return done(['--failed', '--ok', ...src.lastNodes()])
    case 'source':
      return positionals.length === 0 ? { candidates: await src.files(fragment), fragment } : none
    case 'record':
      if (positionals.length === 0) return done(['start', 'stop'])
      if (positionals[0] === 'start' && positionals.length === 1) return { candidates: await src.files(fragment), fragment }
      return none
    default:
      return none
  }
}

/** `rpc AGENT ACTION input=value`: agents, then actions, then input names, then input values. */
async function completeRpc(args: string[], fragment: string, src: CompletionSources, explicit: boolean): Promise<Completion> {
  const agents = await src.agents()
  if (args.length === 0) return { candidates: rankCandidates(fragment, agents), fragment }
  const typedAgent = args[0] as string
  const agent = resolve(typedAgent, agents)
  if (args.length === 1) {
    const actions = rankCandidates(fragment, await src.actions(agent))
    if (agent === typedAgent || !explicit) return { candidates: actions, fragment }
    // A fuzzy agent (`rpc srv sta`): complete both words, so the line reads `rpc service status`.
    const both = `${typedAgent} ${fragment}`
    return { candidates: actions.map((a) => `${agent} ${a}`), fragment: both }
  }
  const actions = await src.actions(agent)
  const action = resolve(args[1] as string, actions)
  const inputs = await src.inputs(agent, action)
  const eq = fragment.indexOf('=')
  if (eq === -1) {
    const given = new Set(args.slice(2).map((w) => w.split('=')[0]))
    return { candidates: rankCandidates(fragment, inputs.filter((i) => !given.has(i.name)).map((i) => `${i.name}=`)), fragment }
  }
  const name = fragment.slice(0, eq)
  const valueFragment = fragment.slice(eq + 1)
  const input = inputs.find((i) => i.name === name)
  if (!input) return { candidates: [], fragment }
  let values: string[] = []
  if (input.list?.length) values = input.list.map(String)
  else if (input.type === 'boolean') values = ['true', 'false']
  else if (/^facts?$/.test(name)) values = await src.factNames()
  else if (/^(node|identity|host)$/.test(name)) values = await src.identities()
  return { candidates: rankCandidates(valueFragment, values).map((v) => `${name}=${v}`), fragment }
}

/** A filter term of a kind: `fact` completes names (with `=`) then values seen in the fleet. */
async function completeTerm(kind: string, fragment: string, src: CompletionSources): Promise<Completion> {
  const rank = async (values: Promise<string[]> | string[]) => ({ candidates: rankCandidates(fragment, await values), fragment })
  switch (kind) {
    case 'fact': {
      const m = /^([^=<>!~]+)(==|=~|!=|<=|>=|=|<|>)(.*)$/.exec(fragment)
      if (!m) return { candidates: rankCandidates(fragment, await src.factNames()).map((n) => `${n}=`), fragment }
      const [, name, op, value] = m as unknown as [string, string, string, string]
      return { candidates: rankCandidates(value, await src.factValues(name)).map((v) => `${name}${op}${v}`), fragment }
    }
    case 'class':
      return rank(src.classes())
    case 'identity':
      return rank(src.identities())
    case 'agent':
      return rank(src.agents())
    case 'collective':
      return rank(src.collectives())
    case 'file':
      return { candidates: await src.files(fragment), fragment }
    case 'where':
      return { candidates: rankCandidates(fragment, await src.factNames()), fragment }
    default:
      return { candidates: [], fragment }
  }
}

function resolve(typed: string, known: string[]): string {
  return known.includes(typed) ? typed : (bestMatch(typed, known) ?? typed)
}

/** Words that are not options or option values. */
function positionalWords(words: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string
    if (w in valueOptions) {
      i++
      continue
    }
    if (w.startsWith('-') && w.length > 1) continue
    out.push(w)
  }
  return out
}

/** The part of the line the cursor is in: after the last `;`, and whether it follows `|` or `>`. */
function currentSegment(before: string): { kind: 'command' | 'shell'; text: string } | { kind: 'file'; fragment: string } {
  let quote: string | undefined
  let start = 0
  let sink: { kind: 'shell' | 'file'; at: number } | undefined
  for (let i = 0; i < before.length; i++) {
    const ch = before[i] as string
    if (quote) {
      if (ch === quote) quote = undefined
      continue
    }
    if (ch === '"' || ch === "'") quote = ch
    else if (ch === ';') {
      start = i + 1
      sink = undefined
    } else if ((ch === '|' || ch === '>') && (i === 0 || /\s/.test(before[i - 1] as string)) && before[i + 1] !== '|') {
      sink = { kind: ch === '|' ? 'shell' : 'file', at: i + (before[i + 1] === '>' ? 2 : 1) }
      if (before[i + 1] === '>') i++
    }
  }
  if (sink?.kind === 'file') return { kind: 'file', fragment: before.slice(sink.at).trimStart() }
  if (sink) return { kind: 'shell', text: '' }
  return { kind: 'command', text: before.slice(start).trimStart() }
}
