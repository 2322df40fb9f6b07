/** MCollective's RPC status codes, kept as they are. */
export const Status = {
  OK: 0,
  Aborted: 1,
  UnknownAction: 2,
  MissingData: 3,
  InvalidData: 4,
  UnknownError: 5,
} as const

export type StatusCode = (typeof Status)[keyof typeof Status]

export const statusNames: Record<StatusCode, string> = {
  0: 'OK',
  1: 'Aborted',
  2: 'Unknown Action',
  3: 'Missing Data',
  4: 'Invalid Data',
  5: 'Unknown Error',
}

export function isStatusCode(n: unknown): n is StatusCode {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 5
}
