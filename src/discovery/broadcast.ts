import type { Filter } from '../filter/types.js'
import { DISCOVERY_AGENT } from '../protocol/destinations.js'
import type { Reply } from '../protocol/messages.js'
import type { DiscoveryMethod, DiscoveryOptions, DiscoveryResult } from './types.js'

export interface Exchange {
  requestId: string
  close(): void
}

/** The one thing broadcast discovery needs from a client. */
export interface Requester {
  request(
    o: { agent: string; action: string; data: Record<string, unknown>; filter: Filter; collective: string; targets: 'broadcast' },
    onReply: (reply: Reply) => void,
  ): Promise<Exchange>
}

/**
 * Broadcasts a discovery ping with the filter and ends adaptively: once replies stop arriving for a
 * window after the last one (the larger of `windowMs` and four times the first reply's latency, so a
 * slow network widens it), or at `timeoutMs` at the latest, or when cancelled.
 */
export function broadcastDiscovery(requester: Requester): DiscoveryMethod {
  return {
    name: 'broadcast',
    async discover(filter: Filter, o: DiscoveryOptions): Promise<DiscoveryResult> {
      const started = performance.now()
      const nodes = new Set<string>()
      const agents = new Map<string, string[]>()
      let lastReplyAt = 0
      let firstLatency = 0
      let settle: (how: DiscoveryResult['ended']) => void = () => {}
      const ended = new Promise<DiscoveryResult['ended']>((resolve) => (settle = resolve))
      let windowTimer: NodeJS.Timeout | undefined
      const armWindow = () => {
        clearTimeout(windowTimer)
        const windowMs = Math.max(o.windowMs, firstLatency * 4)
        const remaining = o.timeoutMs - (performance.now() - started)
        windowTimer = setTimeout(() => settle(performance.now() - lastReplyAt >= windowMs - 1 ? 'window' : 'timeout'), Math.max(0, Math.min(windowMs, remaining)))
      }
      const exchange = await requester.request(
        { agent: DISCOVERY_AGENT, action: 'ping', data: {}, filter, collective: o.collective, targets: 'broadcast' },
        (reply) => {
          if (nodes.has(reply.sender)) return
          const now = performance.now()
          if (nodes.size === 0) firstLatency = now - started
          nodes.add(reply.sender)
          const list = reply.data.agents
          if (Array.isArray(list)) agents.set(reply.sender, list.filter((a): a is string => typeof a === 'string'))
          lastReplyAt = now
          o.onNode?.(reply.sender)
          armWindow()
        },
      )
      const maxTimer = setTimeout(() => settle('timeout'), o.timeoutMs)
      const onAbort = () => settle('cancelled')
      o.signal?.addEventListener('abort', onAbort, { once: true })
      if (o.signal?.aborted) settle('cancelled')
      const how = await ended
      clearTimeout(maxTimer)
      clearTimeout(windowTimer)
      o.signal?.removeEventListener('abort', onAbort)
      exchange.close()
      const list = [...nodes].sort()
      return { nodes: list, stats: { discovered: list.length, discovery_ms: round(performance.now() - started) }, ended: how, method: 'broadcast', agents }
    },
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}
