import { McshError } from '../util/errors.js'
import type { TextResult } from './result.js'
import type { Command } from './types.js'

export const historyCommand: Command = {
  name: 'history',
  summary: 'the commands of this session and earlier ones (Ctrl-R searches them)',
  usage: 'history [N]',
  options: [],
  needsBroker: false,
  async run(args, { session }): Promise<TextResult> {
    const [count] = args
    const n = count === undefined ? 50 : Number(count)
    if (!Number.isInteger(n) || n < 1) throw new McshError('MCSH_USAGE', `usage: history [N], N a whole number of entries to show, not '${count}'`)
    const all = session.history
    const start = Math.max(0, all.length - n)
    const lines = all.slice(start).map((line, i) => `${String(start + i + 1).padStart(5)}  ${line}`)
    return { kind: 'text', text: lines.join('\n') || '(no history yet)', data: { history: all.slice(start) } }
  },
}

export const exitCommand: Command = {
  name: 'exit',
  aliases: ['quit'],
  summary: 'leave the shell (Ctrl-D does too)',
  usage: 'exit [STATUS]',
  options: [],
  needsBroker: false,
  async run(args) {
    const code = args[0] === undefined ? 0 : Number(args[0])
    if (!Number.isInteger(code) || code < 0 || code > 255) throw new McshError('MCSH_USAGE', `exit status must be 0 to 255, not '${args[0]}'`)
    return { kind: 'exit', code }
  },
}
