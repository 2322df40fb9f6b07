import { appendFileSync, closeSync, openSync } from 'node:fs'
import { formatMs } from '../util/duration.js'
import type { CommandResult } from './result.js'
import type { CommandRecorder, Session } from './session.js'
import { quoteWord } from './tokenize.js'

/** Commands that change nothing and would only clutter a replay. */
const notRecorded = new Set(['record', 'history', 'exit', 'quit', 'help', '?', 'last'])

/**
 * Writes a replayable `.mcsh` script: a header that restores the collective and scope in force, then
 * every command with comments giving time, scope and outcome. Each line is written at once (no
 * buffering), so a crash loses nothing.
 */
export class ScriptRecorder implements CommandRecorder {
  private closed = false

  private constructor(
    readonly path: string,
    private readonly fd: number,
  ) {}

  static start(path: string, session: Session, o: { append: boolean }): ScriptRecorder {
    const fd = openSync(path, o.append ? 'a' : 'wx')
    const r = new ScriptRecorder(path, fd)
    const lines = [
      `# mcsh session recorded ${new Date().toISOString()} by ${session.client.codec.security.callerId}`,
      `# replay: mcsh ${path}  (or 'source ${path}' in the shell; --dry-run shows what would run)`,
      `use ${session.collective}`,
      'filter reset',
      ...session.scopeTerms.map((t) => `filter ${t.kind} ${quoteWord(t.text)}`),
    ]
    r.write(lines)
    return r
  }

  static recordable(command: string): boolean {
    const first = command.trim().split(/\s+/)[0] ?? ''
    return first !== '' && !notRecorded.has(first)
  }

  record(command: string, outcome: { result?: CommandResult; error?: Error; scope: string }): void {
    if (this.closed || !ScriptRecorder.recordable(command)) return
    const time = new Date().toTimeString().slice(0, 8)
    this.write([`# ${time} · scope ${outcome.scope}`, command.trim(), `# → ${describeOutcome(outcome)}`])
  }

  close(): void {
    if (this.closed) return
    this.write([`# recording stopped ${new Date().toISOString()}`])
    this.closed = true
    closeSync(this.fd)
  }

  private write(lines: string[]): void {
    appendFileSync(this.fd, lines.map((l) => l.replace(/\n/g, ' ') + '\n').join(''))
  }
}

function describeOutcome(o: { result?: CommandResult; error?: Error }): string {
  if (o.error) return `error: ${o.error.message.split('\n')[0]}`
  const r = o.result
  if (!r) return 'nothing'
  switch (r.kind) {
    case 'rpc': {
      const s = r.rpc.stats
      return `${s.ok} ok, ${s.failed} failed, ${s.no_response} no response of ${s.discovered} discovered in ${formatMs(s.total_ms)}`
    }
    case 'discover':
      return `${r.nodes.length} nodes discovered`
    case 'ping':
      return `${r.replies.length} replies`
    case 'scope':
      return r.nodes === null ? 'scope changed' : `${r.nodes} nodes in scope`
    case 'facts':
      return `${r.values.length} distinct values from ${r.stats.responded} nodes`
    case 'nodes':
      return `${r.nodes.length} nodes`
    case 'inventory':
      return `inventory of ${r.node}`
    case 'text':
      return r.text.split('\n')[0]?.slice(0, 100) ?? ''
    case 'exit':
      return `exit ${r.code}`
  }
}
