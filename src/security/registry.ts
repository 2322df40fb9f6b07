import type { Config } from '../config/types.js'
import { defaultCallerId } from '../config/defaults.js'
import { McshError } from '../util/errors.js'
import { createPsk } from './psk.js'
import type { SecurityPlugin } from './types.js'

export type SecurityFactory = (config: Readonly<Config>) => SecurityPlugin

export const securityPlugins = {
  psk: (config) => createPsk({ psk: config.security.psk ?? '', callerId: config.security.callerId ?? defaultCallerId() }),
} satisfies Record<string, SecurityFactory>

export function createSecurity(config: Readonly<Config>): SecurityPlugin {
  const factory = (securityPlugins as Record<string, SecurityFactory | undefined>)[config.security.plugin]
  if (!factory)
    throw new McshError(
      'MCSH_CONFIG_INVALID',
      `unknown security plugin '${config.security.plugin}'; available: ${Object.keys(securityPlugins).join(', ')}`,
    )
  return factory(config)
}
