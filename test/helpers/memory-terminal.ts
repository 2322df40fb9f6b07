import type { Terminal } from '../../src/shell/executor.js'

/** A terminal that keeps what is printed, for tests of the command layer. */
export function memoryTerminal(o: { tty?: boolean; width?: number } = {}): Terminal & { stdout: string[]; stderr: string[]; clear(): void } {
  const stdout: string[] = []
  const stderr: string[] = []
  return {
    stdout,
    stderr,
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    width: o.width ?? 100,
    color: false,
    tty: o.tty ?? true,
    clear: () => {
      stdout.length = 0
      stderr.length = 0
    },
  }
}
