import type { Ddl } from '../ddl/index.js'
import type { ActionHandler, AgentSummary } from './define.js'

export interface LoadedAgent {
  name: string
  ddl: Ddl
  actions: Record<string, ActionHandler>
  /** Where it was loaded from, for `agent_inventory` and error messages. */
  origin: string
}

export function agentSummary(agent: LoadedAgent): AgentSummary {
  const m = agent.ddl.metadata
  return {
    agent: agent.name,
    name: m.name,
    description: m.description,
    version: m.version,
    author: m.author,
    license: m.license,
    timeout: m.timeoutSeconds,
  }
}
