import type { FactTerm, Filter } from './types.js'

function factLabel(t: FactTerm): string {
  return `${t.fact}${t.operator === '==' ? '=' : t.operator}${t.value}`
}

/**
 * Short labels for a prompt or a summary, in a stable order: facts (`os=linux`, `memory>=4096`),
 * `class:apache`, `identity:/^web/`, `agent:package`, `where:(os=linux and role=web)`.
 */
export function describeFilter(filter: Filter): string[] {
  return [
    ...filter.fact.map(factLabel),
    ...filter.class.map((c) => `class:${c}`),
    ...filter.identity.map((i) => `identity:${i}`),
    ...filter.agent.map((a) => `agent:${a}`),
    ...filter.compound.map((c) => `where:(${c.trim()})`),
  ]
}

/** One line: the labels joined by spaces, or `all nodes` for an empty filter. */
export function summarizeFilter(filter: Filter): string {
  const labels = describeFilter(filter)
  return labels.length === 0 ? 'all nodes' : labels.join(' ')
}
