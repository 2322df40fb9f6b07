import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { McshError } from '../../util/errors.js'
import { silentLogger, type Logger } from '../../util/logger.js'
import type { ChangeResult, CommandResult, CommandRunner, ServiceEnablement, ServiceInfo, ServiceProvider, ServiceState } from '../types.js'
import { combinedOutput, describeEnd, findExecutable, lastLines } from './commands.js'

export const SERVICE_NAME = /^[a-zA-Z0-9@._:-]+$/
export const DEFAULT_SERVICE_TIMEOUT_MS = 120_000
const STATUS_TIMEOUT_MS = 30_000
const STATUS_MAX_BYTES = 256 * 1024
const CHANGE_MAX_BYTES = 1024 * 1024

export interface ServiceProviderOptions {
  runner: CommandRunner
  /** PATH the runner searches. */
  path: string
  logger?: Logger
  /** For start, stop, restart and reload; default 120 s. */
  changeTimeoutMs?: number
}

type Verb = 'start' | 'stop' | 'restart' | 'reload'

/** Also refuses a leading '-' (systemctl would take `-H host` for an option) and '.'/'..' (init script paths). */
export function checkServiceName(name: string): string {
  if (typeof name !== 'string' || name.length > 128 || !SERVICE_NAME.test(name) || name.startsWith('-') || /^\.+$/.test(name))
    throw new McshError('MCSH_INVALID_SERVICE', `invalid service name '${String(name)}': letters, digits and @ . _ : - only, not starting with -`)
  return name
}

/** What sd_booted() checks: systemd is the init system, so systemctl can talk to it. */
export function isSystemdBooted(): boolean {
  return existsSync('/run/systemd/system')
}

/** Maps a `systemctl is-enabled` answer or a UnitFileState. */
export function mapEnablement(word: string): ServiceEnablement {
  switch (word.trim()) {
    case 'enabled':
    case 'enabled-runtime':
    case 'alias':
    case 'indirect':
    case 'generated':
    case 'transient':
      return 'enabled'
    case 'disabled':
    case 'masked':
    case 'masked-runtime':
    case 'linked':
    case 'linked-runtime':
      return 'disabled'
    case 'static':
      return 'static'
    default:
      return 'unknown'
  }
}

/** Maps a systemd ActiveState. */
export function mapActiveState(word: string): ServiceState {
  switch (word.trim()) {
    case 'active':
    case 'reloading':
      return 'running'
    case 'inactive':
    case 'failed':
      return 'stopped'
    default:
      return 'unknown'
  }
}

export function parseShow(stdout: string): Record<string, string> {
  const props: Record<string, string> = {}
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0) props[line.slice(0, eq)] = line.slice(eq + 1).trim()
  }
  return props
}

function changeFailed(line: string, r: CommandResult, timeoutMs: number): McshError {
  return new McshError('MCSH_SERVICE_FAILED', `${line} failed (${describeEnd(r, timeoutMs)}): ${lastLines(r) || 'no output'}`)
}

async function isEnabled(runner: CommandRunner, name: string): Promise<ServiceEnablement> {
  const r = await runner.run('systemctl', ['is-enabled', name], { timeoutMs: STATUS_TIMEOUT_MS, maxOutputBytes: STATUS_MAX_BYTES })
  return mapEnablement(r.stdout.split('\n')[0] ?? '')
}

/** systemd: `systemctl show` to read, `systemctl VERB` to change. */
export function createSystemdServiceProvider(o: ServiceProviderOptions): ServiceProvider {
  const logger = (o.logger ?? silentLogger).child({ provider: 'systemd' })
  const timeoutMs = o.changeTimeoutMs ?? DEFAULT_SERVICE_TIMEOUT_MS

  const read = async (name: string): Promise<ServiceInfo & { found: boolean }> => {
    const args = ['show', name, '--property=ActiveState,UnitFileState,LoadState']
    const r = await o.runner.run('systemctl', args, { timeoutMs: STATUS_TIMEOUT_MS, maxOutputBytes: STATUS_MAX_BYTES })
    if (r.exitCode !== 0) throw changeFailed(['systemctl', ...args].join(' '), r, STATUS_TIMEOUT_MS)
    const p = parseShow(r.stdout)
    if (p.LoadState === 'not-found') return { name, status: 'unknown', enabled: 'unknown', found: false }
    let enabled = mapEnablement(p.UnitFileState ?? '')
    // Units generated from init scripts, or without a unit file, get a real answer from is-enabled.
    if (p.UnitFileState === '' || p.UnitFileState === 'generated' || p.UnitFileState === undefined) {
      const asked = await isEnabled(o.runner, name)
      if (asked !== 'unknown') enabled = asked
    }
    return { name, status: mapActiveState(p.ActiveState ?? ''), enabled, found: true }
  }

  const change = async (verb: Verb, rawName: string): Promise<ServiceInfo & ChangeResult> => {
    const name = checkServiceName(rawName)
    const before = await read(name)
    if (!before.found) throw new McshError('MCSH_SERVICE_UNKNOWN', `service ${name} does not exist (Unit ${name}.service not found)`)
    logger.info(`service ${verb}`, { service: name })
    const r = await o.runner.run('systemctl', [verb, name], { timeoutMs, maxOutputBytes: CHANGE_MAX_BYTES })
    if (r.exitCode !== 0) throw changeFailed(`systemctl ${verb} ${name}`, r, timeoutMs)
    const { found: _found, ...after } = await read(name)
    return { ...after, output: combinedOutput(r), exitCode: 0 }
  }

  return serviceProvider('systemd', read, change)
}

