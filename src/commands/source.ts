import { readFile } from 'node:fs/promises'
import { McshError, errorMessage } from '../util/errors.js'
import { ExitCode, type ExitCodeValue, type TextResult } from './result.js'
import type { Command } from './types.js'

export const sourceCommand: Command = {
  name: 'source',
  summary: 'run the commands of a script file (.mcsh) in this session',
  usage: 'source FILE [--dry-run]',
  options: [{ name: 'dry-run', kind: 'flag', help: 'discover, and print what each RPC would call, without sending RPCs' }],
  details: "With 'set errexit on' (in the script or before), the first failing command stops it.",
  needsBroker: false,
  async run(args, ctx): Promise<TextResult> {
    const dryRun = args.includes('--dry-run')
    const files = args.filter((a) => a !== '--dry-run')
    const [file] = files
    if (!file || files.length > 1) throw new McshError('MCSH_USAGE', 'usage: source FILE [--dry-run]')
    if (!ctx.execute) throw new McshError('MCSH_USAGE', "'source' needs a shell to run in")
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (e) {
      throw new McshError('MCSH_USAGE', `cannot read script ${file}: ${errorMessage(e)}`)
    }
    const session = ctx.session
    const wasDry = session.dryRun
    if (dryRun) session.dryRun = true
    let worst = 0
    let ran = 0
    let stoppedAt: number | undefined
    try {
      for (const [i, line] of text.split(/\r?\n/).entries()) {
        if (!line.trim() || line.trim().startsWith('#')) continue
        if (ctx.signal.aborted) break
        ran++
        const status = await ctx.execute(line)
        if (status !== ExitCode.OK) worst = status
        if (status !== ExitCode.OK && status !== ExitCode.NoNodes && session.settings.errexit) {
          stoppedAt = i + 1
          break
        }
      }
    } finally {
      session.dryRun = wasDry
    }
    const summary = stoppedAt !== undefined ? `${file}: stopped at line ${stoppedAt} (errexit) after ${ran} commands` : `${file}: ${ran} commands${dryRun ? ' (dry run)' : ''}`
    return { kind: 'text', text: summary, status: worst as ExitCodeValue, data: { file, commands: ran, status: worst, stopped_at_line: stoppedAt ?? null, dry_run: dryRun } }
  },
}
