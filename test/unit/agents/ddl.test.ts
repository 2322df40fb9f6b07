import { describe, expect, it } from 'vitest'
import { loadAgent } from '../../../src/agents/loader.js'
import { computeAggregates } from '../../../src/ddl/index.js'
import { agentDir, loadStandardAgent, STANDARD_AGENTS } from './fake-host.js'

const TIMEOUTS: Record<string, number> = { package: 300, service: 60, process: 10, filemgr: 30, nettest: 10, shell: 300 }

describe.each(STANDARD_AGENTS)('the %s agent', (name) => {
  it('has a DDL that parses, named after its folder, with the agreed time-out', async () => {
    const agent = await loadStandardAgent(name)
    expect(agent.ddl.metadata.name).toBe(name)
    expect(agent.ddl.metadata.timeoutSeconds).toBe(TIMEOUTS[name])
  })

  it('implements exactly the actions its DDL declares', async () => {
    const agent = await loadStandardAgent(name)
    expect(Object.keys(agent.actions).sort()).toEqual(Object.keys(agent.ddl.actions).sort())
  })

  it('loads through the agent loader', async () => {
    const loaded = await loadAgent(agentDir(name), name)
    expect(Object.keys(loaded.actions).sort()).toEqual(Object.keys(loaded.ddl.actions).sort())
  })

  it('documents every input and output for help and tables', async () => {
    const agent = await loadStandardAgent(name)
    for (const action of Object.values(agent.ddl.actions)) {
      expect(action.description.length, `${name} ${action.name}`).toBeGreaterThan(10)
      for (const input of Object.values(action.inputs)) {
        expect(input.prompt, `${name} ${action.name} ${input.name}`).not.toBe(input.description)
        expect(input.description.length).toBeGreaterThan(10)
        if (input.type === 'string') expect(input.maxlength, `${name} ${action.name} ${input.name} maxlength`).toBeGreaterThan(0)
      }
      for (const output of Object.values(action.outputs)) {
        expect(output.description.length, `${name} ${action.name} ${output.name}`).toBeGreaterThan(5)
        expect(output.displayAs.length).toBeGreaterThan(0)
        expect(output.type).toBeDefined()
      }
    }
  })

  it('has aggregates that summarize its outputs', async () => {
    const agent = await loadStandardAgent(name)
    for (const action of Object.values(agent.ddl.actions)) {
      // Computing over no replies must not throw for any declared aggregate.
      expect(() => computeAggregates(action, [])).not.toThrow()
    }
  })
})
