import { createHash } from 'node:crypto'
import type { Facts } from '../facts/types.js'
import { McshError } from '../util/errors.js'
import { pick, seededRandom } from '../util/random.js'
import type {
  ChangeResult,
  CommandResult,
  ConnectResult,
  FileInfo,
  Host,
  PackageInfo,
  PingResult,
  ProcessInfo,
  ServiceEnablement,
  ServiceInfo,
  ServiceState,
} from './types.js'

/**
 * A simulated machine for a simulated node: packages, services, processes, files, network and a few
 * commands, seeded from the node's identity and facts so the same fleet looks the same every run,
 * and changed by what agents do to it (install a package, stop a service…). It never touches the
 * real machine: every provider here works on in-memory state only.
 */
export function createSimulatedHost(identity: string, facts: Facts, classes: readonly string[]): Host {
  return new SimulatedMachine(identity, facts, classes).host()
}

const PACKAGE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9.+_:-]*$/
const SERVICE_NAME = /^(?!-)(?!\.+$)[a-zA-Z0-9@._:-]+$/

interface SimService {
  state: ServiceState
  enabled: ServiceEnablement
  process: string
  user: string
  pid: number
  port?: number
}

const basePackages: Record<string, Array<[string, string]>> = {
  debian: [
    ['bash', '5.2.15-2+b2'], ['coreutils', '9.1-1'], ['libc6', '2.36-9+deb12u4'], ['openssh-server', '1:9.2p1-2+deb12u2'], ['curl', '7.88.1-10+deb12u5'],
    ['cron', '3.0pl1-162'], ['chrony', '4.3-2+deb12u1'], ['rsyslog', '8.2302.0-1'], ['ca-certificates', '20230311'], ['vim-tiny', '2:9.0.1378-2'],
  ],
  redhat: [
    ['bash', '5.1.8-6.el9'], ['coreutils', '8.32-34.el9'], ['glibc', '2.34-83.el9'], ['openssh-server', '8.7p1-34.el9'], ['curl', '7.76.1-26.el9'],
    ['cronie', '1.5.7-8.el9'], ['chrony', '4.3-1.el9'], ['rsyslog', '8.2102.0-117.el9'], ['ca-certificates', '2023.2.60-90.el9'], ['vim-minimal', '8.2.2637-20.el9'],
  ],
}

const rolePackages: Record<string, Array<[string, string, string?, number?]>> = {
  // [package, version, service, port]
  nginx: [['nginx', '1.22.1-9', 'nginx', 80]],
  apache: [['apache2', '2.4.57-2', 'apache2', 80]],
  php: [['php8.2-fpm', '8.2.7-1', 'php8.2-fpm']],
  mysql: [['mariadb-server', '1:10.11.4-1', 'mariadb', 3306]],
  postgresql: [['postgresql-15', '15.5-0+deb12u1', 'postgresql', 5432]],
  pgbouncer: [['pgbouncer', '1.18.0-1', 'pgbouncer', 6432]],
  redis: [['redis-server', '5:7.0.11-1', 'redis-server', 6379]],
  memcached: [['memcached', '1.6.18-1', 'memcached', 11211]],
  haproxy: [['haproxy', '2.6.12-1', 'haproxy', 443]],
  keepalived: [['keepalived', '1:2.2.7-1', 'keepalived']],
  java: [['openjdk-17-jre-headless', '17.0.9+9-1']],
  tomcat: [['tomcat10', '10.1.6-1', 'tomcat10', 8080]],
  nodejs: [['nodejs', '18.13.0+dfsg1-1', 'app', 3000]],
  python: [['python3', '3.11.2-1+b1']],
  gunicorn: [['gunicorn', '20.1.0-6', 'gunicorn', 8000]],
  sidekiq: [['sidekiq', '6.5.8-1', 'sidekiq']],
  ruby: [['ruby', '1:3.1'],],
  celery: [['python3-celery', '5.2.6-5', 'celery']],
  prometheus: [['prometheus', '2.42.0+ds-5', 'prometheus', 9090]],
  grafana: [['grafana', '10.2.2', 'grafana-server', 3001]],
}

