import type { Progress } from '../commands/types.js'
import type { Terminal } from './executor.js'

/** Colour only on a terminal, and never with NO_COLOR or TERM=dumb. */
export function colorWanted(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb'
}

/** The process's stdout and stderr. */
export function stdioTerminal(): Terminal {
  const tty = Boolean(process.stdout.isTTY)
  return {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
    get width() {
      return process.stdout.columns || 100
    },
    color: colorWanted(process.stdout),
    tty,
    progress: () => stderrProgress(),
  }
}

/** One self-erasing line on stderr while a command waits; nothing unless stderr is a terminal. */
export function stderrProgress(): Progress {
  if (!process.stderr.isTTY) return {}
  let shown = false
  let lastDrawMs = 0
  const show = (text: string, force = false) => {
    const now = performance.now()
    if (!force && now - lastDrawMs < 80) return
    lastDrawMs = now
    process.stderr.write(`\r\x1b[2K${text}`)
    shown = true
  }
  return {
    discovered: (n, ms) => show(`discovering… ${n} ${n === 1 ? 'node' : 'nodes'} (${(ms / 1000).toFixed(1)} s)`),
    replied: (n, m, ms) => show(`replies ${n}/${m} (${(ms / 1000).toFixed(1)} s)  Ctrl-C stops waiting`, n === m),
    done: () => {
      if (shown) process.stderr.write('\r\x1b[2K')
      shown = false
    },
  }
}
