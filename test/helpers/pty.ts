import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mcshBin } from './spawn.js'

/** Whether util-linux `script` can give us a pseudo-terminal here; the reason when not. */
export function ptyAvailable(): { ok: true } | { ok: false; reason: string } {
  const r = spawnSync('script', ['-qec', 'true', '/dev/null'], { stdio: 'ignore', timeout: 5000 })
  if (r.error) return { ok: false, reason: `util-linux 'script' is not available (${r.error.message}); install util-linux (bsdutils)` }
  if (r.status !== 0) return { ok: false, reason: `'script' cannot allocate a pseudo-terminal here (exit ${r.status})` }
  return { ok: true }
}

// eslint-disable-next-line no-control-regex
const ansi = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r/g

function screen(raw: string): string {
  return raw.replace(/[^\n]*\r\x1b\[2K/g, '').replace(ansi, '')
}

/**
 * The real mcsh shell in a pseudo-terminal (util-linux `script`), driven by keystrokes: what an
 * operator types, including Tab, Ctrl-C, Ctrl-R and Ctrl-D.
 */
export class PtyShell {
  private raw = ''
  private markAt = 0
  readonly exited: Promise<number | null>

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (d) => (this.raw += d))
    child.stderr?.on('data', (d) => (this.raw += d))
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)))
  }

  static start(args: string[], o: { env?: Record<string, string>; cols?: number } = {}): PtyShell {
    const quoted = [process.execPath, mcshBin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
    const child = spawn('script', ['-qfec', `stty cols ${o.cols ?? 100} rows 40; exec ${quoted}`, '/dev/null'], {
      env: { ...process.env, NO_COLOR: '1', TERM: 'xterm', ...o.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    return new PtyShell(child)
  }

  /** Everything printed so far as a terminal would show it: cleared lines gone, no colours or carriage returns. */
  get output(): string {
    return screen(this.raw)
  }

  /** Output since the last mark. */
  get recent(): string {
    return screen(this.raw.slice(this.markAt))
  }

  mark(): void {
    this.markAt = this.raw.length
  }

  type(keys: string): void {
    this.child.stdin?.write(keys)
  }

  /** Waits until the output since the last mark matches; fails with what was printed. */
  async waitFor(pattern: RegExp | string, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    const test = (s: string) => (typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s))
    while (Date.now() < deadline) {
      if (test(this.recent)) return this.recent
      if (this.child.exitCode !== null) break
      await new Promise((r) => setTimeout(r, 25))
    }
    throw new Error(`timed out waiting for ${String(pattern)}; the shell printed since the mark:\n${this.recent}`)
  }

  /** Ctrl-D, then waits (bounded) for the exit status; kills the shell if it hangs. */
  async close(timeoutMs = 5000): Promise<number | null> {
    if (this.child.exitCode === null) this.type('\x04')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs)
    const code = await this.exited
    clearTimeout(timer)
    return code
  }
}
