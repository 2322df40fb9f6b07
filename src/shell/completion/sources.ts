import { readdir } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import type { CommandRegistry } from '../../commands/registry.js'
import type { Session } from '../../commands/session.js'
import { settingSpecs } from '../../commands/set.js'
import type { CompletionSources } from './complete.js'

/** How long a Tab may wait for the fleet's inventory before answering with what is known. */
const FLEET_WAIT_MS = 700

/** Completion from the DDLs (local, fast) and the session's view of the fleet (bounded waits). */
export function sessionSources(session: Session, registry: CommandRegistry): CompletionSources {
  const ddls = session.client.ddls
  const fleet = async () => {
    await session.inventory.ensure(FLEET_WAIT_MS).catch(() => undefined)
    return session.inventory
  }
  return {
    commands: () => registry.list().flatMap((c) => [c.name, ...(c.aliases ?? []).filter((a) => /^[a-z]/.test(a))]),
    options: (command) => {
      const c = registry.get(command)
      return (c?.options ?? []).flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])]).concat(['--json', '--jsonl', '--csv', '--yaml', '--text'])
    },
    agents: async () => [...new Set([...(await ddls.names()), ...session.inventory.agents()])].sort(),
    actions: async (agent) => Object.keys((await ddls.get(agent).catch(() => undefined))?.actions ?? {}).sort(),
    inputs: async (agent, action) => {
      const a = (await ddls.get(agent).catch(() => undefined))?.actions[action]
      return a ? Object.values(a.inputs).map((i) => ({ name: i.name, type: i.type, ...(i.list ? { list: i.list } : {}) })) : []
    },
    factNames: async () => (await fleet()).factNames(),
    factValues: async (fact) => (await fleet()).factValues(fact),
    classes: async () => (await fleet()).classes(),
    identities: async () => {
      const known = session.inventory.identities()
      return known.length ? known : (await fleet()).identities()
    },
    collectives: () => [...session.config.collectives],
    settings: () => Object.fromEntries(Object.entries(settingSpecs).map(([k, v]) => [k, v.values])),
    scopeTermCount: () => session.scopeTerms.length,
    lastNodes: () => {
      const r = session.lastResult
      return r?.kind === 'rpc' ? [...r.rpc.discovered] : []
    },
    files: (prefix) => listFiles(prefix),
  }
}

/** Paths starting with `prefix` (`~/` understood); folders end with '/'. */
async function listFiles(prefix: string): Promise<string[]> {
  const expanded = prefix.startsWith('~/') ? join(homedir(), prefix.slice(2)) : prefix
  const dir = expanded.endsWith('/') ? expanded : dirname(expanded)
  const base = expanded.endsWith('/') ? '' : basename(expanded)
  const shownDir = prefix.endsWith('/') ? prefix : prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : ''
  try {
    const entries = await readdir(dir || '.', { withFileTypes: true })
    return entries
      .filter((e) => e.name.startsWith(base) && (base.startsWith('.') || !e.name.startsWith('.')))
      .map((e) => shownDir + e.name + (e.isDirectory() ? '/' : ''))
      .sort()
      .slice(0, 200)
  } catch {
    return []
  }
}
