import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createLocalFileProvider } from '../../../src/host/real/files.js'

describe('files on the local disk', () => {
  let dir: string
  const files = createLocalFileProvider()
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mcsh-files-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('reads the status of a file, with hashes when asked', async () => {
    const f = join(dir, 'hello.txt')
    writeFileSync(f, 'hello')
    chmodSync(f, 0o640)
    utimesSync(f, new Date('2024-01-02T03:04:05Z'), new Date('2024-01-02T03:04:05Z'))
    const me = userInfo()
    expect(await files.status(f, { hashes: true })).toEqual({
      path: f,
      present: true,
      type: 'file',
      size: 5,
      mode: '0640',
      owner: me.username,
      group: expect.any(String),
      mtime: '2024-01-02T03:04:05.000Z',
      md5: '5d41402abc4b2a76b9719d911017c592',
      sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    })
    expect(await files.status(f)).toMatchObject({ md5: null, sha256: null })
    if (me.uid === 0) expect((await files.status(f)).group).toBe('root')
  })

  it('tells directories, symlinks and absent paths apart, and hashes only regular files', async () => {
    mkdirSync(join(dir, 'sub'))
    chmodSync(join(dir, 'sub'), 0o2750)
    symlinkSync(join(dir, 'target'), join(dir, 'link'))
    writeFileSync(join(dir, 'target'), 'x')
    expect(await files.status(join(dir, 'sub'), { hashes: true })).toMatchObject({ type: 'directory', mode: '2750', md5: null, sha256: null })
    expect(await files.status(join(dir, 'link'), { hashes: true })).toMatchObject({ type: 'symlink', md5: null, sha256: null })
    expect(await files.status(join(dir, 'nope'))).toEqual({ path: join(dir, 'nope'), present: false, type: null, size: null, mode: null, owner: null, group: null, mtime: null, md5: null, sha256: null })
    expect(await files.status(join(dir, 'target', 'below'))).toMatchObject({ present: false })
    expect(await files.status(`${dir}/sub/`)).toMatchObject({ path: join(dir, 'sub'), type: 'directory' })
    expect(await files.status('/dev/null', { hashes: true })).toMatchObject({ type: 'other', md5: null })
  })

  it('hashes a larger file by streaming', async () => {
    const f = join(dir, 'big')
    writeFileSync(f, Buffer.alloc(3 * 1024 * 1024, 'a'))
    const s = await files.status(f, { hashes: true })
    expect(s.size).toBe(3 * 1024 * 1024)
    expect(s.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(s.md5).toMatch(/^[0-9a-f]{32}$/)
  })

  it('touch creates a file or updates its mtime', async () => {
    const f = join(dir, 'new')
    const created = await files.touch(f)
    expect(created).toMatchObject({ present: true, type: 'file', size: 0 })
    utimesSync(f, new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'))
    const touched = await files.touch(f)
    expect(Date.parse(touched.mtime ?? '')).toBeGreaterThan(Date.now() - 60_000)
    await expect(files.touch(join(dir, 'missing', 'x'))).rejects.toMatchObject({ code: 'MCSH_FILE' })
  })

  it('removes files, symlinks and empty directories, and refuses non-empty ones', async () => {
    writeFileSync(join(dir, 'f'), 'x')
    mkdirSync(join(dir, 'empty'))
    mkdirSync(join(dir, 'full'))
    writeFileSync(join(dir, 'full', 'keep'), 'x')
    symlinkSync(join(dir, 'full'), join(dir, 'link'))
    expect(await files.remove(join(dir, 'f'))).toMatchObject({ present: false })
    expect(await files.remove(join(dir, 'empty'))).toMatchObject({ present: false })
    expect(await files.remove(join(dir, 'link'))).toMatchObject({ present: false })
    expect(await files.status(join(dir, 'full', 'keep'))).toMatchObject({ present: true })
    const err = await files.remove(join(dir, 'full')).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'MCSH_FILE' })
    expect((err as Error).message).toMatch(/refusing to remove .*full: it is a directory that is not empty/)
    expect(await files.status(join(dir, 'full'))).toMatchObject({ present: true })
    expect(await files.remove(join(dir, 'never-was'))).toMatchObject({ present: false })
  })

  it('refuses relative paths and paths with NUL', async () => {
    for (const bad of ['relative/x', '', './x', `${dir}/a\0b`]) {
      await expect(files.status(bad)).rejects.toMatchObject({ code: 'MCSH_INVALID_PATH' })
      await expect(files.touch(bad)).rejects.toMatchObject({ code: 'MCSH_INVALID_PATH' })
      await expect(files.remove(bad)).rejects.toMatchObject({ code: 'MCSH_INVALID_PATH' })
    }
  })
})