class SimulatedMachine {
  private readonly rnd: () => number
  private readonly packages = new Map<string, { version: string; arch: string }>()
  private readonly services = new Map<string, SimService>()
  private readonly files = new Map<string, { content: string; mode: string; owner: string; group: string; mtimeMs: number; dir?: boolean }>()
  private readonly sysctls = new Map<string, string>()
  private nextPid: number
  private readonly bootMs: number

  constructor(
    private readonly identity: string,
    private readonly facts: Facts,
    classes: readonly string[],
  ) {
    const seed = createHash('sha256').update(identity).digest().readUInt32LE(0)
    this.rnd = seededRandom(seed)
    this.nextPid = 300 + Math.floor(this.rnd() * 2000)
    this.bootMs = Date.now() - Number(facts.uptime_seconds ?? 86_400) * 1000
    const family = String(facts['os.family'] ?? 'debian') === 'redhat' ? 'redhat' : 'debian'
    const arch = String(facts.architecture ?? 'x86_64') === 'aarch64' ? (family === 'debian' ? 'arm64' : 'aarch64') : family === 'debian' ? 'amd64' : 'x86_64'
    for (const [name, version] of basePackages[family] ?? []) this.packages.set(name, { version, arch })
    this.addService('sshd', 'sshd', 'root', 22)
    this.addService(family === 'debian' ? 'cron' : 'crond', 'cron', 'root')
    this.addService('chronyd', 'chronyd', '_chrony')
    this.addService('rsyslog', 'rsyslogd', 'root')
    for (const cls of classes) {
      for (const [pkg, version, service, port] of rolePackages[cls] ?? []) {
        this.packages.set(pkg, { version, arch })
        if (service) this.addService(service, service.replace(/-server$/, ''), service === 'postgresql' ? 'postgres' : 'www-data', port)
      }
    }
    // A few nodes have something stopped, so a fleet-wide status shows what operators look for.
    if (this.rnd() < 0.06) {
      const candidates = [...this.services.keys()].filter((s) => s !== 'sshd')
      const victim = candidates.length ? pick(this.rnd, candidates) : undefined
      if (victim) (this.services.get(victim) as SimService).state = 'stopped'
    }
    const now = Date.now()
    const env = String(facts.environment ?? 'production')
    this.setFile('/etc/hostname', `${facts.hostname ?? identity}\n`)
    this.setFile('/etc/hosts', `127.0.0.1\tlocalhost\n${facts.ipaddress ?? '10.0.0.1'}\t${identity} ${facts.hostname ?? ''}\n`)
    this.setFile('/etc/motd', `${env === 'production' ? 'Production system: changes need a ticket.' : `This is a ${env} system.`}\n`)
    this.setFile('/etc/os-release', `NAME="${facts['os.name'] ?? 'Debian'}"\nVERSION_ID="${facts['os.release'] ?? '12'}"\nID=${family}\n`)
    this.setFile('/etc/ssh/sshd_config', `PermitRootLogin ${this.rnd() < 0.03 ? 'yes' : 'prohibit-password'}\nPasswordAuthentication no\n`)
    for (const dir of ['/', '/etc', '/etc/ssh', '/tmp', '/var', '/var/log']) this.files.set(dir, { content: '', mode: '0755', owner: 'root', group: 'root', mtimeMs: now, dir: true })
    this.sysctls.set('vm.swappiness', String(facts.role === 'db' ? 1 : facts.role === 'cache' ? 10 : 60))
    this.sysctls.set('net.core.somaxconn', String(facts.role === 'lb' || facts.role === 'web' ? 4096 : 128))
    this.sysctls.set('kernel.hostname', String(facts.hostname ?? identity))
    this.sysctls.set('fs.file-max', String(Number(facts['memory.total_mb'] ?? 4096) * 100))
  }

