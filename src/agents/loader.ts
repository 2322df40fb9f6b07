import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { loadDdlFile } from '../ddl/index.js'
import { McshError, errorMessage } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import { silentLogger } from '../util/logger.js'
import { packageRoot } from '../util/package-root.js'
import type { AgentDefinition } from './define.js'
import { EXTERNAL_AGENT_FILES, externalActions, findExternalExecutable, type ExternalAgentOptions } from './external.js'
import type { LoadedAgent } from './registry.js'

export function builtinAgentDir(): string {
  return join(packageRoot(), 'agents')
}

/**
 * Loads every agent under the given folders: `DIR/NAME/NAME.ddl.json5` plus its implementation, in
 * this order: `agent.js` or `agent.mjs` (in-process); for folders inside the mcsh package the compiled
 * `dist/<same folder>/agent.js` (or `agent.ts` when run from source by vitest); else an executable
 * `agent`, `agent.py`, `agent.sh` or `agent.rb` (external, src/agents/external.ts).
 * A later folder's agent replaces an earlier one of the same name. A broken agent is logged and
 * skipped, so one bad agent does not keep a daemon down.
 */
export async function loadAgents(options: {
  dirs: readonly string[]
  includeBuiltin?: boolean
  logger?: Logger
  strict?: boolean
  external?: ExternalAgentOptions
}): Promise<Map<string, LoadedAgent>> {
  const log = options.logger ?? silentLogger
  const dirs = [...(options.includeBuiltin === false ? [] : [builtinAgentDir()]), ...options.dirs.map((d) => resolve(d))]
  const agents = new Map<string, LoadedAgent>()
  for (const dir of dirs) {
    let entries: string[]
    try {
      entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()
    } catch (e) {
      const err = new McshError('MCSH_AGENT_DIR', `cannot read agent folder ${dir}: ${errorMessage(e)}`, { cause: e })
      if (options.strict) throw err
      log.warn(err.message)
      continue
    }
    for (const name of entries) {
      try {
        agents.set(name, await loadAgent(join(dir, name), name, options.external))
      } catch (e) {
        if (options.strict) throw e
        log.error('agent not loaded', { agent: name, dir, error: errorMessage(e) })
      }
    }
  }
  return agents
}

export async function loadAgent(dir: string, name: string, external?: ExternalAgentOptions): Promise<LoadedAgent> {
  const ddlPath = join(dir, `${name}.ddl.json5`)
  if (!existsSync(ddlPath)) throw new McshError('MCSH_DDL_NOT_FOUND', `agent '${name}' in ${dir} has no DDL: expected ${ddlPath}`)
  const ddl = await loadDdlFile(ddlPath)
  if (ddl.metadata.name !== name)
    throw new McshError('MCSH_DDL_INVALID', `${ddlPath}: metadata.name is '${ddl.metadata.name}' but the agent folder is '${name}'`)
  const implPath = implementationPath(dir)
  if (!implPath) {
    const executable = await findExternalExecutable(resolve(dir))
    if (executable) return { name, ddl, actions: externalActions({ name, ddl, executable, dir: resolve(dir) }, external), origin: executable }
    throw new McshError(
      'MCSH_AGENT_NO_IMPL',
      `agent '${name}' in ${dir} has no implementation: expected agent.js or agent.mjs, or an executable ${EXTERNAL_AGENT_FILES.join(', ')}`,
    )
  }
  let mod: { default?: AgentDefinition }
  try {
    mod = (await import(pathToFileURL(implPath).href)) as { default?: AgentDefinition }
  } catch (e) {
    const hint = implPath.endsWith('.ts') ? ' (TypeScript runs only once compiled: run `npm run build`)' : ''
    throw new McshError('MCSH_AGENT_LOAD', `agent '${name}': cannot load ${implPath}: ${errorMessage(e)}${hint}`, { cause: e })
  }
  const def = mod.default
  if (!def || typeof def !== 'object' || typeof def.actions !== 'object')
    throw new McshError('MCSH_AGENT_LOAD', `agent '${name}': ${implPath} must export default defineAgent({ ddl, actions })`)
  for (const action of Object.keys(def.actions))
    if (!ddl.actions[action]) throw new McshError('MCSH_AGENT_LOAD', `agent '${name}': action '${action}' is implemented but not declared in ${ddlPath}`)
  return { name, ddl, actions: def.actions, origin: implPath }
}

function implementationPath(dir: string): string | undefined {
  for (const file of ['agent.js', 'agent.mjs']) {
    const p = join(dir, file)
    if (existsSync(p)) return p
  }
  // The package's own TypeScript agents (agents/, examples/agents/) compile to dist/ with the same layout.
  const root = packageRoot()
  const inPackage = relative(root, resolve(dir))
  if (inPackage && !inPackage.startsWith('..') && !isAbsolute(inPackage) && !inPackage.startsWith(`dist${sep}`) && !inPackage.startsWith(`node_modules${sep}`)) {
    const compiled = join(root, 'dist', inPackage, 'agent.js')
    if (existsSync(compiled)) return compiled
    const source = join(dir, 'agent.ts')
    if (existsSync(source)) return source
  }
  return undefined
}
