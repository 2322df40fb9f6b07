import { InputError, validateInputs } from '../ddl/index.js'
import { Status, type StatusCode } from '../protocol/status.js'
import { errorMessage } from '../util/errors.js'
import { isRpcError, type ActionContext } from './define.js'
import type { LoadedAgent } from './registry.js'

export interface ActionResult {
  status: StatusCode
  message: string
  data: Record<string, unknown>
  durationMs: number
}

/**
 * Runs one action and maps every outcome to a status: unknown action 2, missing input 3, invalid
 * input 4, RpcError its own, a time-out 1 (aborted), anything thrown 5. Never throws.
 */
export async function dispatchAction(
  agent: LoadedAgent,
  action: string,
  data: Record<string, unknown>,
  ctx: Omit<ActionContext, 'signal'>,
): Promise<ActionResult> {
  const started = performance.now()
  const done = (status: StatusCode, message: string, out: Record<string, unknown> = {}): ActionResult => ({
    status,
    message,
    data: out,
    durationMs: performance.now() - started,
  })
  const actionDdl = agent.ddl.actions[action]
  const handler = agent.actions[action]
  if (!actionDdl || !handler) {
    const known = Object.keys(agent.ddl.actions).filter((a) => agent.actions[a]).join(', ')
    return done(Status.UnknownAction, `unknown action '${action}' for agent '${agent.name}'; known actions: ${known}`)
  }
  let inputs: Record<string, unknown>
  try {
    inputs = validateInputs(actionDdl, data)
  } catch (e) {
    if (e instanceof InputError) return done(e.kind === 'missing' ? Status.MissingData : Status.InvalidData, e.message)
    return done(Status.InvalidData, errorMessage(e))
  }
  const timeoutMs = agent.ddl.metadata.timeoutSeconds * 1000
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs)
  })
  try {
    const outcome = await Promise.race([Promise.resolve().then(() => handler(inputs, { ...ctx, signal: controller.signal })), timeout])
    if (outcome === 'timeout') {
      controller.abort()
      return done(Status.Aborted, `action ${agent.name}#${action} timed out after ${agent.ddl.metadata.timeoutSeconds} s`)
    }
    if (typeof outcome !== 'object' || outcome === null || Array.isArray(outcome))
      return done(Status.UnknownError, `action ${agent.name}#${action} returned ${Array.isArray(outcome) ? 'an array' : typeof outcome}, not an object of outputs`)
    return done(Status.OK, 'OK', withOutputDefaults(actionDdl.outputs, outcome))
  } catch (e) {
    if (isRpcError(e)) return done(e.status, e.message, rpcErrorData(e))
    return done(Status.UnknownError, `action ${agent.name}#${action} failed: ${errorMessage(e)}`)
  } finally {
    clearTimeout(timer)
  }
}

/** The outputs a failing reply still carries: the RpcError's `data`, checked because it may come from another copy of mcsh. */
function rpcErrorData(e: { data?: unknown }): Record<string, unknown> {
  const data = e.data
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {}
}

function withOutputDefaults(outputs: Record<string, { default?: unknown }>, data: Record<string, unknown>): Record<string, unknown> {
  let out = data
  for (const [name, spec] of Object.entries(outputs)) {
    if (out[name] === undefined && spec.default !== undefined) {
      if (out === data) out = { ...data }
      out[name] = spec.default
    }
  }
  return out
}
