import { McshError } from '../../util/errors.js'
import { silentLogger, type Logger } from '../../util/logger.js'
import type { ChangeResult, CommandResult, CommandRunner, PackageInfo, PackageProvider } from '../types.js'
import { combinedOutput, describeEnd, findExecutable, lastLines } from './commands.js'

export const PACKAGE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9.+_:-]*$/
const PACKAGE_VERSION = /^[a-zA-Z0-9][a-zA-Z0-9.+~:_-]*$/

export const DEFAULT_PACKAGE_TIMEOUT_MS = 300_000
const QUERY_TIMEOUT_MS = 60_000
const QUERY_MAX_BYTES = 1024 * 1024
const LIST_MAX_BYTES = 32 * 1024 * 1024
const CHANGE_MAX_BYTES = 1024 * 1024

export interface PackageProviderOptions {
  runner: CommandRunner
  /** PATH the runner searches, to pick dnf or yum. */
  path: string
  logger?: Logger
  /** For install, update, uninstall and purge; default 300 s. */
  changeTimeoutMs?: number
}

export function checkPackageName(name: string): string {
  if (typeof name !== 'string' || name.length > 128 || !PACKAGE_NAME.test(name))
    throw new McshError('MCSH_INVALID_PACKAGE', `invalid package name '${String(name)}': letters, digits and . + _ : - only, starting with a letter or digit`)
  return name
}

function checkVersion(version: string): string {
  if (typeof version !== 'string' || version.length > 128 || !PACKAGE_VERSION.test(version))
    throw new McshError('MCSH_INVALID_PACKAGE', `invalid package version '${String(version)}': letters, digits and . + ~ _ : - only`)
  return version
}

const absent = (name: string): PackageInfo => ({ name, status: 'absent', installed: false, version: null, arch: null })

/** dpkg status words (the third word of ${Status}) that mean the package is there and configured. */
const DPKG_INSTALLED = new Set(['installed', 'triggers-awaited', 'triggers-pending'])

/** Parses `${Status}\t${Version}\t${Architecture}` lines; prefers an installed line (multiarch gives several). */
export function parseDpkgStatus(name: string, stdout: string): PackageInfo {
  const rows = stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [status = '', version = '', arch = ''] = l.split('\t')
      const word = status.trim().split(/\s+/).pop() ?? ''
      return { word, version: version.trim(), arch: arch.trim() }
    })
  const row = rows.find((r) => DPKG_INSTALLED.has(r.word)) ?? rows.find((r) => r.word !== 'not-installed' && r.word !== '')
  if (!row) return absent(name)
  return { name, status: row.word, installed: DPKG_INSTALLED.has(row.word), version: row.version || null, arch: row.arch || null }
}

/** Parses `%{NAME}\t%{VERSION}-%{RELEASE}\t%{ARCH}` lines; the last one wins (several for kernels). */
export function parseRpmStatus(name: string, stdout: string): PackageInfo {
  const rows = stdout.split('\n').filter((l) => l.includes('\t'))
  const last = rows[rows.length - 1]
  if (last === undefined) return absent(name)
  const [, version = '', arch = ''] = last.split('\t')
  return { name, status: 'installed', installed: true, version: version.trim() || null, arch: rpmArch(arch) }
}

function rpmArch(arch: string): string | null {
  const a = arch.trim()
  return a === '' || a === '(none)' ? null : a
}

/** Serializes changes: package managers hold a lock and fail rather than wait for each other. */
function createQueue(): <T>(f: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve()
  return <T>(f: () => Promise<T>) => {
    const next = tail.then(f, f)
    tail = next.catch(() => undefined)
    return next
  }
}

type ChangeOp = 'install' | 'update' | 'uninstall' | 'purge'

interface Backend {
  name: string
  status(name: string): Promise<PackageInfo>
  /** The command and argv for a change. */
  changeCommand(op: ChangeOp, name: string, version?: string): { command: string; args: string[]; env?: Record<string, string> }
  list(): Promise<Array<{ name: string; version: string; arch: string | null }>>
}

