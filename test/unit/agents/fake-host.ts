import { fileURLToPath } from 'node:url'
import type { AgentDefinition, NodeView } from '../../../src/agents/define.js'
import { dispatchAction, type ActionResult } from '../../../src/agents/dispatch.js'
import type { LoadedAgent } from '../../../src/agents/registry.js'
import { loadDdlFile } from '../../../src/ddl/index.js'
import type {
  ChangeResult,
  CommandResult,
  CommandRunner,
  ConnectResult,
  FileInfo,
  FileProvider,
  Host,
  NetProvider,
  PackageInfo,
  PackageProvider,
  PingResult,
  ProcessInfo,
  ProcessProvider,
  ServiceEnablement,
  ServiceInfo,
  ServiceProvider,
  ServiceState,
  SysctlProvider,
} from '../../../src/host/types.js'
import { McshError } from '../../../src/util/errors.js'
import { silentLogger } from '../../../src/util/logger.js'
import filemgr from '../../../agents/filemgr/agent.js'
import nettest from '../../../agents/nettest/agent.js'
import packageAgent from '../../../agents/package/agent.js'
import processAgent from '../../../agents/process/agent.js'
import service from '../../../agents/service/agent.js'
import shell from '../../../agents/shell/agent.js'

const IMPLEMENTATIONS = { package: packageAgent, service, process: processAgent, filemgr, nettest, shell } satisfies Record<string, AgentDefinition>
export type StandardAgent = keyof typeof IMPLEMENTATIONS
export const STANDARD_AGENTS = Object.keys(IMPLEMENTATIONS) as StandardAgent[]

export function agentDir(name: string): string {
  return fileURLToPath(new URL(`../../../agents/${name}`, import.meta.url))
}

/** The agent's DDL plus its TypeScript implementation, without needing a build. */
export async function loadStandardAgent(name: StandardAgent): Promise<LoadedAgent> {
  const ddl = await loadDdlFile(`${agentDir(name)}/${name}.ddl.json5`)
  return { name, ddl, actions: IMPLEMENTATIONS[name].actions, origin: `agents/${name}/agent.ts` }
}

const node: NodeView = {
  identity: 'test.example.com',
  collectives: ['mcollective'],
  facts: () => ({}),
  fact: () => undefined,
  classes: () => [],
  agents: () => [],
  stats: () => ({}),
  version: '0.0.0-test',
  dataPlugins: [],
}

export function call(agent: LoadedAgent, action: string, data: Record<string, unknown>, host: Host): Promise<ActionResult> {
  return dispatchAction(agent, action, data, {
    node,
    host,
    request: { id: 'req-1', callerId: 'cert=tester', sender: 'client', agent: agent.name, action, collective: 'mcollective' },
    logger: silentLogger,
  })
}

export const invalid = (msg: string, code = 'MCSH_INVALID_NAME'): McshError => new McshError(code, msg)

interface FakePackage {
  version: string
  arch: string | null
  status?: string
}

export class FakePackages implements PackageProvider {
  readonly name = 'fake'
  readonly installed = new Map<string, FakePackage>()
  /** Versions the fake repository offers; install/update pick the last one. */
  readonly available = new Map<string, string[]>()
  readonly calls: string[] = []
  /** Next change answers with this exit code and output and changes nothing. */
  failNext: { exitCode: number; output: string } | undefined
  throwOn: Partial<Record<'status' | 'install' | 'update' | 'uninstall' | 'purge' | 'list', Error>> = {}

  async status(name: string): Promise<PackageInfo> {
    this.calls.push(`status ${name}`)
    if (this.throwOn.status) throw this.throwOn.status
    return this.info(name)
  }

  private info(name: string): PackageInfo {
    const p = this.installed.get(name)
    if (!p) return { name, status: 'absent', installed: false, version: null, arch: null }
    const status = p.status ?? 'installed'
    return status === 'installed'
      ? { name, status, installed: true, version: p.version, arch: p.arch }
      : { name, status, installed: false, version: null, arch: null }
  }

