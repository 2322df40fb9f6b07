import { McshError, errorMessage } from '../util/errors.js'
import type { Serializer } from './types.js'

export function createJsonSerializer(): Serializer {
  return {
    name: 'json',
    binary: false,
    encode: (value) => Buffer.from(JSON.stringify(value), 'utf8'),
    decode: (bytes) => {
      try {
        return JSON.parse(bytes.toString('utf8'))
      } catch (e) {
        throw new McshError('MCSH_MSG_MALFORMED', `malformed message: payload is not JSON (${errorMessage(e)})`, { cause: e })
      }
    },
  }
}