  private addService(name: string, process: string, user: string, port?: number): void {
    this.services.set(name, { state: 'running', enabled: 'enabled', process, user, pid: this.nextPid++, ...(port ? { port } : {}) })
  }

  private setFile(path: string, content: string, mode = '0644'): void {
    this.files.set(path, { content, mode, owner: 'root', group: 'root', mtimeMs: this.bootMs + Math.floor(this.rnd() * 86_400_000) })
  }

  host(): Host {
    return {
      simulated: true,
      packages: {
        name: 'simulated',
        status: async (name) => this.packageInfo(checkPackage(name)),
        install: async (name, version) => this.changePackage(checkPackage(name), 'install', version),
        update: async (name) => this.changePackage(checkPackage(name), 'update'),
        uninstall: async (name) => this.changePackage(checkPackage(name), 'uninstall'),
        purge: async (name) => this.changePackage(checkPackage(name), 'purge'),
        list: async () => [...this.packages].map(([name, p]) => ({ name, version: p.version, arch: p.arch })).sort((a, b) => a.name.localeCompare(b.name)),
      },
      services: {
        name: 'simulated',
        status: async (name) => this.serviceInfo(checkService(name)),
        start: async (name) => this.changeService(checkService(name), 'running'),
        stop: async (name) => this.changeService(checkService(name), 'stopped'),
        restart: async (name) => this.changeService(checkService(name), 'running', true),
        reload: async (name) => this.changeService(checkService(name), 'running'),
      },
      processes: { name: 'simulated', list: async () => this.processList() },
      files: {
        name: 'simulated',
        status: async (path, o) => this.fileInfo(checkPath(path), o?.hashes ?? false),
        touch: async (path) => {
          const p = checkPath(path)
          const f = this.files.get(p)
          if (f) f.mtimeMs = Date.now()
          else this.files.set(p, { content: '', mode: '0644', owner: 'root', group: 'root', mtimeMs: Date.now() })
          return this.fileInfo(p, false)
        },
        remove: async (path) => {
          const p = checkPath(path)
          const f = this.files.get(p)
          if (f?.dir && [...this.files.keys()].some((k) => k !== p && k.startsWith(p.endsWith('/') ? p : p + '/')))
            throw new McshError('MCSH_FILE', `${p} is a directory that is not empty`)
          this.files.delete(p)
          return this.fileInfo(p, false)
        },
      },
      net: { name: 'simulated', ping: async (h) => this.ping(h), connect: async (h, port) => this.connect(h, port) },
      sysctl: { get: async (name) => this.sysctls.get(name) },
      commands: { run: async (command, args, o) => this.run(command, args, o) },
    }
  }

  private packageInfo(name: string): PackageInfo {
    const p = this.packages.get(name)
    return p ? { name, status: 'installed', installed: true, version: p.version, arch: p.arch } : { name, status: 'absent', installed: false, version: null, arch: null }
  }

  private changePackage(name: string, op: 'install' | 'update' | 'uninstall' | 'purge', version?: string): PackageInfo & ChangeResult {
    const had = this.packages.get(name)
    const arch = String(this.facts.architecture ?? 'x86_64') === 'aarch64' ? 'arm64' : 'amd64'
    let output: string
    switch (op) {
      case 'install':
        if (had && (!version || had.version === version)) output = `${name} is already the newest version (${had.version}).`
        else {
          const v = version ?? `${1 + Math.floor(this.rnd() * 3)}.${Math.floor(this.rnd() * 20)}.${Math.floor(this.rnd() * 10)}-1`
          this.packages.set(name, { version: v, arch })
          output = `Setting up ${name} (${v}) ...`
        }
        break
      case 'update':
        if (!had) throw new McshError('MCSH_PACKAGE_ABSENT', `package ${name} is not installed: install it first`)
        had.version = bumpVersion(had.version)
        output = `Unpacking ${name} (${had.version}) ...`
        break
      case 'uninstall':
      case 'purge':
        output = had ? `Removing ${name} (${had.version}) ...` : `Package '${name}' is not installed, so not removed`
        this.packages.delete(name)
        break
    }
    return { ...this.packageInfo(name), output: `[simulated] ${output}`, exitCode: 0 }
  }