  private change(kind: 'install' | 'update' | 'uninstall' | 'purge', name: string, apply: () => string): PackageInfo & ChangeResult {
    this.calls.push(`${kind} ${name}`)
    const thrown = this.throwOn[kind]
    if (thrown) throw thrown
    if (this.failNext) {
      const f = this.failNext
      this.failNext = undefined
      return { ...this.info(name), ...f }
    }
    const output = apply()
    return { ...this.info(name), output, exitCode: output.startsWith('E:') ? 100 : 0 }
  }

  async install(name: string, version?: string): Promise<PackageInfo & ChangeResult> {
    return this.change('install', name, () => {
      const offered = this.available.get(name) ?? []
      const v = version ?? offered[offered.length - 1]
      if (v === undefined || !offered.includes(v)) return `E: Unable to locate package ${name}`
      this.installed.set(name, { version: v, arch: 'amd64' })
      return `Setting up ${name} (${v}) ...`
    })
  }

  async update(name: string): Promise<PackageInfo & ChangeResult> {
    return this.change('update', name, () => {
      const offered = this.available.get(name) ?? []
      const v = offered[offered.length - 1]
      if (v === undefined) return `E: Unable to locate package ${name}`
      this.installed.set(name, { version: v, arch: 'amd64' })
      return `Setting up ${name} (${v}) ...`
    })
  }

  async uninstall(name: string): Promise<PackageInfo & ChangeResult> {
    return this.change('uninstall', name, () => {
      const p = this.installed.get(name)
      if (p) p.status = 'config-files'
      return `Removing ${name} ...`
    })
  }

  async purge(name: string): Promise<PackageInfo & ChangeResult> {
    return this.change('purge', name, () => {
      this.installed.delete(name)
      return `Purging configuration files for ${name} ...`
    })
  }

  async list(): Promise<Array<{ name: string; version: string; arch: string | null }>> {
    if (this.throwOn.list) throw this.throwOn.list
    return [...this.installed]
      .filter(([, p]) => (p.status ?? 'installed') === 'installed')
      .map(([name, p]) => ({ name, version: p.version, arch: p.arch }))
  }
}

export class FakeServices implements ServiceProvider {
  readonly name = 'fake'
  readonly services = new Map<string, { status: ServiceState; enabled: ServiceEnablement; failsToStart?: boolean }>()
  readonly calls: string[] = []
  failNext: { exitCode: number; output: string } | undefined

  /** Like systemd: status of an unknown unit is 'unknown', changing it is an error. */
  private info(name: string): ServiceInfo {
    const s = this.services.get(name)
    return s ? { name, status: s.status, enabled: s.enabled } : { name, status: 'unknown', enabled: 'unknown' }
  }

  async status(name: string): Promise<ServiceInfo> {
    this.calls.push(`status ${name}`)
    return this.info(name)
  }

  private change(kind: string, name: string, to: ServiceState): ServiceInfo & ChangeResult {
    this.calls.push(`${kind} ${name}`)
    if (!this.services.has(name)) throw new McshError('MCSH_SERVICE_UNKNOWN', `service ${name} does not exist (Unit ${name}.service not found)`)
    const info = this.info(name)
    if (this.failNext) {
      const f = this.failNext
      this.failNext = undefined
      return { ...info, ...f }
    }
    const s = this.services.get(name)
    if (s && !(to === 'running' && s.failsToStart)) s.status = to
    return { ...this.info(name), output: '', exitCode: 0 }
  }

  async start(name: string): Promise<ServiceInfo & ChangeResult> {
    return this.change('start', name, 'running')
  }
  async stop(name: string): Promise<ServiceInfo & ChangeResult> {
    return this.change('stop', name, 'stopped')
  }
  async restart(name: string): Promise<ServiceInfo & ChangeResult> {
    return this.change('restart', name, 'running')
  }
  async reload(name: string): Promise<ServiceInfo & ChangeResult> {
    return this.change('reload', name, 'running')
  }
}

export class FakeProcesses implements ProcessProvider {
  readonly name = 'fake'
  processes: ProcessInfo[] = []
  error: Error | undefined

  async list(): Promise<ProcessInfo[]> {
    if (this.error) throw this.error
    return this.processes.map((p) => ({ ...p }))
  }
}

