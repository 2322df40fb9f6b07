import { readFile } from 'node:fs/promises'
import { McshError, errorMessage } from '../util/errors.js'

export interface ReadClassesOptions {
  /** A missing file is then no classes instead of an error. */
  optional?: boolean
}

/** Puppet's classes.txt: one class a line, trimmed; blank lines and `#` comment lines skipped; duplicates dropped, order kept. */
export function parseClasses(text: string): string[] {
  const seen = new Set<string>()
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    seen.add(line)
  }
  return [...seen]
}

export async function readClassesFile(path: string, opts: ReadClassesOptions = {}): Promise<string[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') {
      if (opts.optional) return []
      throw new McshError(
        'MCSH_CLASSES_NOT_FOUND',
        `classes file ${path} does not exist (Puppet writes it on its first run; set the classes file path, or make it optional)`,
        { cause: e },
      )
    }
    throw new McshError('MCSH_CLASSES_UNREADABLE', `cannot read classes file ${path}: ${errorMessage(e)}`, { cause: e })
  }
  return parseClasses(text)
}