function providerFrom(backend: Backend, o: PackageProviderOptions): PackageProvider {
  const logger = (o.logger ?? silentLogger).child({ provider: backend.name })
  const timeoutMs = o.changeTimeoutMs ?? DEFAULT_PACKAGE_TIMEOUT_MS
  const queue = createQueue()

  const change = async (op: ChangeOp, rawName: string, rawVersion?: string): Promise<PackageInfo & ChangeResult> => {
    const name = checkPackageName(rawName)
    const version = rawVersion === undefined || rawVersion === '' ? undefined : checkVersion(rawVersion)
    return queue(async () => {
      if (op === 'update') {
        const before = await backend.status(name)
        if (!before.installed) throw new McshError('MCSH_PACKAGE_ABSENT', `package ${name} is not installed: install it first`)
      }
      const { command, args, env } = backend.changeCommand(op, name, version)
      const line = [command, ...args].join(' ')
      logger.info(`package ${op}`, { package: name, ...(version ? { version } : {}), command: line })
      const r = await o.runner.run(command, args, { timeoutMs, maxOutputBytes: CHANGE_MAX_BYTES, ...(env ? { env } : {}) })
      if (r.exitCode !== 0) {
        logger.warn(`package ${op} failed`, { package: name, end: describeEnd(r, timeoutMs) })
        throw new McshError('MCSH_PACKAGE_FAILED', `${line} failed (${describeEnd(r, timeoutMs)}): ${lastLines(r) || 'no output'}`)
      }
      const after = await backend.status(name)
      return { ...after, output: combinedOutput(r), exitCode: 0 }
    })
  }

  return {
    name: backend.name,
    status: async (name) => backend.status(checkPackageName(name)),
    install: (name, version) => change('install', name, version),
    update: (name) => change('update', name),
    uninstall: (name) => change('uninstall', name),
    purge: (name) => change('purge', name),
    list: async () => backend.list(),
  }
}

async function query(runner: CommandRunner, command: string, args: string[], maxOutputBytes: number): Promise<CommandResult> {
  const r = await runner.run(command, args, { timeoutMs: QUERY_TIMEOUT_MS, maxOutputBytes })
  if (r.truncated) throw new McshError('MCSH_PACKAGE_FAILED', `${command} printed more than ${maxOutputBytes} bytes`)
  return r
}

function queryFailed(command: string, args: string[], r: CommandResult): McshError {
  return new McshError('MCSH_PACKAGE_FAILED', `${[command, ...args].join(' ')} failed (${describeEnd(r, QUERY_TIMEOUT_MS)}): ${lastLines(r) || 'no output'}`)
}

/**
 * Never wait for a person: keep changed config files without asking, and wait up to a minute for
 * another apt to let go of its lock rather than failing at once.
 */
const APT_OPTIONS = ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', '-o', 'DPkg::Lock::Timeout=60']

/** Debian and derivatives: dpkg-query to read, apt-get to change. */
export function createDpkgProvider(o: PackageProviderOptions): PackageProvider {
  const aptEnv = { DEBIAN_FRONTEND: 'noninteractive' }
  return providerFrom(
    {
      name: 'dpkg',
      status: async (name) => {
        const args = ['-W', '-f=${Status}\\t${Version}\\t${Architecture}\\n', name]
        const r = await query(o.runner, 'dpkg-query', args, QUERY_MAX_BYTES)
        // Exit 1 with "no packages found matching" is dpkg-query's answer for an unknown package.
        if (r.exitCode === 1 && /no packages found/i.test(r.stderr)) return absent(name)
        if (r.exitCode !== 0) throw queryFailed('dpkg-query', args, r)
        return parseDpkgStatus(name, r.stdout)
      },
      changeCommand: (op, name, version) => {
        switch (op) {
          case 'install':
            return { command: 'apt-get', args: [...APT_OPTIONS, 'install', '-y', '-q', version ? `${name}=${version}` : name], env: aptEnv }
          case 'update':
            return { command: 'apt-get', args: [...APT_OPTIONS, 'install', '-y', '-q', '--only-upgrade', name], env: aptEnv }
          case 'uninstall':
            return { command: 'apt-get', args: [...APT_OPTIONS, 'remove', '-y', '-q', name], env: aptEnv }
          case 'purge':
            return { command: 'apt-get', args: [...APT_OPTIONS, 'purge', '-y', '-q', name], env: aptEnv }
        }
      },
      list: async () => {
        // ${Status} is there to leave out packages that are known but not installed (config-files…).
        const args = ['-W', '-f=${Package}\\t${Version}\\t${Architecture}\\t${Status}\\n']
        const r = await query(o.runner, 'dpkg-query', args, LIST_MAX_BYTES)
        if (r.exitCode !== 0) throw queryFailed('dpkg-query', args, r)
        const list: Array<{ name: string; version: string; arch: string | null }> = []
        for (const line of r.stdout.split('\n')) {
          const [name = '', version = '', arch = '', status = ''] = line.split('\t')
          if (name === '' || !DPKG_INSTALLED.has(status.trim().split(/\s+/).pop() ?? '')) continue
          list.push({ name, version, arch: arch || null })
        }
        return list.sort((a, b) => a.name.localeCompare(b.name) || (a.arch ?? '').localeCompare(b.arch ?? ''))
      },
    },
    o,
  )
}

