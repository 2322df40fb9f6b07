import { createHash } from 'node:crypto'
import { constants, type Stats } from 'node:fs'
import { lstat, open, rmdir, unlink, utimes } from 'node:fs/promises'
import { isAbsolute } from 'node:path'
import { McshError, errorMessage } from '../../util/errors.js'
import { silentLogger, type Logger } from '../../util/logger.js'
import type { FileInfo, FileProvider } from '../types.js'
import { createIdNames } from './processes.js'

/** Larger regular files get no hashes: reading them would hold the agent for too long. */
export const MAX_HASH_BYTES = 1024 * 1024 * 1024

export interface FileProviderOptions {
  logger?: Logger
  /** Default /etc/passwd. */
  passwdFile?: string
  /** Default /etc/group. */
  groupFile?: string
}

export function checkPath(path: string): string {
  if (typeof path !== 'string' || !isAbsolute(path) || path.includes('\0'))
    throw new McshError('MCSH_INVALID_PATH', `'${String(path).replace(/\0/g, '\\0')}' is not an absolute path`)
  return path.length > 1 ? path.replace(/\/+$/, '') || '/' : path
}

const absentInfo = (path: string): FileInfo => ({
  path,
  present: false,
  type: null,
  size: null,
  mode: null,
  owner: null,
  group: null,
  mtime: null,
  md5: null,
  sha256: null,
})

const missing = (e: unknown) => ['ENOENT', 'ENOTDIR'].includes(String((e as NodeJS.ErrnoException).code))

function fileError(what: string, path: string, e: unknown): McshError {
  return new McshError('MCSH_FILE', `cannot ${what} ${path}: ${errorMessage(e)}`, { cause: e })
}

/** md5 and sha256 of a regular file in one streaming pass; undefined if it changed under us. */
async function hashFile(path: string, expected: Stats): Promise<{ md5: string; sha256: string } | undefined> {
  // O_NOFOLLOW and O_NONBLOCK: a symlink or a FIFO swapped in since lstat neither redirects nor blocks us.
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  try {
    const st = await handle.stat()
    if (!st.isFile() || st.ino !== expected.ino || st.dev !== expected.dev) return undefined
    const md5 = createHash('md5')
    const sha256 = createHash('sha256')
    for await (const chunk of handle.createReadStream({ autoClose: false, highWaterMark: 1024 * 1024 })) {
      md5.update(chunk as Buffer)
      sha256.update(chunk as Buffer)
    }
    return { md5: md5.digest('hex'), sha256: sha256.digest('hex') }
  } finally {
    await handle.close()
  }
}

export function createLocalFileProvider(o: FileProviderOptions = {}): FileProvider {
  const logger = o.logger ?? silentLogger
  const userName = createIdNames(o.passwdFile ?? '/etc/passwd')
  const groupName = createIdNames(o.groupFile ?? '/etc/group')

  const status = async (rawPath: string, opts?: { hashes?: boolean }): Promise<FileInfo> => {
    const path = checkPath(rawPath)
    const st = await lstatOrAbsent(path)
    if (!st) return absentInfo(path)
    const type = st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'other'
    let hashes: { md5: string; sha256: string } | undefined
    if (opts?.hashes && type === 'file' && st.size <= MAX_HASH_BYTES) {
      try {
        hashes = await hashFile(path, st)
      } catch (e) {
        logger.debug('cannot hash file', { path, error: errorMessage(e) })
      }
    }
    return {
      path,
      present: true,
      type,
      size: st.size,
      mode: (st.mode & 0o7777).toString(8).padStart(4, '0'),
      owner: await userName(st.uid),
      group: await groupName(st.gid),
      mtime: st.mtime.toISOString(),
      md5: hashes?.md5 ?? null,
      sha256: hashes?.sha256 ?? null,
    }
  }

  return {
    name: 'local',
    status,
    touch: async (rawPath) => {
      const path = checkPath(rawPath)
      const now = new Date()
      try {
        await utimes(path, now, now)
      } catch (e) {
        if (!missing(e)) throw fileError('touch', path, e)
        try {
          await (await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOCTTY, 0o644)).close()
        } catch (e2) {
          throw fileError('create', path, e2)
        }
      }
      return status(path)
    },
    remove: async (rawPath) => {
      const path = checkPath(rawPath)
      const st = await lstatOrAbsent(path)
      if (!st) return absentInfo(path)
      try {
        if (st.isDirectory()) await rmdir(path)
        else await unlink(path)
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        if (code === 'ENOTEMPTY' || code === 'EEXIST')
          throw new McshError('MCSH_FILE', `refusing to remove ${path}: it is a directory that is not empty (only files and empty directories are removed)`)
        if (!missing(e)) throw fileError('remove', path, e)
      }
      logger.info('file removed', { path })
      return status(path)
    },
  }
}

/** The path's lstat, or undefined when it does not exist; other failures become a clear error. */
async function lstatOrAbsent(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path)
  } catch (e) {
    if (missing(e)) return undefined
    throw fileError('read the status of', path, e)
  }
}
