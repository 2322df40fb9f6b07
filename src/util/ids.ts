import { randomBytes } from 'node:crypto'

/** 32 hex characters, as MCollective's request ids. */
export function newRequestId(): string {
  return randomBytes(16).toString('hex')
}

export function shortId(bytes = 6): string {
  return randomBytes(bytes).toString('hex')
}
