import { Status } from '../protocol/status.js'
import { errorMessage, isMcshError } from '../util/errors.js'
import { isRpcError, RpcError } from './define.js'

/**
 * Runs host work for an agent and maps what it throws: an McshError coded MCSH_INVALID_*
 * (MCSH_INVALID_PACKAGE…) is the caller's fault (status 4); anything else the host throws (unknown
 * service, the tool failed, permission denied) aborts the action (status 1) with its message.
 * Programming errors (TypeError, RangeError, ReferenceError) are left to become status 5.
 */
export async function onHost<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError) throw e
    if (isRpcError(e)) throw e
    if (isMcshError(e) && e.code.startsWith('MCSH_INVALID')) throw new RpcError(Status.InvalidData, errorMessage(e))
    throw new RpcError(Status.Aborted, `${what}: ${errorMessage(e)}`)
  }
}

/** The end of a tool's output, for a one-line reply message. */
export function tail(output: string, max = 400): string {
  const text = output.trim()
  if (text === '') return 'no output'
  return text.length <= max ? text : `…${text.slice(-max)}`
}
