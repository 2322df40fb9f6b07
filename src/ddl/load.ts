import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import JSON5 from 'json5'
import { McshError } from '../util/errors.js'
import { parseDdl } from './schema.js'
import type { Ddl } from './types.js'

const DDL_SUFFIX = '.ddl.json5'

/**
 * Reads and checks a DDL file. Errors: MCSH_DDL_NOT_FOUND when the file does not exist,
 * MCSH_DDL_INVALID for unreadable JSON5, a DDL that fails `parseDdl`, or a file named
 * `NAME.ddl.json5` whose metadata.name is not NAME.
 */
export async function loadDdlFile(path: string): Promise<Ddl> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new McshError('MCSH_DDL_NOT_FOUND', `DDL file not found: ${path}`, { cause: e })
    }
    throw new McshError('MCSH_DDL_INVALID', `${path}: cannot read the DDL file: ${(e as Error).message}`, { cause: e })
  }
  const ddl = parseDdlText(text, path)
  const file = basename(path)
  if (file.endsWith(DDL_SUFFIX)) {
    const expected = file.slice(0, -DDL_SUFFIX.length)
    if (ddl.metadata.name !== expected) {
      throw new McshError(
        'MCSH_DDL_INVALID',
        `${path}: metadata.name: expected "${expected}" (the file name) but found "${ddl.metadata.name}"`,
      )
    }
  }
  return ddl
}

/** Parses JSON5 text and checks it with `parseDdl`; `origin` prefixes error messages. */
export function parseDdlText(text: string, origin = '<inline>'): Ddl {
  let source: unknown
  try {
    source = JSON5.parse(text)
  } catch (e) {
    const message = (e as Error).message.replace(/^JSON5: /, '')
    throw new McshError('MCSH_DDL_INVALID', `${origin}: not valid JSON5: ${message}`, { cause: e })
  }
  return parseDdl(source, origin)
}
