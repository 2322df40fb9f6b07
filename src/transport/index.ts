import type { Config } from '../config/types.js'
import { parseBrokerPool } from '../config/broker-url.js'
import type { Logger } from '../util/logger.js'
import { StompConnector } from './stomp/connector.js'
import type { Connector } from './types.js'

export type { Connector, ConnectorState, InboundMessage, MessageHandler, PublishOptions, Subscription } from './types.js'
export { StompConnector, type StompConnectorOptions } from './stomp/connector.js'

/** A client gives up after one round through the pool; a daemon keeps trying. */
export function createConnector(config: Readonly<Config>, o: { role: 'client' | 'daemon'; logger?: Logger; urls?: string[] }): Connector {
  const tls = config.broker.tls
  return new StompConnector({
    pool: parseBrokerPool(o.urls ?? config.broker.urls),
    heartbeatMs: config.broker.heartbeatMs,
    connectTimeoutMs: config.broker.connectTimeoutMs,
    maxReconnectDelayMs: config.broker.maxReconnectDelayMs,
    connectRounds: o.role === 'client' ? 1 : Infinity,
    tls: { ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}), rejectUnauthorized: tls.rejectUnauthorized },
    ...(o.logger ? { logger: o.logger } : {}),
  })
}
