import { createHmac, timingSafeEqual } from 'node:crypto'
import { McshError } from '../util/errors.js'
import { SecurityError } from './errors.js'
import type { SecurityPlugin, Seal } from './types.js'

export interface PskOptions {
  psk: string
  callerId: string
}

/**
 * HMAC-SHA256 over the exact payload bytes with a key every node and client shares. It proves the
 * sender knows the key, not who it is: the caller id is a claim. For labs; production uses `ssl`.
 */
export function createPsk(options: PskOptions): SecurityPlugin {
  if (!options.psk) throw new McshError('MCSH_CONFIG_INVALID', "security plugin 'psk' needs security.psk (or MCSH_PSK) to be set")
  const key = Buffer.from(options.psk, 'utf8')
  const mac = (payload: Buffer, role: string, signer: string) =>
    createHmac('sha256', key).update(role).update('\0').update(signer).update('\0').update(payload).digest()
  return {
    name: 'psk',
    callerId: options.callerId,
    seal(payload, role, signer): Seal {
      return { plugin: 'psk', signer, signature: mac(payload, role, signer).toString('base64') }
    },
    verify(payload, seal, role) {
      const given = Buffer.from(seal.signature, 'base64')
      const expected = mac(payload, role, seal.signer)
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        throw new SecurityError('MCSH_SECURITY_SIGNATURE', `${role} from '${seal.signer}' failed psk verification: wrong pre-shared key or altered message`)
      return seal.signer
    },
  }
}
