import { silentLogger, type Logger } from '../../util/logger.js'
import type { FileProvider, Host, NetProvider, PackageProvider, ProcessProvider, ServiceProvider, SysctlProvider } from '../types.js'
import { createCommandRunner } from './commands.js'
import { createLocalFileProvider } from './files.js'
import { createSystemNetProvider } from './net.js'
import { detectPackageProvider } from './packages.js'
import { createProcProvider } from './processes.js'
import { detectServiceProvider } from './services.js'
import { createProcSysctlProvider } from './sysctl.js'

export { createCommandRunner, findExecutable } from './commands.js'

export interface RealHostOptions {
  logger?: Logger
  /** PATH to search for tools and to give commands; default process.env.PATH. */
  path?: string
  /** Extra variables for every command (a proxy for apt, say); LANG and LC_ALL are always C. */
  env?: NodeJS.ProcessEnv
  /** Timeout of package installs, updates and removals; default 300 s. */
  packageTimeoutMs?: number
  /** Timeout of service starts, stops, restarts and reloads; default 120 s. */
  serviceTimeoutMs?: number
  /** Whether systemd is PID 1; default: /run/systemd/system exists. */
  systemdBooted?: boolean
}

/**
 * The machine this process runs on. Package and service providers are chosen on first use from the
 * tools on PATH (dpkg/apt or rpm/dnf/yum; systemd when it is PID 1, else SysV init), so creating a
 * host costs nothing and a host without a package manager still serves everything else.
 */
export function createRealHost(o: RealHostOptions = {}): Host {
  const logger = (o.logger ?? silentLogger).child({ host: 'real' })
  const commands = createCommandRunner({ logger, ...(o.path !== undefined ? { path: o.path } : {}), ...(o.env ? { env: o.env } : {}) })
  const path = commands.path
  let packages: PackageProvider | undefined
  let services: ServiceProvider | undefined
  let processes: ProcessProvider | undefined
  let files: FileProvider | undefined
  let net: NetProvider | undefined
  let sysctl: SysctlProvider | undefined

  return {
    simulated: false,
    commands,
    get packages() {
      if (packages === undefined) {
        packages = detectPackageProvider({ runner: commands, path, logger, ...(o.packageTimeoutMs !== undefined ? { changeTimeoutMs: o.packageTimeoutMs } : {}) })
        logger.debug('package provider', { provider: packages.name })
      }
      return packages
    },
    get services() {
      if (services === undefined) {
        services = detectServiceProvider({
          runner: commands,
          path,
          logger,
          ...(o.serviceTimeoutMs !== undefined ? { changeTimeoutMs: o.serviceTimeoutMs } : {}),
          ...(o.systemdBooted !== undefined ? { systemdBooted: o.systemdBooted } : {}),
        })
        logger.debug('service provider', { provider: services.name })
      }
      return services
    },
    get processes() {
      return (processes ??= createProcProvider())
    },
    get files() {
      return (files ??= createLocalFileProvider({ logger }))
    },
    get net() {
      return (net ??= createSystemNetProvider({ runner: commands, path }))
    },
    get sysctl() {
      return (sysctl ??= createProcSysctlProvider())
    },
  }
}
