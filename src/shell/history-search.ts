import type { Interface } from 'node:readline'

/** readline's history, newest first (a public field in practice, not in the typings). */
function historyOf(rl: Interface): string[] {
  return (rl as unknown as { history: string[] }).history ?? []
}

/**
 * Ctrl-R reverse incremental search over the history, drawn on the prompt line: type to narrow,
 * Ctrl-R again for older matches, Enter runs the match, Esc or Ctrl-G gives the line back, any other
 * key (arrows, Tab, Ctrl-E…) puts the match on the line for editing.
 */
export class HistorySearch {
  active = false
  private query = ''
  private index = -1
  private saved = ''

  constructor(
    private readonly rl: Interface,
    private readonly prompt: () => string,
  ) {}

  start(): void {
    this.active = true
    this.query = ''
    this.index = -1
    this.saved = this.rl.line
    this.draw()
  }

  get match(): string | undefined {
    return this.index >= 0 ? historyOf(this.rl)[this.index] : undefined
  }

  feed(chunk: Buffer): void {
    const text = chunk.toString('utf8')
    if (text === '\r' || text === '\n') return this.finish(this.match ?? this.saved, true)
    if (text === '\x1b' || text === '\x07') return this.finish(this.saved, false)
    if (text === '\x12') return this.find(this.index + 1)
    if (text === '\x7f' || text === '\b') {
      this.query = this.query.slice(0, -1)
      return this.find(0)
    }
    if (text === '\x03') return this.finish('', false)
    if (/^[^\x00-\x1f\x7f]+$/.test(text) && !text.startsWith('\x1b')) {
      this.query += text
      return this.find(Math.max(0, this.index))
    }
    this.finish(this.match ?? this.saved, false)
  }

  private find(from: number): void {
    const history = historyOf(this.rl)
    const q = this.query.toLowerCase()
    let found = -1
    if (q) {
      for (let i = from; i < history.length; i++) {
        if ((history[i] as string).toLowerCase().includes(q)) {
          found = i
          break
        }
      }
    }
    if (found >= 0 || !q) this.index = found
    this.draw(found < 0 && q !== '')
  }

  private draw(failed = false): void {
    process.stdout.write(`\r\x1b[2K(${failed ? 'failed ' : ''}reverse-i-search)'${this.query}': ${this.match ?? ''}`)
  }

  private finish(line: string, submit: boolean): void {
    this.active = false
    process.stdout.write('\r\x1b[2K')
    this.rl.setPrompt(this.prompt())
    this.rl.write(null, { ctrl: true, name: 'e' })
    this.rl.write(null, { ctrl: true, name: 'u' })
    this.rl.prompt(true)
    this.rl.write(line)
    if (submit) this.rl.write('\r')
  }
}