  private serviceInfo(name: string): ServiceInfo {
    const s = this.services.get(name)
    return s ? { name, status: s.state, enabled: s.enabled } : { name, status: 'unknown', enabled: 'unknown' }
  }

  private changeService(name: string, state: ServiceState, restart = false): ServiceInfo & ChangeResult {
    const s = this.services.get(name)
    if (!s) throw new McshError('MCSH_SERVICE_UNKNOWN', `service ${name} does not exist on ${this.identity} (Unit ${name}.service not found)`)
    if (state === 'running' && (s.state !== 'running' || restart)) s.pid = this.nextPid++
    s.state = state
    return { ...this.serviceInfo(name), output: '[simulated]', exitCode: 0 }
  }

  private processList(): ProcessInfo[] {
    const started = (pid: number) => new Date(this.bootMs + (pid % 1000) * 1000).toISOString()
    const list: ProcessInfo[] = [
      { pid: 1, ppid: 0, user: 'root', name: 'systemd', command: '/sbin/init', state: 'S', rss_kb: 12_000, vsize_kb: 170_000, cpu_seconds: 40, started: started(1) },
      { pid: 2, ppid: 0, user: 'root', name: 'kthreadd', command: '[kthreadd]', state: 'S', rss_kb: 0, vsize_kb: 0, cpu_seconds: 0, started: started(2) },
    ]
    for (const [name, s] of this.services) {
      if (s.state !== 'running') continue
      const rss = 4000 + Math.floor(((s.pid * 7919) % 1000) * 300)
      list.push({ pid: s.pid, ppid: 1, user: s.user, name: s.process, command: `/usr/sbin/${s.process}${name === s.process ? '' : ` (${name})`}`, state: 'S', rss_kb: rss, vsize_kb: rss * 4, cpu_seconds: (s.pid % 97) * 3, started: started(s.pid) })
    }
    return list
  }

  private fileInfo(path: string, hashes: boolean): FileInfo {
    const f = this.files.get(path)
    if (!f) return { path, present: false, type: null, size: null, mode: null, owner: null, group: null, mtime: null, md5: null, sha256: null }
    const regular = !f.dir
    return {
      path,
      present: true,
      type: f.dir ? 'directory' : 'file',
      size: f.dir ? 4096 : Buffer.byteLength(f.content),
      mode: f.mode,
      owner: f.owner,
      group: f.group,
      mtime: new Date(f.mtimeMs).toISOString(),
      md5: hashes && regular ? createHash('md5').update(f.content).digest('hex') : null,
      sha256: hashes && regular ? createHash('sha256').update(f.content).digest('hex') : null,
    }
  }

  private ping(host: string): PingResult {
    checkHost(host)
    if (!/(\.example\.(net|com|org)|^localhost|^[\d.]+)$/.test(host)) return { host, reachable: false, rtt_ms: null, error: `ping: ${host}: Name or service not known` }
    const here = String(this.facts.datacenter ?? '')
    const sameSite = host.includes(`.${here}.`) || host === 'localhost' || host.startsWith('127.')
    const rtt = sameSite ? 0.2 + this.rnd() * 0.6 : 15 + this.rnd() * 140
    return { host, reachable: true, rtt_ms: Math.round(rtt * 100) / 100, error: null }
  }

