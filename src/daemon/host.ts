import { destinations, DISCOVERY_AGENT } from '../protocol/destinations.js'
import type { Connector, InboundMessage, Subscription } from '../transport/types.js'
import { errorMessage } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import type { DaemonNode, Outgoing, Route } from './node.js'

export interface DaemonHostOptions {
  /** Each connector carries a share of the nodes: one node on one connection for a real daemon. */
  groups: Array<{ connector: Connector; nodes: DaemonNode[] }>
  logger: Logger
}

/**
 * Puts nodes on the broker. Nodes on one connection share one subscription per (collective, agent):
 * the broker sends one copy per connection and each node then takes the full request path itself.
 * Each node also subscribes to its own directed destination.
 */
export class DaemonHost {
  private readonly subscriptions: Subscription[] = []
  private inFlight = 0
  private idleWaiters: Array<() => void> = []
  private stopping = false

  constructor(private readonly o: DaemonHostOptions) {}

  get nodes(): DaemonNode[] {
    return this.o.groups.flatMap((g) => g.nodes)
  }

  /** Subscribes everything, then connects; resolves when every connector is up. */
  async start(): Promise<void> {
    for (const { connector, nodes } of this.o.groups) {
      const byDestination = new Map<string, { route: Route; nodes: DaemonNode[] }>()
      for (const node of nodes) {
        for (const collective of node.collectives) {
          for (const agent of [DISCOVERY_AGENT, ...node.agentNames()]) {
            const destination = destinations.broadcast(collective, agent)
            let entry = byDestination.get(destination)
            if (!entry) byDestination.set(destination, (entry = { route: { kind: 'broadcast', collective, agent }, nodes: [] }))
            entry.nodes.push(node)
          }
          const direct = destinations.directed(collective, node.identity)
          byDestination.set(direct, { route: { kind: 'directed', collective }, nodes: [node] })
        }
      }
      for (const [destination, { route, nodes: targets }] of byDestination) {
        this.subscriptions.push(connector.subscribe(destination, (m) => this.deliver(connector, m, route, targets)))
      }
    }
    await Promise.all(this.o.groups.map((g) => g.connector.connect()))
  }

  /** Stops taking requests, lets running actions finish (bounded), then closes the connections. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true
    for (const s of this.subscriptions.splice(0)) s.unsubscribe()
    if (this.inFlight > 0) {
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref()),
      ])
    }
    await Promise.all(this.o.groups.map((g) => g.connector.close()))
  }

  private deliver(connector: Connector, message: InboundMessage, route: Route, nodes: DaemonNode[]): void {
    if (this.stopping) return
    for (const node of nodes) {
      this.inFlight++
      node
        .handle(message.body, route)
        .then((out) => (out ? this.send(connector, out, node) : undefined))
        .catch((e) => this.o.logger.error('request handling failed', { node: node.identity, error: errorMessage(e) }))
        .finally(() => {
          if (--this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w()
        })
    }
  }

  private async send(connector: Connector, out: Outgoing, node: DaemonNode): Promise<void> {
    try {
      await connector.publish(out.destination, out.body)
    } catch (e) {
      this.o.logger.warn('reply not sent', { node: node.identity, destination: out.destination, error: errorMessage(e) })
    }
  }
}
