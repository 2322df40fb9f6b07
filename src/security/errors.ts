import { McshError } from '../util/errors.js'

/** A message that failed authentication; never answered, always logged. */
export class SecurityError extends McshError {
  constructor(code: string, message: string) {
    super(code, message)
    this.name = 'SecurityError'
  }
}
