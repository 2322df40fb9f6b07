import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseClasses, readClassesFile } from '../../../src/facts/classes.js'
import { isMcshError } from '../../../src/util/errors.js'

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(os.tmpdir(), 'mcsh-classes-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('classes', () => {
  it('parses one class a line, skipping blanks and comments, de-duplicating in order', () => {
    expect(parseClasses('\uFEFFsettings\n  roles::web  \r\n\n# comment\n   # indented comment\nprofiles::base\nroles::web\nsettings\n')).toEqual([
      'settings',
      'roles::web',
      'profiles::base',
    ])
    expect(parseClasses('')).toEqual([])
  })

  it('reads a classes file', async () => {
    const path = join(dir, 'classes.txt')
    await writeFile(path, 'default\nntp\nntp\n')
    expect(await readClassesFile(path)).toEqual(['default', 'ntp'])
  })

  it('fails on a missing file unless optional', async () => {
    const missing = join(dir, 'missing.txt')
    await expect(readClassesFile(missing)).rejects.toSatisfy((e: unknown) => isMcshError(e, 'MCSH_CLASSES_NOT_FOUND') && (e as Error).message.includes(missing))
    expect(await readClassesFile(missing, { optional: true })).toEqual([])
  })

  it('fails on an unreadable path even when optional', async () => {
    await expect(readClassesFile(dir, { optional: true })).rejects.toSatisfy((e: unknown) => isMcshError(e, 'MCSH_CLASSES_UNREADABLE'))
  })
})