  private connect(host: string, port: number): ConnectResult {
    const ping = this.ping(host)
    if (!ping.reachable) return { host, port, connected: false, time_ms: null, error: ping.error }
    const open = [22, 80, 443].includes(port) || [...this.services.values()].some((s) => s.port === port && s.state === 'running' && /^(localhost|127\.)/.test(host))
    return open
      ? { host, port, connected: true, time_ms: Math.round(((ping.rtt_ms ?? 1) * 1.5 + 0.1) * 100) / 100, error: null }
      : { host, port, connected: false, time_ms: null, error: `connect ECONNREFUSED ${host}:${port}` }
  }

  /** A handful of commands, answered from the simulated state; anything else is "not found". */
  private async run(command: string, args: readonly string[], o: { timeoutMs: number; signal?: AbortSignal }): Promise<CommandResult> {
    const started = performance.now()
    const line = command === '/bin/sh' || command === 'sh' ? (args[args.indexOf('-c') + 1] ?? '') : [command, ...args].join(' ')
    const done = (exitCode: number, stdout: string, stderr = '', timedOut = false): CommandResult => ({
      exitCode,
      signal: timedOut ? 'SIGTERM' : null,
      stdout,
      stderr,
      truncated: false,
      timedOut,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    })
    const [cmd, ...rest] = line.trim().split(/\s+/)
    switch (cmd) {
      case 'hostname':
        return done(0, `${this.facts.hostname ?? this.identity}\n`)
      case 'whoami':
        return done(0, 'root\n')
      case 'uname':
        return done(0, rest.includes('-r') ? `${this.facts['kernel.release'] ?? '6.1.0-18-amd64'}\n` : 'Linux\n')
      case 'uptime': {
        const days = Math.floor(Number(this.facts.uptime_seconds ?? 0) / 86400)
        return done(0, ` 12:00:00 up ${days} days,  1 user,  load average: ${(this.rnd() * 2).toFixed(2)}, ${(this.rnd() * 2).toFixed(2)}, ${(this.rnd() * 2).toFixed(2)}\n`)
      }
      case 'echo':
        return done(0, `${rest.join(' ')}\n`)
      case 'true':
        return done(0, '')
      case 'false':
        return done(1, '')
      case 'cat': {
        const f = this.files.get(rest[0] ?? '')
        return f && !f.dir ? done(0, f.content) : done(1, '', `cat: ${rest[0] ?? ''}: No such file or directory\n`)
      }
      case 'sleep': {
        const ms = Number(rest[0] ?? 0) * 1000
        const wait = Math.min(ms, o.timeoutMs)
        const aborted = await new Promise<boolean>((resolve) => {
          const t = setTimeout(() => resolve(false), wait)
          o.signal?.addEventListener('abort', () => {
            clearTimeout(t)
            resolve(true)
          })
        })
        return aborted || ms > o.timeoutMs ? done(-1, '', '', true) : done(0, '')
      }
      default:
        return done(127, '', `${cmd ?? ''}: command not found (this is a simulated host: hostname, whoami, uname, uptime, echo, cat, sleep, true, false)\n`)
    }
  }
}

function bumpVersion(v: string): string {
  const m = /^(.*?)(\d+)([^\d]*)$/.exec(v)
  return m ? `${m[1]}${Number(m[2]) + 1}${m[3]}` : `${v}.1`
}

function checkPackage(name: string): string {
  if (!PACKAGE_NAME.test(name) || name.length > 128) throw new McshError('MCSH_INVALID_PACKAGE', `invalid package name '${name}'`)
  return name
}

function checkService(name: string): string {
  if (!SERVICE_NAME.test(name) || name.length > 128) throw new McshError('MCSH_INVALID_SERVICE', `invalid service name '${name}'`)
  return name
}

function checkPath(path: string): string {
  if (!path.startsWith('/') || path.includes('\0')) throw new McshError('MCSH_INVALID_PATH', `'${path}' is not an absolute path`)
  return path.length > 1 ? path.replace(/\/+$/, '') : path
}

function checkHost(host: string): void {
  if (!/^[\w.:-]{1,253}$/.test(host)) throw new McshError('MCSH_INVALID_HOST', `invalid host name '${host}'`)
}
