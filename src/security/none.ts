import type { SecurityPlugin, Seal } from './types.js'

/** Signs nothing and accepts everything; only behind `security.insecure: true`, with a warning. */
export function createNone(o: { callerId: string }): SecurityPlugin {
  return {
    name: 'none',
    callerId: o.callerId,
    seal: (_payload, _role, signer): Seal => ({ plugin: 'none', signer, signature: 'none' }),
    verify: (_payload, seal) => seal.signer,
  }
}
