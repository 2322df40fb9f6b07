import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import JSON5 from 'json5'
import { parseDocument } from 'yaml'
import { McshError, errorMessage } from '../util/errors.js'
import { flattenFacts } from './flatten.js'
import type { FactSource } from './store.js'
import type { FactValue } from './types.js'

type Format = 'yaml' | 'json'

/**
 * Facts from a YAML (.yaml/.yml) or JSON/JSON5 (.json/.json5) file; any other extension is sniffed
 * (a leading `{` or `[` means JSON5, else YAML). The file must hold a mapping; it is flattened. An empty file
 * is no facts. Read on every load, so edits show up at the next refresh.
 */
export function fileFactSource(path: string): FactSource {
  return {
    name: `file:${path}`,
    async load() {
      let text: string
      try {
        text = await readFile(path, 'utf8')
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        if (code === 'ENOENT') throw new McshError('MCSH_FACTS_FILE_NOT_FOUND', `facts file ${path} does not exist`, { cause: e })
        throw new McshError('MCSH_FACTS_FILE_UNREADABLE', `cannot read facts file ${path}: ${errorMessage(e)}`, { cause: e })
      }
      text = text.replace(/^\uFEFF/, '')
      return parseFactsText(text, formatOf(path, text), path)
    },
  }
}

function formatOf(path: string, text: string): Format {
  const ext = extname(path).toLowerCase()
  if (ext === '.yaml' || ext === '.yml') return 'yaml'
  if (ext === '.json' || ext === '.json5') return 'json'
  return /^\s*[{[]/.test(text) ? 'json' : 'yaml'
}

function parseFactsText(text: string, format: Format, path: string): Record<string, FactValue> {
  let data: unknown
  if (format === 'yaml') {
    const doc = parseDocument(text)
    const err = doc.errors[0]
    if (err !== undefined) {
      const pos = err.linePos?.[0]
      const where = pos !== undefined ? `:${pos.line}:${pos.col}` : ''
      const reason = (err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, '')
      throw new McshError('MCSH_FACTS_FILE_INVALID', `facts file ${path}${where}: invalid YAML: ${reason}`, { cause: err })
    }
    data = doc.toJS()
  } else {
    try {
      data = JSON5.parse(text)
    } catch (e) {
      const { lineNumber, columnNumber } = e as { lineNumber?: number; columnNumber?: number }
      const where = lineNumber !== undefined && columnNumber !== undefined ? `:${lineNumber}:${columnNumber}` : ''
      const reason = errorMessage(e).replace(/^JSON5: /, '').replace(/ at \d+:\d+$/, '')
      throw new McshError('MCSH_FACTS_FILE_INVALID', `facts file ${path}${where}: invalid JSON: ${reason}`, { cause: e })
    }
  }
  if (data === null || data === undefined) return {}
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new McshError(
      'MCSH_FACTS_FILE_INVALID',
      `facts file ${path} must hold a mapping of fact names to values, not ${Array.isArray(data) ? 'a list' : `a ${typeof data}`}`,
    )
  }
  return flattenFacts(data)
}
