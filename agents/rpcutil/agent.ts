import { defineAgent, RpcError } from '../../src/agents/define.js'
import { Status } from '../../src/protocol/status.js'

export default defineAgent({
  ddl: 'rpcutil',
  actions: {
    ping: () => ({ pong: Math.floor(Date.now() / 1000) }),

    inventory: (_inputs, { node }) => ({
      agents: node.agents().map((a) => a.agent),
      facts: node.facts(),
      classes: node.classes(),
      collectives: node.collectives,
      main_collective: node.collectives[0],
      version: node.version,
      data_plugins: node.dataPlugins,
    }),

    get_fact: ({ fact }, { node }) => ({ fact, value: node.fact(fact) ?? null }),

    get_facts: ({ facts }, { node }) => {
      const names = String(facts)
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean)
      if (names.length === 0) throw new RpcError(Status.InvalidData, "input 'facts' names no fact: give a comma-separated list such as os,role")
      return { values: Object.fromEntries(names.map((n) => [n, node.fact(n) ?? null])) }
    },

    agent_inventory: (_inputs, { node }) => ({ agents: node.agents() }),

    daemon_stats: (_inputs, { node }) => node.stats(),

    collective_info: (_inputs, { node }) => ({ main_collective: node.collectives[0], collectives: node.collectives }),
  },
})
