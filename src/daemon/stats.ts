import type { Clock } from '../util/clock.js'

export type Counter = 'received' | 'unvalidated' | 'ttlexpired' | 'replayed' | 'filtered' | 'passed' | 'replies' | 'errors' | 'busy' | 'denied'

/** A node's counters, named as MCollective's `rpcutil daemon_stats` where they overlap. */
export class DaemonStats {
  private readonly counters: Record<Counter, number> = {
    received: 0,
    unvalidated: 0,
    ttlexpired: 0,
    replayed: 0,
    filtered: 0,
    passed: 0,
    replies: 0,
    errors: 0,
    busy: 0,
    denied: 0,
  }
  private actionTimeMs = 0
  private actions = 0
  private readonly startedAtMs: number

  constructor(private readonly clock: Clock) {
    this.startedAtMs = clock.nowMs()
  }

  count(c: Counter): void {
    this.counters[c]++
  }

  get(c: Counter): number {
    return this.counters[c]
  }

  addActionTime(ms: number): void {
    this.actions++
    this.actionTimeMs += ms
  }

  snapshot(): Record<string, number> {
    const now = this.clock.nowMs()
    return {
      uptime: Math.floor((now - this.startedAtMs) / 1000),
      starttime: Math.floor(this.startedAtMs / 1000),
      requests: this.counters.received,
      ...this.counters,
      validated: this.counters.received - this.counters.unvalidated,
      actions: this.actions,
      action_time_ms: Math.round(this.actionTimeMs * 100) / 100,
    }
  }
}
