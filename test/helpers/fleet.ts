import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadAgents } from '../../src/agents/loader.js'
import { RpcClient } from '../../src/client/rpc-client.js'
import { defaultConfig } from '../../src/config/defaults.js'
import type { Config } from '../../src/config/types.js'
import { startFleet, type Fleet } from '../../src/daemon/simulator.js'
import { shortId } from '../../src/util/ids.js'
import { silentLogger, type Logger } from '../../src/util/logger.js'
import type { TestPki } from './ssl.js'

export const fixtureAgentDir = join(import.meta.dirname, '..', 'fixtures', 'agents')

export interface TestConfigOptions {
  brokerUrl: string
  /** A fresh collective per test keeps parallel suites on a shared RabbitMQ apart. */
  collective?: string
  psk?: string
  mutate?: (c: Config) => void
}

export function testConfig(o: TestConfigOptions): Config {
  const c = defaultConfig()
  c.broker.urls = [o.brokerUrl]
  c.broker.connectTimeoutMs = 3000
  c.broker.heartbeatMs = 2000
  c.collectives = [o.collective ?? `t_${shortId(4)}`]
  c.identity = 'test-client'
  c.security = { plugin: 'psk', psk: o.psk ?? 'test-psk' }
  c.authorization = { ...c.authorization, default: 'allow' }
  c.agentDirs = [fixtureAgentDir]
  c.client.discoveryTimeoutMs = 1500
  c.client.discoveryWindowMs = 150
  c.client.replyGraceMs = 1000
  c.logLevel = 'silent'
  o.mutate?.(c)
  return c
}

export interface TestFleet {
  config: Config
  fleet: Fleet
  client: RpcClient
  stop(): Promise<void>
}

export async function startTestFleet(o: {
  brokerUrl: string
  nodes?: number
  seed?: number
  connections?: number
  logger?: Logger
  mutate?: (c: Config) => void
  collective?: string
  /** Sign with ssl: the client as alice, each node with its own certificate from the CA. */
  pki?: TestPki
}): Promise<TestFleet> {
  const config = testConfig({ brokerUrl: o.brokerUrl, ...(o.mutate ? { mutate: o.mutate } : {}), ...(o.collective ? { collective: o.collective } : {}) })
  if (o.pki) config.security = { plugin: 'ssl', ...o.pki.alice.files }
  const agents = await loadAgents({ dirs: config.agentDirs, logger: silentLogger, strict: true })
  const fleet = await startFleet({
    count: o.nodes ?? 5,
    seed: o.seed ?? 7,
    config,
    agents,
    logger: o.logger ?? silentLogger,
    connections: o.connections ?? 2,
    ...(o.pki ? { ca: o.pki.ca } : {}),
  })
  const client = new RpcClient({ config, logger: silentLogger })
  await client.connect()
  return {
    config,
    fleet,
    client,
    stop: async () => {
      await client.close()
      await fleet.stop()
    },
  }
}

/** A client config file for the bins that matches the test fleet (collective, key, agents, quick discovery). */
export function writeClientConfig(dir: string, config: Config): string {
  const file = join(dir, 'client.json5')
  writeFileSync(
    file,
    JSON.stringify({
      collectives: config.collectives,
      security: config.security,
      authorization: config.authorization,
      agentDirs: config.agentDirs,
      client: { discoveryTimeoutMs: 1500, discoveryWindowMs: 150, replyGraceMs: 1000 },
    }),
  )
  return file
}
