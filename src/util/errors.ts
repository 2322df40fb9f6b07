/**
 * Errors with a stable code. `code` is what scripts and tests match on; the message is for people
 * and says what went wrong, where, and what to do.
 */
export class McshError extends Error {
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'McshError'
    this.code = code
  }
}

export function isMcshError(e: unknown, code?: string): e is McshError {
  return e instanceof Error && typeof (e as McshError).code === 'string' && (code === undefined || (e as McshError).code === code)
}

/** The message of anything thrown, for logs and replies. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message
  return String(e)
}
