/**
 * Destination names, the same on the embedded broker, RabbitMQ and ActiveMQ: only `/topic/` is
 * used, so no broker keeps durable queues for us (docs/transport.md).
 */
export const destinations = {
  /** Every node with the agent in the collective listens here. */
  broadcast: (collective: string, agent: string) => `/topic/${collective}.agent.${agent}`,
  /** One node, addressed directly. */
  directed: (collective: string, identity: string) => `/topic/${collective}.node.${identity}`,
  /** A client's private reply destination. */
  reply: (collective: string, clientId: string) => `/topic/${collective}.reply.${clientId}`,
}

/** The daemon's built-in agent answering discovery pings. */
export const DISCOVERY_AGENT = 'discovery'
