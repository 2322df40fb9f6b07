import { existsSync } from 'node:fs'
import { ScriptRecorder } from './recorder.js'
import { McshError, errorMessage } from '../util/errors.js'
import type { TextResult } from './result.js'
import type { Command } from './types.js'

export const recordCommand: Command = {
  name: 'record',
  summary: 'record the following commands, with the scope in force, as a replayable .mcsh script',
  usage: 'record start FILE [--append] | record stop | record',
  options: [],
  details: "Replay with 'mcsh FILE' or 'source FILE'; add --dry-run to see what would run without sending RPCs.",
  needsBroker: false,
  async run(args, { session }): Promise<TextResult> {
    const [op, file, ...rest] = args
    if (!op) {
      const r = session.recorder
      return { kind: 'text', text: r ? `recording to ${r.path}` : 'not recording', data: { recording: r?.path ?? null } }
    }
    if (op === 'stop') {
      const r = session.recorder
      if (!r) throw new McshError('MCSH_USAGE', "not recording: 'record start FILE' starts")
      r.close()
      session.recorder = undefined
      return { kind: 'text', text: `recording stopped: replay it with 'mcsh ${r.path}' or 'source ${r.path}'`, data: { recorded: r.path } }
    }
    if (op !== 'start') throw new McshError('MCSH_USAGE', `usage: ${recordCommand.usage}`)
    if (!file) throw new McshError('MCSH_USAGE', 'usage: record start FILE [--append]')
    const append = rest.includes('--append')
    if (rest.some((a) => a !== '--append')) throw new McshError('MCSH_USAGE', `usage: ${recordCommand.usage}`)
    if (session.recorder) throw new McshError('MCSH_USAGE', `already recording to ${session.recorder.path}: 'record stop' first`)
    if (!append && existsSync(file)) throw new McshError('MCSH_USAGE', `${file} exists: choose another name or add --append`)
    try {
      session.recorder = ScriptRecorder.start(file, session, { append })
    } catch (e) {
      throw new McshError('MCSH_USAGE', `cannot record to ${file}: ${errorMessage(e)}`)
    }
    return { kind: 'text', text: `recording to ${file}; 'record stop' ends it`, data: { recording: file } }
  },
}
