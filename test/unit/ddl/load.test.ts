import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadDdlFile, parseDdlText } from '../../../src/ddl/index.js'
import { isMcshError } from '../../../src/util/errors.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcsh-ddl-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function loadError(path: string): Promise<Error> {
  try {
    await loadDdlFile(path)
  } catch (e) {
    return e as Error
  }
  throw new Error('expected loadDdlFile to throw')
}

const VALID = `{
  // comments and trailing commas are fine
  metadata: { name: 'demo', description: 'Demo', author: 'me', version: '1', license: 'MIT', timeout: 2.5, },
  actions: { run: { description: 'Run' } },
}`

describe('loadDdlFile', () => {
  it('loads a JSON5 file', async () => {
    const path = join(dir, 'demo.ddl.json5')
    await writeFile(path, VALID)
    const ddl = await loadDdlFile(path)
    expect(ddl.source).toBe(path)
    expect(ddl.metadata.timeoutSeconds).toBe(2.5)
    expect(ddl.actions.run).toEqual({ name: 'run', agent: 'demo', description: 'Run', display: 'always', inputs: {}, outputs: {}, aggregate: [] })
  })

  it('reports a missing file', async () => {
    const path = join(dir, 'absent.ddl.json5')
    const e = await loadError(path)
    expect(isMcshError(e, 'MCSH_DDL_NOT_FOUND')).toBe(true)
    expect(e.message).toBe(`DDL file not found: ${path}`)
  })

  it('reports JSON5 syntax errors with the file and position', async () => {
    const path = join(dir, 'syntax.ddl.json5')
    await writeFile(path, '{\n  metadata: {\n}')
    const e = await loadError(path)
    expect(isMcshError(e, 'MCSH_DDL_INVALID')).toBe(true)
    expect(e.message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON5: .*3:2`))
  })

  it('reports problems prefixed with the file path', async () => {
    const path = join(dir, 'bad.ddl.json5')
    await writeFile(path, VALID.replace("timeout: 2.5", "timeout: '10'").replace("name: 'demo'", "name: 'bad'"))
    const e = await loadError(path)
    expect(e.message).toBe(`${path}: metadata.timeout: expected a number of seconds greater than 0 but found "10"`)
  })

  it('requires metadata.name to match the file name', async () => {
    const path = join(dir, 'other.ddl.json5')
    await writeFile(path, VALID)
    const e = await loadError(path)
    expect(isMcshError(e, 'MCSH_DDL_INVALID')).toBe(true)
    expect(e.message).toBe(`${path}: metadata.name: expected "other" (the file name) but found "demo"`)
  })
})

describe('parseDdlText', () => {
  it('parses inline text with <inline> as the origin', () => {
    expect(parseDdlText(VALID).source).toBe('<inline>')
    expect(() => parseDdlText('{')).toThrow(/^<inline>: not valid JSON5: /)
  })
})

describe('docs/ddl.md', () => {
  it('has a full example that parses', async () => {
    const doc = await readFile(new URL('../../../docs/ddl.md', import.meta.url), 'utf8')
    const example = /```json5\n([\s\S]*?)```/.exec(doc)?.[1]
    expect(example).toBeDefined()
    const ddl = parseDdlText(example ?? '', 'docs/ddl.md')
    expect(Object.keys(ddl.actions)).toEqual(['status', 'restart'])
    expect(ddl.actions.restart?.inputs.token?.secret).toBe(true)
  })
})
