import { hostname, userInfo } from 'node:os'
import type { Config } from './types.js'

export function defaultConfig(): Config {
  return {
    identity: hostname(),
    collectives: ['mcollective'],
    broker: {
      urls: ['stomp://127.0.0.1:61613'],
      heartbeatMs: 5000,
      connectTimeoutMs: 5000,
      maxReconnectDelayMs: 30_000,
      simulatorConnections: 8,
      tls: { rejectUnauthorized: true },
    },
    security: { plugin: 'ssl' },
    serializer: 'json',
    ttlSeconds: 60,
    maxClockSkewSeconds: 30,
    maxMessageBytes: 4 * 1024 * 1024,
    facts: { system: true, files: [], commands: [], static: {}, refreshIntervalSeconds: 300 },
    classesFile: null,
    agentDirs: [],
    logLevel: 'info',
    logFile: null,
    daemon: { maxConcurrentActions: 16, maxQueuedActions: 2000 },
    authorization: { enabled: true, policyDir: '/etc/mcsh/policies', default: 'deny' },
    audit: { file: null, maxBytes: 50 * 1024 * 1024, keep: 5 },
    client: { discoveryTimeoutMs: 2000, discoveryWindowMs: 100, replyGraceMs: 2000 },
  }
}

export function defaultCallerId(): string {
  try {
    return `uid=${userInfo().uid}`
  } catch {
    return 'uid=unknown'
  }
}
