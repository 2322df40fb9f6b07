import { watch, type FSWatcher } from 'node:fs'
import { loadAgents } from '../agents/loader.js'
import type { Config } from '../config/types.js'
import { commandFactSource, fileFactSource, FactStore, readClassesFile, systemFactSource, type FactSource } from '../facts/index.js'
import { MessageCodec } from '../protocol/codec.js'
import { createSecurity, type SecurityContext } from '../security/registry.js'
import { createSerializer } from '../serializer/registry.js'
import { createConnector } from '../transport/index.js'
import type { Connector } from '../transport/types.js'
import { systemClock, type Clock } from '../util/clock.js'
import { errorMessage } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import { packageVersion } from '../util/package-root.js'
import { Semaphore } from '../util/semaphore.js'
import { DaemonHost } from './host.js'
import { DaemonNode } from './node.js'
import { Authorizer } from '../authz/index.js'
import { AuditLog } from './audit.js'
import { createRealHost } from '../host/real/index.js'

export interface Daemon {
  host: DaemonHost
  node: DaemonNode
  facts: FactStore
  /** Re-reads facts and classes (SIGHUP). */
  reload(): Promise<void>
  stop(): Promise<void>
}

/** Facts in the documented order: system, files, commands, then the config's static facts. */
export function factSources(config: Readonly<Config>): FactSource[] {
  const sources: FactSource[] = []
  if (config.facts.system) sources.push(systemFactSource({ mcshVersion: packageVersion() }))
  for (const file of config.facts.files) sources.push(fileFactSource(file))
  for (const c of config.facts.commands) sources.push(commandFactSource(c.command, c.args, { timeoutMs: c.timeoutMs }))
  return sources
}

/** The policy checker, when authorization is on; its start-up status goes to the log. */
export function createAuthorizer(config: Readonly<Config>, log: Logger): Authorizer | undefined {
  if (!config.authorization.enabled) {
    log.warn('authorization is off (authorization.enabled: false): every caller may run every action but shell, which always needs a policy')
    // Even then the shell agent runs only where its own policy file allows it.
    return new Authorizer({ policyDir: config.authorization.policyDir, defaultEffect: 'allow', logger: log, builtinAllow: [], requirePolicy: ['shell'] })
  }
  const authorizer = new Authorizer({ policyDir: config.authorization.policyDir, defaultEffect: config.authorization.default, logger: log })
  for (const p of authorizer.status()) {
    if (p.error) log.error('policy not loaded', { agent: p.agent, file: p.file, error: p.error })
    else log.info('policy loaded', { agent: p.agent, file: p.file, rules: p.rules })
  }
  return authorizer
}

export function createAudit(config: Readonly<Config>, log: Logger): AuditLog | undefined {
  return config.audit.file ? new AuditLog({ file: config.audit.file, maxBytes: config.audit.maxBytes, keep: config.audit.keep, logger: log }) : undefined
}

export function createCodec(config: Readonly<Config>, ctx: SecurityContext): MessageCodec {
  return new MessageCodec({ security: createSecurity(config, ctx), serializer: createSerializer(config.serializer), maxMessageBytes: config.maxMessageBytes })
}

/** A real daemon: one node, one connection. */
export async function startDaemon(config: Readonly<Config>, o: { logger: Logger; clock?: Clock; connector?: Connector }): Promise<Daemon> {
  const log = o.logger
  const facts = new FactStore({
    sources: factSources(config),
    refreshIntervalMs: config.facts.refreshIntervalSeconds * 1000,
    logger: log,
    overrides: config.facts.static,
  })
  await facts.load()
  facts.start()
  let classes: readonly string[] = []
  const loadClasses = async () => {
    if (!config.classesFile) return
    try {
      classes = await readClassesFile(config.classesFile, { optional: true })
    } catch (e) {
      log.warn('classes file not read; keeping the previous classes', { file: config.classesFile, error: errorMessage(e) })
    }
  }
  await loadClasses()
  let watcher: FSWatcher | undefined
  if (config.classesFile) {
    try {
      watcher = watch(config.classesFile, { persistent: false }, () => void loadClasses())
    } catch {
      // the file may appear later; SIGHUP and the fact refresh re-read it
    }
  }
  const agents = await loadAgents({ dirs: config.agentDirs, logger: log })
  const authorizer = createAuthorizer(config, log)
  const audit = createAudit(config, log)
  const node = new DaemonNode({
    identity: config.identity,
    collectives: config.collectives,
    codec: createCodec(config, { role: 'server', identity: config.identity, logger: log }),
    agents,
    facts,
    classes: () => classes,
    clock: o.clock ?? systemClock,
    logger: log,
    maxClockSkewMs: config.maxClockSkewSeconds * 1000,
    limiter: new Semaphore(config.daemon.maxConcurrentActions, config.daemon.maxQueuedActions),
    version: packageVersion(),
    ...(authorizer ? { authorizer } : {}),
    ...(audit ? { audit } : {}),
    host: createRealHost({ logger: log }),
  })
  const connector = o.connector ?? createConnector(config, { role: 'daemon', logger: log })
  const host = new DaemonHost({ groups: [{ connector, nodes: [node] }], logger: log })
  log.info('starting', { identity: config.identity, collectives: config.collectives.join(','), agents: [...agents.keys()].join(','), facts: facts.names().length })
  await host.start()
  return {
    host,
    node,
    facts,
    reload: async () => {
      await facts.load()
      await loadClasses()
      log.info('reloaded facts and classes', { facts: facts.names().length, classes: classes.length })
    },
    stop: async () => {
      watcher?.close()
      facts.stop()
      await host.stop()
      audit?.close()
    },
  }
}
