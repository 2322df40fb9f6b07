import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A temporary directory of fake commands (shell scripts) to pass as the real host's PATH, so tests
 * can drive package and service changes without touching the machine. Every fake logs its argv,
 * one line a call: `name [arg1] [arg2]`. Scripts keep state as files under `state`.
 */
export interface FakeBin {
  /** Pass this as `path`. */
  readonly dir: string
  readonly state: string
  add(name: string, body: string): void
  /** Argv lines logged so far. */
  calls(): string[]
  /** Lines the scripts wrote to `$LOG_ENV`. */
  envLines(): string[]
  cleanup(): void
}

export function createFakeBin(): FakeBin {
  const root = mkdtempSync(join(tmpdir(), 'mcsh-fakebin-'))
  const dir = join(root, 'bin')
  const state = join(root, 'state')
  mkdirSync(dir)
  mkdirSync(state)
  const argvLog = join(root, 'argv.log')
  const envLog = join(root, 'env.log')
  const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter((l) => l !== '') : [])
  return {
    dir,
    state,
    add(name, body) {
      const file = join(dir, name)
      writeFileSync(
        file,
        [
          '#!/bin/sh',
          'PATH=/usr/bin:/bin',
          `STATE='${state}'`,
          `LOG_ENV='${envLog}'`,
          `{ printf '%s' '${name}'; for a in "$@"; do printf ' [%s]' "$a"; done; printf '\\n'; } >> '${argvLog}'`,
          body,
          '',
        ].join('\n'),
      )
      chmodSync(file, 0o755)
    },
    calls: () => read(argvLog),
    envLines: () => read(envLog),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  }
}
