import type { LoadedAgent } from '../agents/registry.js'
import type { Config } from '../config/types.js'
import type { Facts, FactValue } from '../facts/types.js'
import { createConnector } from '../transport/index.js'
import type { Connector } from '../transport/types.js'
import { systemClock, type Clock } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import { packageVersion } from '../util/package-root.js'
import { pick, pickWeighted, seededRandom } from '../util/random.js'
import { Semaphore } from '../util/semaphore.js'
import { createAudit, createAuthorizer, createCodec } from './build.js'
import { createSimulatedHost } from '../host/simulated.js'
import { readFileSync } from 'node:fs'
import type { MessageCodec } from '../protocol/codec.js'
import { issueCertificate, type Credentials } from '../security/pki.js'
import { SslVerifier } from '../security/ssl.js'
import { McshError } from '../util/errors.js'
import { DaemonHost } from './host.js'
import { DaemonNode } from './node.js'

export interface SimulatedHost {
  identity: string
  facts: Facts
  classes: string[]
}

interface Distro {
  family: string
  name: string
  releases: readonly string[]
  codenames: Record<string, string>
}

const distros: ReadonlyArray<readonly [Distro, number]> = [
  [{ family: 'debian', name: 'Debian', releases: ['11', '12'], codenames: { '11': 'bullseye', '12': 'bookworm' } }, 30],
  [{ family: 'debian', name: 'Ubuntu', releases: ['20.04', '22.04', '24.04'], codenames: { '20.04': 'focal', '22.04': 'jammy', '24.04': 'noble' } }, 25],
  [{ family: 'redhat', name: 'Rocky', releases: ['8.9', '9.3'], codenames: {} }, 20],
  [{ family: 'redhat', name: 'RedHat', releases: ['8.8', '9.2'], codenames: {} }, 15],
  [{ family: 'suse', name: 'SLES', releases: ['15.5'], codenames: {} }, 7],
  [{ family: 'arch', name: 'Archlinux', releases: ['rolling'], codenames: {} }, 3],
]

const roles = [
  ['web', 35],
  ['app', 20],
  ['db', 12],
  ['cache', 10],
  ['worker', 13],
  ['lb', 5],
  ['monitor', 5],
] as const

const sites = [
  { datacenter: 'ams1', country: 'nl' },
  { datacenter: 'fra1', country: 'de' },
  { datacenter: 'lon1', country: 'gb' },
  { datacenter: 'nyc1', country: 'us' },
  { datacenter: 'sfo1', country: 'us' },
] as const

const roleClasses: Record<string, string[][]> = {
  web: [['nginx'], ['apache'], ['apache', 'php']],
  app: [['java', 'tomcat'], ['nodejs'], ['python', 'gunicorn']],
  db: [['mysql'], ['postgresql'], ['postgresql', 'pgbouncer']],
  cache: [['redis'], ['memcached']],
  worker: [['sidekiq', 'ruby'], ['celery', 'python']],
  lb: [['haproxy'], ['haproxy', 'keepalived']],
  monitor: [['prometheus'], ['prometheus', 'grafana']],
}

/** A deterministic fleet: the same seed gives the same identities, facts and classes. */
export function simulateHosts(count: number, seed = 1): SimulatedHost[] {
  const rnd = seededRandom(seed)
  const perRole = new Map<string, number>()
  const hosts: SimulatedHost[] = []
  for (let i = 0; i < count; i++) {
    const role = pickWeighted(rnd, roles)
    const n = (perRole.get(role) ?? 0) + 1
    perRole.set(role, n)
    const site = pick(rnd, sites)
    const distro = pickWeighted(rnd, distros)
    const release = pick(rnd, distro.releases)
    const environment = pickWeighted(rnd, [['production', 70], ['staging', 20], ['development', 10]] as const)
    const hostname = `${role}${String(n).padStart(3, '0')}`
    const identity = `${hostname}.${site.datacenter}.example.net`
    const memoryMb = pick(rnd, [2048, 4096, 8192, 16384, 32768, 65536])
    const facts: Record<string, FactValue> = {
      os: 'linux',
      kernel: 'Linux',
      'os.family': distro.family,
      'os.name': distro.name,
      'os.release': release,
      'os.release.major': release.split('.')[0] as string,
      architecture: rnd() < 0.85 ? 'x86_64' : 'aarch64',
      hostname,
      fqdn: identity,
      domain: `${site.datacenter}.example.net`,
      role,
      environment,
      datacenter: site.datacenter,
      country: site.country,
      'processors.count': pick(rnd, [1, 2, 4, 8, 16, 32]),
      'memory.total_mb': memoryMb,
      'memory.free_mb': Math.floor(memoryMb * (0.1 + rnd() * 0.6)),
      ipaddress: `10.${sites.indexOf(site)}.${Math.floor(i / 250)}.${(i % 250) + 2}`,
      uptime_seconds: Math.floor(rnd() * 90 * 86400),
      'mcsh.simulated': true,
      'mcsh.version': packageVersion(),
    }
    const codename = distro.codenames[release]
    if (codename) facts['os.codename'] = codename
    const classes = ['base', 'ntp', 'ssh', 'monitoring::agent', `role::${role}`, ...pick(rnd, roleClasses[role] ?? [[]])]
    if (environment === 'production') classes.push('backup')
    hosts.push({ identity, facts: Object.freeze(facts), classes })
  }
  return hosts
}

