import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let cached: { root: string; version: string } | undefined

/** The mcsh package folder, found from this file whether it runs from src/ (tests) or dist/src/. */
export function packageInfo(): { root: string; version: string } {
  if (cached) return cached
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'package.json')
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'mcsh') return (cached = { root: dir, version: pkg.version ?? '0.0.0' })
    }
    const parent = dirname(dir)
    if (parent === dir) throw new Error('cannot find the mcsh package.json above ' + fileURLToPath(import.meta.url))
    dir = parent
  }
}

export function packageRoot(): string {
  return packageInfo().root
}

export function packageVersion(): string {
  return packageInfo().version
}
