import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

/** The config file: --config, then MCSH_CONFIG, then the first of the usual places that exists. */
export function findConfigFile(explicit: string | undefined, role: 'client' | 'daemon', env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (explicit) return explicit
  if (env.MCSH_CONFIG) return env.MCSH_CONFIG
  const candidates =
    role === 'client' ? [join(homedir(), '.mcsh', 'client.json5'), '/etc/mcsh/client.json5'] : ['/etc/mcsh/server.json5']
  return candidates.find((c) => existsSync(c))
}
