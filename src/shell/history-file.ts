import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'

/**
 * `~/.mcsh/history`: one command a line, oldest first, bounded to `maxEntries` (trimmed when loaded).
 * Every command is appended as it is entered, so a crash loses nothing. Problems with the file
 * (read-only home, say) disable persistence quietly rather than break the shell.
 */
export class HistoryFile {
  readonly path: string
  private enabled = true

  constructor(
    path: string | undefined,
    readonly maxEntries = 1000,
  ) {
    this.path = path ?? process.env.MCSH_HISTORY ?? join(homedir(), '.mcsh', 'history')
  }

  load(): string[] {
    try {
      const lines = readFileSync(this.path, 'utf8').split('\n').filter((l) => l.trim())
      if (lines.length > this.maxEntries) {
        const kept = lines.slice(-this.maxEntries)
        writeFileSync(this.path, kept.join('\n') + '\n', { mode: 0o600 })
        return kept
      }
      return lines
    } catch {
      return []
    }
  }

  append(line: string): void {
    if (!this.enabled) return
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 })
      appendFileSync(this.path, line.replace(/\n/g, ' ') + '\n', { mode: 0o600 })
    } catch {
      this.enabled = false
    }
  }
}
