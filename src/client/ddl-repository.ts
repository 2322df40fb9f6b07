import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { builtinAgentDir } from '../agents/loader.js'
import { loadDdlFile, type Ddl } from '../ddl/index.js'
import { McshError } from '../util/errors.js'

/**
 * The client's DDLs, read lazily from the package's agents/ and the configured agent folders; later
 * folders win. The client validates inputs and takes timeouts from here before anything is sent.
 */
export class DdlRepository {
  private readonly dirs: string[]
  private readonly cache = new Map<string, Promise<Ddl | undefined>>()

  constructor(dirs: readonly string[], o: { includeBuiltin?: boolean } = {}) {
    this.dirs = [...(o.includeBuiltin === false ? [] : [builtinAgentDir()]), ...dirs.map((d) => resolve(d))]
  }

  /** undefined when no folder has a DDL for the agent. */
  get(agent: string): Promise<Ddl | undefined> {
    let p = this.cache.get(agent)
    if (!p) {
      p = this.find(agent)
      this.cache.set(agent, p)
      p.catch(() => this.cache.delete(agent))
    }
    return p
  }

  async require(agent: string): Promise<Ddl> {
    const ddl = await this.get(agent)
    if (!ddl) {
      const known = await this.names()
      throw new McshError('MCSH_DDL_NOT_FOUND', `no DDL for agent '${agent}' on this client; known agents: ${known.join(', ') || 'none'} (add its folder to agentDirs)`)
    }
    return ddl
  }

  async names(): Promise<string[]> {
    const names = new Set<string>()
    for (const dir of this.dirs) {
      try {
        for (const e of await readdir(dir, { withFileTypes: true })) if (e.isDirectory() && existsSync(join(dir, e.name, `${e.name}.ddl.json5`))) names.add(e.name)
      } catch {
        // a missing folder holds no agents
      }
    }
    return [...names].sort()
  }

  private async find(agent: string): Promise<Ddl | undefined> {
    if (!/^[a-z][a-z0-9_]*$/.test(agent)) return undefined
    for (const dir of [...this.dirs].reverse()) {
      const file = join(dir, agent, `${agent}.ddl.json5`)
      if (existsSync(file)) return loadDdlFile(file)
    }
    return undefined
  }
}
