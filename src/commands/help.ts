import type { ActionDdl, Ddl } from '../ddl/index.js'
import { describeValidation } from '../ddl/index.js'
import { McshError } from '../util/errors.js'
import { formatOptionHelp } from './options.js'
import type { TextResult } from './result.js'
import type { Command } from './types.js'

/** Set by the registry, to avoid an import cycle. */
let listCommands: () => Command[] = () => []
export function setHelpCommandList(list: () => Command[]): void {
  listCommands = list
}

export const helpCommand: Command = {
  name: 'help',
  aliases: ['?'],
  summary: 'commands, or an agent and its actions from the DDL',
  usage: 'help [COMMAND | AGENT [ACTION]]',
  options: [],
  needsBroker: false,
  async run(args, { session }): Promise<TextResult> {
    const [first, second] = args
    if (!first) return { kind: 'text', text: commandList(), data: { commands: listCommands().map((c) => ({ name: c.name, usage: c.usage, summary: c.summary })) } }
    const command = listCommands().find((c) => c.name === first || c.aliases?.includes(first))
    if (command && !second) return { kind: 'text', text: commandHelp(command), data: { name: command.name, usage: command.usage, summary: command.summary } }
    const ddl = await session.client.ddls.get(first)
    if (!ddl) {
      const agents = await session.client.ddls.names()
      throw new McshError('MCSH_USAGE', `no command or agent named '${first}'; commands: ${listCommands().map((c) => c.name).join(', ')}; agents: ${agents.join(', ')}`)
    }
    if (!second) return { kind: 'text', text: agentHelp(ddl), data: { metadata: ddl.metadata, actions: Object.keys(ddl.actions) } }
    const action = ddl.actions[second]
    if (!action) throw new McshError('MCSH_USAGE', `agent '${first}' has no action '${second}'; its actions: ${Object.keys(ddl.actions).sort().join(', ')}`)
    return { kind: 'text', text: actionHelp(ddl, action), data: action }
  },
}

function commandList(): string {
  const commands = listCommands()
  const width = Math.max(...commands.map((c) => c.name.length)) + 2
  return [
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    "'help COMMAND' for its options, 'help AGENT' for an agent's actions, 'help AGENT ACTION' for inputs and outputs.",
    "An agent action can be called as 'rpc AGENT ACTION key=value' or just 'AGENT ACTION key=value'.",
  ].join('\n')
}

function commandHelp(c: Command): string {
  const lines = [`usage: ${c.usage}`, '', c.summary]
  if (c.details) lines.push('', c.details)
  if (c.options.length) lines.push('', 'Options:', formatOptionHelp(c.options))
  return lines.join('\n')
}

export function agentHelp(ddl: Ddl): string {
  const m = ddl.metadata
  const actions = Object.values(ddl.actions).sort((a, b) => a.name.localeCompare(b.name))
  const width = Math.max(...actions.map((a) => a.name.length)) + 2
  return [
    `${m.name} — ${m.description}`,
    `  version ${m.version}, ${m.license}, by ${m.author}; timeout ${m.timeoutSeconds} s${m.url ? `; ${m.url}` : ''}`,
    '',
    'Actions:',
    ...actions.map((a) => `  ${a.name.padEnd(width)}${a.description}`),
    '',
    `'help ${m.name} ACTION' for its inputs and outputs.`,
  ].join('\n')
}

export function actionHelp(ddl: Ddl, action: ActionDdl): string {
  const lines = [`${ddl.metadata.name} ${action.name} — ${action.description}`, '']
  const inputs = Object.values(action.inputs)
  const example = inputs.filter((i) => !i.optional).map((i) => `${i.name}=${i.type === 'list' && i.list?.length ? String(i.list[0]) : i.type.toUpperCase()}`)
  lines.push(`usage: rpc ${ddl.metadata.name} ${action.name}${example.length ? ' ' + example.join(' ') : ''}`, '')
  if (inputs.length === 0) lines.push('Inputs: none')
  else {
    lines.push('Inputs:')
    for (const i of inputs) {
      const facts = [i.type + (i.type === 'list' && i.list ? ` of ${i.list.map(String).join('|')}` : ''), i.optional ? 'optional' : 'required']
      if (i.default !== undefined) facts.push(`default ${JSON.stringify(i.default)}`)
      if (i.validation) facts.push(`must ${describeValidation(i.validation)}`)
      if (i.maxlength) facts.push(`max ${i.maxlength} chars`)
      lines.push(`  ${i.name}  (${facts.join(', ')})`, `      ${i.description}`)
    }
  }
  lines.push('')
  const outputs = Object.values(action.outputs)
  if (outputs.length === 0) lines.push('Outputs: none')
  else {
    lines.push('Outputs:')
    for (const o of outputs) lines.push(`  ${o.name}  "${o.displayAs}"${o.default !== undefined ? ` (default ${JSON.stringify(o.default)})` : ''}`, `      ${o.description}`)
  }
  if (action.aggregate.length) lines.push('', 'Summaries: ' + action.aggregate.map((a) => `${a.function}(${a.output})`).join(', '))
  return lines.join('\n')
}