export function proc(pid: number, user: string, command: string, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  const name = command.split(' ')[0]?.split('/').pop() ?? ''
  return { pid, ppid: 1, user, name, command, state: 'S', rss_kb: 1000 + pid, vsize_kb: 5000 + pid, cpu_seconds: pid / 10, started: null, ...extra }
}

interface FakeFile {
  type: 'file' | 'directory'
  content: string
  mode: string
  owner: string
  group: string
  mtime: string
}

export class FakeFiles implements FileProvider {
  readonly name = 'fake'
  readonly files = new Map<string, FakeFile>()
  readonly hashRequests: boolean[] = []
  denied = new Set<string>()
  now = '2024-05-01T12:00:00.000Z'

  private check(path: string): void {
    if (this.denied.has(path)) {
      const e = new Error(`EACCES: permission denied, open '${path}'`) as Error & { code: string }
      e.code = 'EACCES'
      throw e
    }
  }

  private info(path: string, hashes: boolean): FileInfo {
    const f = this.files.get(path)
    if (!f) return { path, present: false, type: null, size: null, mode: null, owner: null, group: null, mtime: null, md5: null, sha256: null }
    const regular = f.type === 'file'
    return {
      path,
      present: true,
      type: f.type,
      size: Buffer.byteLength(f.content),
      mode: f.mode,
      owner: f.owner,
      group: f.group,
      mtime: f.mtime,
      md5: hashes && regular ? `md5(${f.content})` : null,
      sha256: hashes && regular ? `sha256(${f.content})` : null,
    }
  }

  async status(path: string, o?: { hashes?: boolean }): Promise<FileInfo> {
    this.check(path)
    this.hashRequests.push(o?.hashes ?? true)
    return this.info(path, o?.hashes ?? true)
  }

  async touch(path: string): Promise<FileInfo> {
    this.check(path)
    const f = this.files.get(path)
    if (f) f.mtime = this.now
    else this.files.set(path, { type: 'file', content: '', mode: '0644', owner: 'root', group: 'root', mtime: this.now })
    return this.info(path, false)
  }

  async remove(path: string): Promise<FileInfo> {
    this.check(path)
    this.files.delete(path)
    return this.info(path, false)
  }
}

export class FakeNet implements NetProvider {
  readonly name = 'fake'
  readonly pings = new Map<string, PingResult>()
  readonly ports = new Map<string, ConnectResult>()
  readonly timeouts: number[] = []
  error: Error | undefined

  async ping(host: string, o: { timeoutMs: number }): Promise<PingResult> {
    this.timeouts.push(o.timeoutMs)
    if (this.error) throw this.error
    return this.pings.get(host) ?? { host, reachable: false, rtt_ms: null, error: '100% packet loss' }
  }

  async connect(host: string, port: number, o: { timeoutMs: number }): Promise<ConnectResult> {
    this.timeouts.push(o.timeoutMs)
    if (this.error) throw this.error
    return this.ports.get(`${host}:${port}`) ?? { host, port, connected: false, time_ms: null, error: 'connection refused' }
  }
}

type RunOptions = Parameters<CommandRunner['run']>[2]

export class FakeCommands implements CommandRunner {
  readonly runs: Array<{ command: string; args: readonly string[]; o: RunOptions }> = []
  respond: (command: string, args: readonly string[], o: RunOptions) => Promise<CommandResult> | CommandResult = () => ({
    exitCode: 0,
    signal: null,
    stdout: '',
    stderr: '',
    truncated: false,
    timedOut: false,
    durationMs: 1,
  })

  async run(command: string, args: readonly string[], o: RunOptions): Promise<CommandResult> {
    this.runs.push({ command, args, o })
    return this.respond(command, args, o)
  }
}

class FakeSysctl implements SysctlProvider {
  async get(): Promise<string | undefined> {
    return undefined
  }
}

export class FakeHost implements Host {
  readonly simulated = true
  readonly packages = new FakePackages()
  readonly services = new FakeServices()
  readonly processes = new FakeProcesses()
  readonly files = new FakeFiles()
  readonly net = new FakeNet()
  readonly sysctl = new FakeSysctl()
  readonly commands = new FakeCommands()
}
