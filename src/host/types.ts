/**
 * What agents may do to the host they run on, behind small interfaces: the real machine for a
 * daemon, a seeded simulation for a simulated node. Agents never reach the OS any other way, so the
 * same agent code serves both and the simulation can never touch the real machine.
 */

export interface PackageInfo {
  name: string
  /** 'installed', 'absent', or the package manager's own word for states in between ('half-installed', 'config-files'…). */
  status: string
  installed: boolean
  version: string | null
  arch: string | null
}

export interface ChangeResult {
  /** What the tool printed, bounded in size. */
  output: string
  exitCode: number
}

export interface PackageProvider {
  /** 'dpkg', 'rpm' or 'simulated'. */
  readonly name: string
  status(name: string): Promise<PackageInfo>
  install(name: string, version?: string): Promise<PackageInfo & ChangeResult>
  update(name: string): Promise<PackageInfo & ChangeResult>
  uninstall(name: string): Promise<PackageInfo & ChangeResult>
  purge(name: string): Promise<PackageInfo & ChangeResult>
  /** Every installed package, for count and md5. */
  list(): Promise<Array<{ name: string; version: string; arch: string | null }>>
}

export type ServiceState = 'running' | 'stopped' | 'unknown'
export type ServiceEnablement = 'enabled' | 'disabled' | 'static' | 'unknown'

export interface ServiceInfo {
  name: string
  status: ServiceState
  enabled: ServiceEnablement
}

export interface ServiceProvider {
  /** 'systemd', 'sysv' or 'simulated'. */
  readonly name: string
  status(name: string): Promise<ServiceInfo>
  start(name: string): Promise<ServiceInfo & ChangeResult>
  stop(name: string): Promise<ServiceInfo & ChangeResult>
  restart(name: string): Promise<ServiceInfo & ChangeResult>
  reload(name: string): Promise<ServiceInfo & ChangeResult>
}

export interface ProcessInfo {
  pid: number
  ppid: number
  user: string
  name: string
  command: string
  state: string
  rss_kb: number
  vsize_kb: number
  cpu_seconds: number
  started: string | null
}

export interface ProcessProvider {
  readonly name: string
  list(): Promise<ProcessInfo[]>
}

export interface FileInfo {
  path: string
  present: boolean
  type: 'file' | 'directory' | 'symlink' | 'other' | null
  size: number | null
  mode: string | null
  owner: string | null
  group: string | null
  mtime: string | null
  md5: string | null
  sha256: string | null
}

export interface FileProvider {
  readonly name: string
  status(path: string, o?: { hashes?: boolean }): Promise<FileInfo>
  touch(path: string): Promise<FileInfo>
  remove(path: string): Promise<FileInfo>
}

export interface PingResult {
  host: string
  reachable: boolean
  rtt_ms: number | null
  error: string | null
}

export interface ConnectResult {
  host: string
  port: number
  connected: boolean
  time_ms: number | null
  error: string | null
}

export interface NetProvider {
  readonly name: string
  ping(host: string, o: { timeoutMs: number }): Promise<PingResult>
  connect(host: string, port: number, o: { timeoutMs: number }): Promise<ConnectResult>
}

export interface CommandResult {
  exitCode: number | null
  signal: string | null
  stdout: string
  stderr: string
  /** Output beyond maxOutputBytes was dropped. */
  truncated: boolean
  timedOut: boolean
  durationMs: number
}

export interface CommandRunner {
  run(
    command: string,
    args: readonly string[],
    o: { timeoutMs: number; maxOutputBytes: number; env?: Record<string, string>; cwd?: string; input?: string; signal?: AbortSignal },
  ): Promise<CommandResult>
}

export interface SysctlProvider {
  /** A kernel parameter (`vm.swappiness`), or undefined when there is none. */
  get(name: string): Promise<string | undefined>
}

export interface Host {
  /** True for a simulated node: nothing touches the real machine. */
  readonly simulated: boolean
  readonly packages: PackageProvider
  readonly services: ServiceProvider
  readonly processes: ProcessProvider
  readonly files: FileProvider
  readonly net: NetProvider
  readonly sysctl: SysctlProvider
  /** Runs programs without a shell (the shell agent asks for `sh -c` explicitly). */
  readonly commands: CommandRunner
}