export interface Fleet {
  hosts: SimulatedHost[]
  nodes: DaemonNode[]
  host: DaemonHost
  connectors: Connector[]
  stop(): Promise<void>
}

export interface FleetOptions {
  count: number
  seed?: number
  config: Readonly<Config>
  agents: ReadonlyMap<string, LoadedAgent>
  logger: Logger
  /** Broker connections the nodes share; `count` gives one per node. Default config.broker.simulatorConnections. */
  connections?: number
  clock?: Clock
  /**
   * With security plugin ssl: the CA that issues each simulated node its own certificate (Ed25519:
   * RSA keys for 1,000 nodes would take minutes to generate).
   */
  ca?: Credentials
}

/**
 * N simulated nodes in one process, each taking the real request path (decode, verify, filter,
 * validate, act, sign, reply) over the broker, sharing a few connections.
 */
export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const hosts = simulateHosts(o.count, o.seed ?? 1)
  const clock = o.clock ?? systemClock
  const codecFor = fleetCodecs(o, clock)
  // One policy cache and one audit log serve every simulated node: neither keeps per-node state.
  const authorizer = createAuthorizer(o.config, o.logger)
  const audit = createAudit(o.config, o.logger)
  const limiter = new Semaphore(Math.max(64, o.config.daemon.maxConcurrentActions * 4), Math.max(10_000, o.count * 4))
  const nodes = hosts.map(
    (h) =>
      new DaemonNode({
        identity: h.identity,
        collectives: o.config.collectives,
        codec: codecFor(h.identity),
        agents: o.agents,
        facts: { all: () => h.facts, get: (name) => h.facts[name] },
        classes: () => h.classes,
        host: createSimulatedHost(h.identity, h.facts, h.classes),
        clock,
        logger: o.logger,
        maxClockSkewMs: o.config.maxClockSkewSeconds * 1000,
        limiter,
        version: packageVersion(),
        ...(authorizer ? { authorizer } : {}),
        ...(audit ? { audit } : {}),
      }),
  )
  const connectionCount = Math.max(1, Math.min(o.connections ?? o.config.broker.simulatorConnections, nodes.length || 1))
  const groups = Array.from({ length: connectionCount }, () => ({
    connector: createConnector(o.config, { role: 'daemon', logger: o.logger }),
    nodes: [] as DaemonNode[],
  }))
  nodes.forEach((node, i) => groups[i % connectionCount]?.nodes.push(node))
  const host = new DaemonHost({ groups, logger: o.logger })
  await host.start()
  return {
    hosts,
    nodes,
    host,
    connectors: groups.map((g) => g.connector),
    stop: async () => {
      await host.stop(1000)
      audit?.close()
    },
  }
}

/** psk and none: one codec for all. ssl: a certificate per node, one shared verifier. */
function fleetCodecs(o: FleetOptions, clock: Clock): (identity: string) => MessageCodec {
  if (o.config.security.plugin !== 'ssl') {
    const shared = createCodec(o.config, { role: 'server', logger: o.logger })
    return () => shared
  }
  const ca = o.ca
  if (!ca) throw new McshError('MCSH_CONFIG_INVALID', 'a simulated fleet with security plugin ssl needs a CA to issue its node certificates (mcshd --simulate-ca DIR)')
  // Clients' certificates are checked against the configured CA bundle, else the issuing CA.
  const verifier = new SslVerifier(o.config.security.ca ? readFileSync(o.config.security.ca, 'utf8') : ca.certPem, clock)
  return (identity) => {
    const { certPem, keyPem } = issueCertificate({ ca, name: identity, role: 'server', keyType: 'ed25519', days: 30 })
    return createCodec(o.config, { role: 'server', identity, credentials: { certPem, keyPem: keyPem as string }, verifier, logger: o.logger })
  }
}
