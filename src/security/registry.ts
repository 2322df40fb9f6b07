import { readFileSync, statSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import { join } from 'node:path'
import type { Config } from '../config/types.js'
import { defaultCallerId } from '../config/defaults.js'
import { McshError, errorMessage } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import { createNone } from './none.js'
import type { Credentials } from './pki.js'
import { createPsk } from './psk.js'
import { createSsl, SslVerifier } from './ssl.js'
import type { SecurityPlugin } from './types.js'

export interface SecurityContext {
  /** A client signs requests; a server (daemon) signs replies. */
  role: 'client' | 'server'
  /** The node's identity (servers), for default certificate file names. */
  identity?: string
  /** Certificate and key in memory (simulated nodes), instead of files. */
  credentials?: Credentials
  /** Shared by the nodes of a simulated fleet. */
  verifier?: SslVerifier
  logger?: Logger
}

export type SecurityFactory = (config: Readonly<Config>, ctx: SecurityContext) => SecurityPlugin

export const securityPlugins = {
  ssl: (config, ctx) => {
    const files = sslFiles(config, ctx)
    const credentials = ctx.credentials ?? { certPem: readPem(files.cert, 'certificate'), keyPem: readPrivateKey(files.key) }
    return createSsl({ ...credentials, verifier: ctx.verifier ?? new SslVerifier(readPem(files.ca, 'CA')) })
  },
  psk: (config) => createPsk({ psk: config.security.psk ?? '', callerId: config.security.callerId ?? defaultCallerId() }),
  none: (config, ctx) => {
    if (config.security.insecure !== true)
      throw new McshError('MCSH_CONFIG_INVALID', "security plugin 'none' signs and checks nothing: set security.insecure: true to accept that (labs only), or use ssl")
    ctx.logger?.warn('SECURITY IS OFF: plugin none, nothing is signed or verified; anyone who reaches the broker can run any action')
    return createNone({ callerId: config.security.callerId ?? defaultCallerId() })
  },
} satisfies Record<string, SecurityFactory>

export function createSecurity(config: Readonly<Config>, ctx: SecurityContext = { role: 'client' }): SecurityPlugin {
  const factory = (securityPlugins as Record<string, SecurityFactory | undefined>)[config.security.plugin]
  if (!factory)
    throw new McshError(
      'MCSH_CONFIG_INVALID',
      `unknown security plugin '${config.security.plugin}'; available: ${Object.keys(securityPlugins).join(', ')}`,
    )
  return factory(config, ctx)
}

/** Where the ssl files are: configured, else `~/.mcsh/ssl/<user>.pem` (clients) or `/etc/mcsh/ssl/<identity>.pem` (daemons). */
export function sslFiles(config: Readonly<Config>, ctx: Pick<SecurityContext, 'role' | 'identity'>): { ca: string; cert: string; key: string } {
  const dir = ctx.role === 'client' ? defaultClientSslDir() : '/etc/mcsh/ssl'
  const name = ctx.role === 'client' ? safeUserName() : (ctx.identity ?? config.identity)
  return {
    ca: config.security.ca ?? join(dir, 'ca.pem'),
    cert: config.security.cert ?? join(dir, `${name}.pem`),
    key: config.security.key ?? join(dir, `${name}.key`),
  }
}

export function defaultClientSslDir(): string {
  return join(process.env.MCSH_HOME ?? join(homedir(), '.mcsh'), 'ssl')
}

function safeUserName(): string {
  try {
    return userInfo().username
  } catch {
    return 'client'
  }
}

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (e) {
    throw new McshError(
      'MCSH_SECURITY_CONFIG',
      `cannot read the ${what} file ${file} for security plugin ssl: ${errorMessage(e)}. Create one with 'mcsh pki init' and 'mcsh pki issue', or set security.${what === 'CA' ? 'ca' : 'cert'}`,
    )
  }
}

/** Refuses a private key that others can read: a leaked key lets anyone act as its owner. */
export function readPrivateKey(file: string): string {
  let mode: number
  try {
    mode = statSync(file).mode
  } catch (e) {
    throw new McshError('MCSH_SECURITY_CONFIG', `cannot read the private key ${file}: ${errorMessage(e)}. Create one with 'mcsh pki issue', or set security.key`)
  }
  if (mode & 0o004)
    throw new McshError('MCSH_SECURITY_KEY_PERMS', `private key ${file} is readable by everyone (mode ${(mode & 0o777).toString(8)}): run chmod 600 ${file}`)
  return readFileSync(file, 'utf8')
}