/** Red Hat and derivatives: rpm to read, dnf (or yum when there is no dnf) to change; purge is remove. */
export function createRpmProvider(o: PackageProviderOptions): PackageProvider {
  const format = '%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{ARCH}\\n'
  const changer = () => (findExecutable('dnf', o.path) !== undefined ? 'dnf' : findExecutable('yum', o.path) !== undefined ? 'yum' : undefined)
  return providerFrom(
    {
      name: 'rpm',
      status: async (name) => {
        const args = ['-q', '--qf', format, name]
        const r = await query(o.runner, 'rpm', args, QUERY_MAX_BYTES)
        if (r.exitCode === 1 && /is not installed/i.test(r.stdout + r.stderr)) return absent(name)
        if (r.exitCode !== 0) throw queryFailed('rpm', args, r)
        return parseRpmStatus(name, r.stdout)
      },
      changeCommand: (op, name, version) => {
        const command = changer()
        if (command === undefined) throw new McshError('MCSH_PACKAGE_FAILED', `cannot ${op} ${name}: neither dnf nor yum is installed`)
        const verb = op === 'install' ? 'install' : op === 'update' ? 'upgrade' : 'remove'
        return { command, args: ['-y', verb, version ? `${name}-${version}` : name] }
      },
      list: async () => {
        const args = ['-qa', '--qf', format]
        const r = await query(o.runner, 'rpm', args, LIST_MAX_BYTES)
        if (r.exitCode !== 0) throw queryFailed('rpm', args, r)
        const list: Array<{ name: string; version: string; arch: string | null }> = []
        for (const line of r.stdout.split('\n')) {
          const [name = '', version = '', arch = ''] = line.split('\t')
          if (name !== '') list.push({ name, version, arch: rpmArch(arch) })
        }
        return list.sort((a, b) => a.name.localeCompare(b.name) || (a.arch ?? '').localeCompare(b.arch ?? ''))
      },
    },
    o,
  )
}

/** For a host with neither dpkg nor rpm: every call says so. */
export function createMissingPackageProvider(path: string): PackageProvider {
  const fail = async (): Promise<never> => {
    throw new McshError('MCSH_NO_PACKAGE_MANAGER', `no supported package manager on this host: neither dpkg-query nor rpm is on PATH (${path})`)
  }
  return { name: 'none', status: fail, install: fail, update: fail, uninstall: fail, purge: fail, list: fail }
}

/**
 * dpkg when dpkg-query and apt-get are there, rpm when rpm and dnf or yum are; then whichever
 * query tool exists alone (changes will say what is missing).
 */
export function detectPackageProvider(o: PackageProviderOptions): PackageProvider {
  const has = (n: string) => findExecutable(n, o.path) !== undefined
  if (has('dpkg-query') && has('apt-get')) return createDpkgProvider(o)
  if (has('rpm') && (has('dnf') || has('yum'))) return createRpmProvider(o)
  if (has('dpkg-query')) return createDpkgProvider(o)
  if (has('rpm')) return createRpmProvider(o)
  return createMissingPackageProvider(o.path)
}
