import type { FactValue } from '../facts/types.js'
import type { LogLevel } from '../util/logger.js'

export interface FactCommandConfig {
  command: string
  args: string[]
  timeoutMs: number
}

export interface SecurityConfig {
  /** 'ssl' (certificates), 'psk' (a shared key, for labs) or 'none' (only with insecure: true). */
  plugin: string
  psk?: string
  /** Overrides the caller id psk derives (`uid=<uid>`); ssl's caller id is always `cert=<subject>`. */
  callerId?: string
  /** ssl: the site CA bundle, this side's certificate and private key (PEM files). */
  ca?: string
  cert?: string
  key?: string
  /** Required to run with plugin 'none': nothing is signed or verified. */
  insecure?: boolean
}

/** One typed, frozen configuration for both the daemon and the client; each reads the keys it needs. */
export interface Config {
  identity: string
  /** The first is the main collective. */
  collectives: string[]
  broker: {
    /** The pool, in order of preference. */
    urls: string[]
    heartbeatMs: number
    connectTimeoutMs: number
    maxReconnectDelayMs: number
    /** Connections a simulated fleet shares (RabbitMQ takes ~830 sockets in all). */
    simulatorConnections: number
    tls: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean }
  }
  security: SecurityConfig
  serializer: string
  ttlSeconds: number
  maxClockSkewSeconds: number
  maxMessageBytes: number
  facts: {
    system: boolean
    files: string[]
    commands: FactCommandConfig[]
    static: Record<string, FactValue>
    refreshIntervalSeconds: number
  }
  classesFile: string | null
  agentDirs: string[]
  logLevel: LogLevel
  logFile: string | null
  daemon: { maxConcurrentActions: number; maxQueuedActions: number }
  authorization: {
    enabled: boolean
    /** `<agent>.policy` files (docs/authorization.md). */
    policyDir: string
    /** For agents without a policy file (rpcutil is allowed unless its own policy says otherwise). */
    default: 'allow' | 'deny'
  }
  audit: { file: string | null; maxBytes: number; keep: number }
  client: {
    discoveryTimeoutMs: number
    discoveryWindowMs: number
    /** Added to the DDL timeout when waiting for replies: network and queueing time. */
    replyGraceMs: number
  }
}
