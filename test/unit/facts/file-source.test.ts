import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fileFactSource } from '../../../src/facts/file-source.js'
import { isMcshError } from '../../../src/util/errors.js'

let dir: string

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, text)
  return path
}

async function loadError(path: string): Promise<Error> {
  try {
    await fileFactSource(path).load()
  } catch (e) {
    return e as Error
  }
  throw new Error('expected the load to fail')
}

beforeAll(async () => {
  dir = await mkdtemp(join(os.tmpdir(), 'mcsh-facts-file-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('fileFactSource', () => {
  it('loads and flattens YAML', async () => {
    const path = await file('facts.yaml', '# site facts\nrole: web\ncluster:\n  name: alpha\n  size: 3\nenv: [prod, eu]\nmonitored: true\nnothing: ~\n')
    const source = fileFactSource(path)
    expect(source.name).toBe(`file:${path}`)
    expect(await source.load()).toEqual({ role: 'web', 'cluster.name': 'alpha', 'cluster.size': 3, env: 'prod,eu', monitored: true })
  })

  it('loads .yml, JSON and JSON5', async () => {
    expect(await fileFactSource(await file('a.yml', 'a: 1\n')).load()).toEqual({ a: 1 })
    expect(await fileFactSource(await file('b.json', '{"b": {"c": "d"}, "disks": [{"size": 10}]}')).load()).toEqual({ 'b.c': 'd', 'disks.0.size': 10 })
    expect(await fileFactSource(await file('c.json5', "{c: 'x', // comment\n trailing: 1,}")).load()).toEqual({ c: 'x', trailing: 1 })
  })

  it('sniffs the format when the extension says nothing', async () => {
    expect(await fileFactSource(await file('facts.txt', '  {"j": 1}')).load()).toEqual({ j: 1 })
    expect(await fileFactSource(await file('facts', 'y: 2\n')).load()).toEqual({ y: 2 })
    expect(await fileFactSource(await file('bom.conf', '\uFEFF{"bom": true}')).load()).toEqual({ bom: true })
  })

  it('treats an empty file as no facts', async () => {
    expect(await fileFactSource(await file('empty.yaml', '')).load()).toEqual({})
    expect(await fileFactSource(await file('comments.yaml', '# nothing yet\n')).load()).toEqual({})
  })

  it('names the file, line and column of a YAML error', async () => {
    const path = await file('bad.yaml', 'role: web\nlist: [a, b\nother: x: y\n')
    const err = await loadError(path)
    expect(isMcshError(err, 'MCSH_FACTS_FILE_INVALID')).toBe(true)
    expect(err.message).toMatch(new RegExp(`^facts file ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: invalid YAML: `))
    expect(err.message).not.toContain('\n')

    const dup = await loadError(await file('dup.yaml', 'a: 1\na: 2\n'))
    expect(dup.message).toMatch(/dup\.yaml:2:1: invalid YAML: Map keys must be unique/)
  })

  it('names the file, line and column of a JSON error', async () => {
    const path = await file('bad.json', '{\n  "a": 1,\n  "b": ?\n}')
    const err = await loadError(path)
    expect(isMcshError(err, 'MCSH_FACTS_FILE_INVALID')).toBe(true)
    expect(err.message).toBe(`facts file ${path}:3:8: invalid JSON: invalid character '?'`)
  })

  it('requires a mapping at the top', async () => {
    expect((await loadError(await file('list.yaml', '- a\n- b\n'))).message).toContain('must hold a mapping of fact names to values, not a list')
    expect((await loadError(await file('scalar.json', '42'))).message).toContain('not a number')
  })

  it('says when the file is missing or unreadable', async () => {
    const missing = join(dir, 'nope.yaml')
    const err = await loadError(missing)
    expect(isMcshError(err, 'MCSH_FACTS_FILE_NOT_FOUND')).toBe(true)
    expect(err.message).toBe(`facts file ${missing} does not exist`)
    const dirErr = await loadError(dir)
    expect(isMcshError(dirErr, 'MCSH_FACTS_FILE_UNREADABLE')).toBe(true)
    expect(dirErr.message).toContain(dir)
  })

  it('rereads the file on every load', async () => {
    const path = await file('changing.yaml', 'v: 1\n')
    const source = fileFactSource(path)
    expect(await source.load()).toEqual({ v: 1 })
    await writeFile(path, 'v: 2\n')
    expect(await source.load()).toEqual({ v: 2 })
  })
})
