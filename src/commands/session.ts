import { RpcClient } from '../client/rpc-client.js'
import type { Limit } from '../client/limit.js'
import type { Config } from '../config/types.js'
import { listDiscovery } from '../discovery/list.js'
import type { DiscoveryMethod, DiscoveryResult } from '../discovery/types.js'
import { addFilterTerm, combineFilters, filterIsEmpty, validateFilter, type FilterTermKind } from '../filter/index.js'
import { emptyFilter, type Filter } from '../filter/types.js'
import type { Logger } from '../util/logger.js'
import { silentLogger } from '../util/logger.js'
import { FleetInventory } from './inventory-cache.js'
import type { CommandResult } from './result.js'

export const OUTPUT_FORMATS = ['text', 'json', 'jsonl', 'csv', 'yaml'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

export interface Settings {
  /** Reply wait; undefined = the DDL's timeout plus the grace. */
  timeoutMs: number | undefined
  discoveryTimeoutMs: number
  discoveryWindowMs: number
  batchSize: number | undefined
  batchSleepMs: number
  limit: Limit | undefined
  /** undefined = text on a terminal, JSON otherwise. */
  output: OutputFormat | undefined
  /** A discovered node set older than this is discovered again before an RPC. */
  nodeSetMaxAgeMs: number
  /** Stop a script (or -c list) at the first command that fails. */
  errexit: boolean
}

export interface NodeSet {
  nodes: string[]
  /** Agents per node, from the discovery replies, when known. */
  agents: Map<string, string[]>
  filter: Filter
  collective: string
  atMs: number
  method: string
}

/** One term of the scope as the operator typed it: `filter fact os=linux` is { kind: 'fact', text: 'os=linux' }. */
export interface ScopeTerm {
  kind: FilterTermKind
  text: string
}

/** Something that records commands (the shell's `record`); the executor feeds it. */
export interface CommandRecorder {
  readonly path: string
  record(command: string, outcome: { result?: CommandResult; error?: Error; scope: string }): void
  close(): void
}

/**
 * What a run of commands shares: the client, collective, the filter scope, the discovered node set,
 * settings, the last result and the history. The CLI's -c, scripts and the interactive shell each
 * drive one.
 */
export class Session {
  readonly config: Readonly<Config>
  readonly log: Logger
  collective: string
  nodeSet: NodeSet | undefined
  /** Identities given with --nodes or on stdin: discovery from this list, no broadcast. */
  staticNodes: string[] | undefined
  settings: Settings
  lastResult: CommandResult | undefined
  /** The lines run in this session, oldest first (the shell adds the persisted history to its own list). */
  readonly history: string[] = []
  recorder: CommandRecorder | undefined
  /** Scripts replayed with --dry-run: discovery happens, RPCs are described instead of sent. */
  dryRun = false
  readonly inventory: FleetInventory
  private terms: ScopeTerm[] = []
  private scopeFilter: Filter = emptyFilter()
  private readonly saved: Array<{ terms: ScopeTerm[]; collective: string; nodeSet: NodeSet | undefined }> = []
  private clientInstance: RpcClient | undefined
  private connected: Promise<void> | undefined

  constructor(o: { config: Readonly<Config>; client?: RpcClient; logger?: Logger; staticNodes?: string[] }) {
    this.config = o.config
    this.log = o.logger ?? silentLogger
    this.clientInstance = o.client
    this.collective = o.config.collectives[0] as string
    this.staticNodes = o.staticNodes
    this.inventory = new FleetInventory(this)
    this.settings = {
      timeoutMs: undefined,
      discoveryTimeoutMs: o.config.client.discoveryTimeoutMs,
      discoveryWindowMs: o.config.client.discoveryWindowMs,
      batchSize: undefined,
      batchSleepMs: 0,
      limit: undefined,
      output: undefined,
      nodeSetMaxAgeMs: 300_000,
      errexit: false,
    }
  }

  /** The client, without connecting (DDL lookups need no broker). */
  get client(): RpcClient {
    this.clientInstance ??= new RpcClient({ config: this.config, logger: this.log })
    return this.clientInstance
  }

  /** Connects once; later commands reuse the connection. */
  async connectedClient(): Promise<RpcClient> {
    const client = this.client
    this.connected ??= client.connect().catch((e) => {
      this.connected = undefined
      throw e
    })
    await this.connected
    return client
  }

  async close(): Promise<void> {
    this.recorder?.close()
    this.recorder = undefined
    if (this.clientInstance) await this.clientInstance.close()
  }

  // The scope

  get scope(): Filter {
    return this.scopeFilter
  }

  get scopeTerms(): readonly ScopeTerm[] {
    return this.terms
  }

  /** Narrows the scope; a bad term throws (with its column) and leaves the scope as it was. */
  addScopeTerm(term: ScopeTerm): void {
    const next = addFilterTerm(this.scopeFilter, term.kind, term.text)
    validateFilter(next)
    this.terms = [...this.terms, term]
    this.scopeFilter = next
  }

  /** Removes the term at `index` (0-based); returns it. */
  removeScopeTerm(index: number): ScopeTerm {
    const term = this.terms[index]
    if (!term) throw new RangeError(`no scope term ${index + 1}`)
    this.setScope(this.terms.filter((_, i) => i !== index))
    return term
  }

  setScope(terms: readonly ScopeTerm[]): void {
    let filter = emptyFilter()
    for (const t of terms) filter = addFilterTerm(filter, t.kind, t.text)
    this.terms = [...terms]
    this.scopeFilter = filter
  }

  pushScope(): number {
    this.saved.push({ terms: [...this.terms], collective: this.collective, nodeSet: this.nodeSet })
    return this.saved.length
  }

  popScope(): boolean {
    const s = this.saved.pop()
    if (!s) return false
    this.setScope(s.terms)
    this.collective = s.collective
    this.nodeSet = s.nodeSet
    return true
  }

  get savedScopes(): number {
    return this.saved.length
  }

  effectiveFilter(extra?: Filter): Filter {
    return extra && !filterIsEmpty(extra) ? combineFilters(this.scope, extra) : this.scope
  }

  discoveryMethod(): DiscoveryMethod | undefined {
    return this.staticNodes ? listDiscovery('the node list', this.staticNodes) : undefined
  }

  // The node set

  /** Remembers a discovery as the session's node set. */
  rememberNodes(d: DiscoveryResult, filter: Filter, collective: string): void {
    this.nodeSet = { nodes: d.nodes, agents: d.agents, filter, collective, atMs: Date.now(), method: d.method }
  }

  /** The node set of the current scope and collective, however old. */
  scopeNodeSet(): NodeSet | undefined {
    const s = this.nodeSet
    if (!s || s.collective !== this.collective || JSON.stringify(s.filter) !== JSON.stringify(this.scope)) return undefined
    return s
  }

  /** The node set, if it was discovered for this exact filter and collective and is fresh enough. */
  freshNodeSet(filter: Filter, collective: string): NodeSet | undefined {
    const s = this.nodeSet
    if (!s || s.collective !== collective || JSON.stringify(s.filter) !== JSON.stringify(filter)) return undefined
    if (Date.now() - s.atMs > this.settings.nodeSetMaxAgeMs) return undefined
    return s
  }
}
