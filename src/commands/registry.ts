import { closest } from '../config/load.js'
import { McshError } from '../util/errors.js'
import { agentsCommand } from './agents.js'
import { discoverCommand } from './discover.js'
import { factsCommand } from './facts.js'
import { helpCommand, setHelpCommandList } from './help.js'
import { exitCommand, historyCommand } from './history.js'
import { inventoryCommand } from './inventory.js'
import { lastCommand, retryCommand } from './last.js'
import { nodesCommand } from './nodes.js'
import { pingCommand } from './ping.js'
import { recordCommand } from './record.js'
import { rpcCommand } from './rpc.js'
import { filterCommand, scopeCommand, unfilterCommand, useCommand } from './scope.js'
import { setCommand } from './set.js'
import { sourceCommand } from './source.js'
import type { Session } from './session.js'
import type { Command } from './types.js'

export class CommandRegistry {
  private readonly commands = new Map<string, Command>()
  private readonly aliases = new Map<string, Command>()

  constructor(commands: Command[]) {
    for (const c of commands) this.add(c)
  }

  add(c: Command): void {
    this.commands.set(c.name, c)
    for (const a of c.aliases ?? []) this.aliases.set(a, c)
  }

  list(): Command[] {
    return [...this.commands.values()].sort((a, b) => a.name.localeCompare(b.name))
  }

  get(name: string): Command | undefined {
    return this.commands.get(name) ?? this.aliases.get(name)
  }

  /**
   * The command for a line's words. `AGENT ACTION ...` is the short form of `rpc AGENT ACTION ...`
   * when AGENT has a DDL on this client.
   */
  async resolve(words: string[], session: Session): Promise<{ command: Command; args: string[] }> {
    const [name, ...rest] = words
    if (!name) throw new McshError('MCSH_USAGE', 'empty command')
    const command = this.get(name)
    if (command) return { command, args: rest }
    const agents = await session.client.ddls.names()
    if (agents.includes(name)) {
      const rpc = this.get('rpc') as Command
      if (rest.length === 0) throw new McshError('MCSH_USAGE', `'${name}' is an agent: give an action, e.g. '${name} ACTION'; 'help ${name}' lists them`)
      return { command: rpc, args: words }
    }
    const hint = closest(name, [...this.commands.keys(), ...agents])
    throw new McshError('MCSH_USAGE', `unknown command '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}; 'help' lists the commands`)
  }
}

export function defaultCommands(): CommandRegistry {
  const registry = new CommandRegistry([
    helpCommand,
    discoverCommand,
    pingCommand,
    rpcCommand,
    agentsCommand,
    filterCommand,
    unfilterCommand,
    scopeCommand,
    useCommand,
    nodesCommand,
    setCommand,
    factsCommand,
    inventoryCommand,
    lastCommand,
    retryCommand,
    historyCommand,
    sourceCommand,
    recordCommand,
    exitCommand,
  ])
  setHelpCommandList(() => registry.list())
  return registry
}