export interface SysvServiceProviderOptions extends ServiceProviderOptions {
  /** Where init scripts are when there is no `service` command; default /etc/init.d. */
  initDir?: string
}

/**
 * SysV init: `service NAME status|start|…` (or /etc/init.d/NAME when there is no `service`).
 * Status is the LSB exit code: 0 running, 3 stopped, anything else unknown. Enablement comes from
 * `systemctl is-enabled` when systemctl is installed (it reads unit files and init script links
 * without a running systemd), else 'unknown'.
 */
export function createSysvServiceProvider(o: SysvServiceProviderOptions): ServiceProvider {
  const logger = (o.logger ?? silentLogger).child({ provider: 'sysv' })
  const timeoutMs = o.changeTimeoutMs ?? DEFAULT_SERVICE_TIMEOUT_MS
  const initDir = o.initDir ?? '/etc/init.d'

  /** The command and argv for `verb`, or undefined when there is no such service. */
  const command = (name: string, verb: Verb | 'status'): { command: string; args: string[] } | undefined => {
    if (findExecutable('service', o.path) !== undefined) return { command: 'service', args: [name, verb] }
    const script = join(initDir, name)
    return findExecutable(script, o.path) !== undefined ? { command: script, args: [verb] } : undefined
  }
  const unrecognized = (r: CommandResult) => /unrecognized service/i.test(r.stdout + r.stderr)

  const read = async (name: string): Promise<ServiceInfo & { found: boolean }> => {
    const c = command(name, 'status')
    const enabled = findExecutable('systemctl', o.path) !== undefined ? await isEnabled(o.runner, name) : 'unknown'
    if (c === undefined) return { name, status: 'unknown', enabled, found: false }
    const r = await o.runner.run(c.command, c.args, { timeoutMs: STATUS_TIMEOUT_MS, maxOutputBytes: STATUS_MAX_BYTES })
    const status: ServiceState = r.exitCode === 0 ? 'running' : r.exitCode === 3 ? 'stopped' : 'unknown'
    return { name, status, enabled, found: !unrecognized(r) }
  }

  const change = async (verb: Verb, rawName: string): Promise<ServiceInfo & ChangeResult> => {
    const name = checkServiceName(rawName)
    const c = command(name, verb)
    if (c === undefined) throw new McshError('MCSH_SERVICE_UNKNOWN', `service ${name} does not exist (no ${join(initDir, name)} and no service command)`)
    logger.info(`service ${verb}`, { service: name })
    const r = await o.runner.run(c.command, c.args, { timeoutMs, maxOutputBytes: CHANGE_MAX_BYTES })
    if (r.exitCode !== 0) {
      if (unrecognized(r)) throw new McshError('MCSH_SERVICE_UNKNOWN', `service ${name} does not exist (${lastLines(r, 1)})`)
      throw changeFailed([c.command, ...c.args].join(' '), r, timeoutMs)
    }
    const { found: _found, ...after } = await read(name)
    return { ...after, output: combinedOutput(r), exitCode: 0 }
  }

  return serviceProvider('sysv', read, change)
}

export interface DetectServiceOptions extends SysvServiceProviderOptions {
  /** Whether systemd is PID 1; default isSystemdBooted(). */
  systemdBooted?: boolean
}

/** systemd when it runs the machine and systemctl is installed, else SysV init. */
export function detectServiceProvider(o: DetectServiceOptions): ServiceProvider {
  const booted = o.systemdBooted ?? isSystemdBooted()
  if (booted && findExecutable('systemctl', o.path) !== undefined) return createSystemdServiceProvider(o)
  return createSysvServiceProvider(o)
}

/** The provider shape both init systems share: status reads, the four verbs change. */
function serviceProvider(
  name: string,
  read: (service: string) => Promise<ServiceInfo & { found: boolean }>,
  change: (verb: Verb, service: string) => Promise<ServiceInfo & ChangeResult>,
): ServiceProvider {
  return {
    name,
    status: async (service) => {
      const { found: _found, ...info } = await read(checkServiceName(service))
      return info
    },
    start: (service) => change('start', service),
    stop: (service) => change('stop', service),
    restart: (service) => change('restart', service),
    reload: (service) => change('reload', service),
  }
}
