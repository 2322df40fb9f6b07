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

  /**
   * Takes typed text (one key or a pasted run); returns what follows the key that ended the search,
   * for the line editor.
   */
  feed(text: string): string {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i] as string
      if (ch === '\r' || ch === '\n') {
        this.finish(this.match ?? this.saved, true)
        return text.slice(i + 1)
      }
      if (ch === '\x07' || (ch === '\x1b' && !/^[[O]/.test(text.slice(i + 1)))) {
        this.finish(this.saved, false)
        return text.slice(i + 1)
      }
      if (ch === '\x03') {
        this.finish('', false)
        return text.slice(i + 1)
      }
      if (ch === '\x12') {
        this.find(this.index + 1)
        continue
      }
      if (ch === '\x7f' || ch === '\b') {
        this.query = this.query.slice(0, -1)
        this.find(0)
        continue
      }
      if (ch >= ' ') {
        this.query += ch
        this.find(Math.max(0, this.index))
        continue
      }
      // Any other key (arrows, Tab, Ctrl-E…): the match goes on the line for editing, the key to the editor.
      this.finish(this.match ?? this.saved, false)
      return text.slice(i)
    }
    return ''
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
