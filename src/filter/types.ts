import type { Facts } from '../facts/types.js'

export type FactOperator = '==' | '!=' | '<' | '>' | '<=' | '>=' | '=~'

/** `value` is the text after the operator; with `=~` (or `==` and a `/re/` value) it is a regular expression. */
export interface FactTerm {
  fact: string
  operator: FactOperator
  value: string
}

/**
 * A filter as data, the same on the client and on the wire. Facts, classes, agents and compound
 * expressions are ANDed; identities are ORed (a request for `-I a -I b` reaches both), as in MCollective.
 * Class, identity and agent entries are a plain name or a `/regex/` (optionally `/regex/i`).
 */
export interface Filter {
  fact: FactTerm[]
  class: string[]
  identity: string[]
  agent: string[]
  compound: string[]
}

/** What a node knows about itself, for matching. */
export interface NodeInventory {
  identity: string
  facts: Facts
  classes: ReadonlySet<string>
  agents: ReadonlySet<string>
}

export function emptyFilter(): Filter {
  return { fact: [], class: [], identity: [], agent: [], compound: [] }
}
