import type { Facts, FactValue } from '../facts/types.js'
import type { StatusCode } from '../protocol/status.js'
import type { Logger } from '../util/logger.js'
import type { Host } from '../host/types.js'

/** Inputs have been validated against the DDL (types, required, defaults) before an action runs. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ActionInputs = Readonly<Record<string, any>>

export type ActionOutputs = Record<string, unknown>

export interface AgentSummary {
  agent: string
  name: string
  description: string
  version: string
  author: string
  license: string
  timeout: number
}

/** What an action may know about the node it runs on. */
export interface NodeView {
  readonly identity: string
  readonly collectives: readonly string[]
  facts(): Facts
  fact(name: string): FactValue | undefined
  classes(): readonly string[]
  agents(): readonly AgentSummary[]
  stats(): Record<string, unknown>
  readonly version: string
  readonly dataPlugins: readonly string[]
}

export interface ActionContext {
  node: NodeView
  /** The machine (or, for a simulated node, its simulation): packages, services, files, commands… */
  host: Host
  request: { id: string; callerId: string; sender: string; agent: string; action: string; collective: string }
  /** Aborted when the DDL timeout passes; long actions should stop work then. */
  signal: AbortSignal
  logger: Logger
}

export type ActionHandler = (inputs: ActionInputs, ctx: ActionContext) => Promise<ActionOutputs> | ActionOutputs

export interface AgentDefinition {
  /** The DDL's name: the file `NAME.ddl.json5` beside the implementation. */
  ddl: string
  actions: Record<string, ActionHandler>
}

export function defineAgent(definition: AgentDefinition): AgentDefinition {
  return definition
}

const rpcErrorBrand = Symbol.for('mcsh.RpcError')

/**
 * Thrown by an action to answer with a status other than OK. Recognised by brand, not class identity,
 * so agents compiled against another copy of this module still map correctly.
 */
export class RpcError extends Error {
  readonly [rpcErrorBrand] = true
  constructor(
    readonly status: Exclude<StatusCode, 0>,
    message: string,
    /** Outputs to send with the failing status (a command's stdout and exit code, say). */
    readonly data?: Record<string, unknown>,
  ) {
    super(message)
    this.name = 'RpcError'
  }
}

export function isRpcError(e: unknown): e is RpcError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[rpcErrorBrand] === true
}
