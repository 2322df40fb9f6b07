import { RpcClient } from '../client/rpc-client.js'
import type { Limit } from '../client/limit.js'
import type { Config } from '../config/types.js'
import { listDiscovery } from '../discovery/list.js'
import type { DiscoveryMethod, DiscoveryResult } from '../discovery/types.js'
import { combineFilters, filterIsEmpty } from '../filter/index.js'
import { emptyFilter, type Filter } from '../filter/types.js'
import type { Logger } from '../util/logger.js'
import { silentLogger } from '../util/logger.js'
import type { CommandResult } from './result.js'

export type OutputFormat = 'text' | 'json'

export interface Settings {
  /** Reply wait; undefined = the DDL's timeout plus the grace. */
  timeoutMs: number | undefined
  discoveryTimeoutMs: number
  discoveryWindowMs: number
  batchSize: number | undefined
  batchSleepMs: number
  limit: Limit | undefined
  output: OutputFormat
  /** A discovered node set older than this is discovered again before an RPC. */
  nodeSetMaxAgeMs: number
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

/**
 * What a run of commands shares: the client, collective, filter scope, the discovered node set,
 * settings and the last result. The CLI's -c and the interactive shell both drive one.
 */
export class Session {
  readonly config: Readonly<Config>
  readonly log: Logger
  collective: string
  scope: Filter = emptyFilter()
  nodeSet: NodeSet | undefined
  /** Identities given with --nodes or on stdin: discovery from this list, no broadcast. */
  staticNodes: string[] | undefined
  settings: Settings
  lastResult: CommandResult | undefined
  private clientInstance: RpcClient | undefined
  private connected: Promise<void> | undefined

  constructor(o: { config: Readonly<Config>; client?: RpcClient; logger?: Logger; staticNodes?: string[] }) {
    this.config = o.config
    this.log = o.logger ?? silentLogger
    this.clientInstance = o.client
    this.collective = o.config.collectives[0] as string
    this.staticNodes = o.staticNodes
    this.settings = {
      timeoutMs: undefined,
      discoveryTimeoutMs: o.config.client.discoveryTimeoutMs,
      discoveryWindowMs: o.config.client.discoveryWindowMs,
      batchSize: undefined,
      batchSleepMs: 0,
      limit: undefined,
      output: 'text',
      nodeSetMaxAgeMs: 300_000,
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
    if (this.clientInstance) await this.clientInstance.close()
  }

  effectiveFilter(extra?: Filter): Filter {
    return extra && !filterIsEmpty(extra) ? combineFilters(this.scope, extra) : this.scope
  }

  discoveryMethod(): DiscoveryMethod | undefined {
    return this.staticNodes ? listDiscovery('the node list', this.staticNodes) : undefined
  }

  /** Remembers a discovery of the scope as the session's node set. */
  rememberNodes(d: DiscoveryResult, filter: Filter, collective: string, agents = new Map<string, string[]>()): void {
    this.nodeSet = { nodes: d.nodes, agents, filter, collective, atMs: Date.now(), method: d.method }
  }

  /** The node set, if it was discovered for this exact filter and collective and is fresh enough. */
  freshNodeSet(filter: Filter, collective: string): NodeSet | undefined {
    const s = this.nodeSet
    if (!s || s.collective !== collective || JSON.stringify(s.filter) !== JSON.stringify(filter)) return undefined
    if (Date.now() - s.atMs > this.settings.nodeSetMaxAgeMs) return undefined
    return s
  }
}
