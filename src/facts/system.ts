import { readFile } from 'node:fs/promises'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FactSource } from './store.js'
import type { FactValue } from './types.js'
import { setFact } from './flatten.js'

export interface SystemFactSourceOptions {
  /** Reported as `mcsh.version`; when absent it is read from mcsh's package.json. */
  mcshVersion?: string
  /** For tests: where to read files from instead of the real /etc. */
  files?: { osRelease?: string[]; hosts?: string; resolvConf?: string }
}

const OS_RELEASE_PATHS = ['/etc/os-release', '/usr/lib/os-release']

/** Built-in facts from node:os and os-release. Never throws: what cannot be found is left out. */
export function systemFactSource(options: SystemFactSourceOptions = {}): FactSource {
  let version: Promise<string | undefined> | undefined
  return {
    name: 'system',
    async load() {
      version ??= options.mcshVersion !== undefined ? Promise.resolve(options.mcshVersion) : readMcshVersion()
      const facts: Record<string, FactValue> = {}
      const set = (name: string, value: FactValue | undefined) => {
        if (value !== undefined && value !== '') setFact(facts, name, value)
      }

      const platform = os.platform()
      const osName = platform === 'win32' ? 'windows' : platform
      set('os', osName)
      if (platform === 'linux') {
        const release = await readOsRelease(options.files?.osRelease ?? OS_RELEASE_PATHS)
        if (release !== undefined) {
          set('os.family', osFamily(release))
          set('os.id', release.ID)
          set('os.name', release.NAME ?? release.ID)
          set('os.release', release.VERSION_ID)
          set('os.codename', osCodename(release))
        } else {
          set('os.name', os.type())
        }
      } else {
        set('os.family', osName)
        set('os.name', os.type())
        set('os.release', os.release())
      }

      set('kernel', os.type())
      set('kernel.release', os.release())

      const host = os.hostname()
      const short = host.split('.')[0] ?? host
      set('hostname', short)
      const fqdn = await bestEffortFqdn(host, options.files)
      set('fqdn', fqdn)
      if (fqdn.includes('.')) set('domain', fqdn.slice(fqdn.indexOf('.') + 1))

      set('architecture', architecture())
      set('processors.count', Math.max(1, os.cpus().length || os.availableParallelism()))
      set('memory.total_mb', Math.round(os.totalmem() / 1048576))
      set('memory.free_mb', Math.round(os.freemem() / 1048576))

      const ipv4 = ipv4Addresses()
      set('ipaddress', ipv4[0])
      set('ipaddresses', ipv4.join(','))

      set('uptime_seconds', Math.floor(os.uptime()))
      set('node.version', process.versions.node)
      set('mcsh.version', await version)
      return facts
    },
  }
}

/** Parses os-release(5): KEY=value lines, values optionally quoted, `\` escapes inside double quotes. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const m = /^([A-Za-z0-9_]+)=(.*)$/.exec(line)
    if (!m) continue
    const key = m[1] as string
    let value = m[2] as string
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1).replace(/\\(.)/g, '$1')
    } else if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) {
      value = value.slice(1, -1)
    }
    out[key] = value
  }
  return out
}

const FAMILIES: Record<string, string> = {
  debian: 'debian',
  ubuntu: 'debian',
  raspbian: 'debian',
  linuxmint: 'debian',
  rhel: 'redhat',
  fedora: 'redhat',
  centos: 'redhat',
  rocky: 'redhat',
  almalinux: 'redhat',
  ol: 'redhat',
  amzn: 'redhat',
  suse: 'suse',
  opensuse: 'suse',
  sles: 'suse',
  'opensuse-leap': 'suse',
  'opensuse-tumbleweed': 'suse',
  alpine: 'alpine',
  arch: 'arch',
  archarm: 'arch',
  manjaro: 'arch',
  gentoo: 'gentoo',
  void: 'void',
  nixos: 'nixos',
}

/** ID, then ID_LIKE words in order (closest first): the first known one names the family; else the closest ID_LIKE word, else ID. */
export function osFamily(release: Record<string, string>): string | undefined {
  const like = (release.ID_LIKE ?? '').toLowerCase().split(/\s+/).filter(Boolean)
  const id = (release.ID ?? '').toLowerCase()
  for (const c of id !== '' ? [id, ...like] : like) {
    const family = FAMILIES[c]
    if (family !== undefined) return family
  }
  return like[0] ?? (id !== '' ? id : undefined)
}

function osCodename(release: Record<string, string>): string | undefined {
  const codename = release.VERSION_CODENAME || release.UBUNTU_CODENAME
  if (codename) return codename
  const m = /\(([^)]+)\)/.exec(release.VERSION ?? '')
  return m?.[1]?.trim().split(/\s+/)[0]?.toLowerCase()
}

async function readOsRelease(paths: string[]): Promise<Record<string, string> | undefined> {
  for (const path of paths) {
    try {
      return parseOsRelease(await readFile(path, 'utf8'))
    } catch {
      // try the next location
    }
  }
  return undefined
}

/**
 * Without DNS: a dotted hostname is already the fqdn; else the first dotted name /etc/hosts gives
 * the host (what `hostname -f` usually finds); else hostname + `domain` from /etc/resolv.conf.
 */
async function bestEffortFqdn(host: string, files: SystemFactSourceOptions['files']): Promise<string> {
  if (host.includes('.')) return host
  if (os.platform() === 'win32') return host
  const hosts = await readFile(files?.hosts ?? '/etc/hosts', 'utf8').catch(() => '')
  for (const raw of hosts.split(/\r?\n/)) {
    const names = (raw.split('#')[0] ?? '').trim().split(/\s+/).slice(1)
    if (!names.some((n) => n === host || n.split('.')[0] === host)) continue
    const dotted = names.find((n) => n.split('.')[0] === host && n.includes('.'))
    if (dotted !== undefined) return dotted
  }
  const resolv = await readFile(files?.resolvConf ?? '/etc/resolv.conf', 'utf8').catch(() => '')
  const domain = /^\s*domain\s+(\S+)/m.exec(resolv)?.[1]
  return domain !== undefined ? `${host}.${domain.replace(/\.$/, '')}` : host
}

const ARCH_NAMES: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686', arm: 'armv7l', ppc64: 'ppc64le', s390x: 's390x' }

function architecture(): string {
  try {
    const machine = os.machine()
    if (machine) return machine
  } catch {
    // older runtimes: fall through to process.arch
  }
  return ARCH_NAMES[process.arch] ?? process.arch
}

function ipv4Addresses(): string[] {
  const out: string[] = []
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const a of addresses ?? []) {
      if (a.family === 'IPv4' && !a.internal && !out.includes(a.address)) out.push(a.address)
    }
  }
  return out
}

/** Walks up from this module (src/facts or dist/src/facts) to mcsh's package.json. */
async function readMcshVersion(): Promise<string | undefined> {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown }
      if (pkg.name === 'mcsh' && typeof pkg.version === 'string') return pkg.version
    } catch {
      // not here
    }
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  return undefined
}
