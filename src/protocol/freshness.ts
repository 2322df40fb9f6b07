import { McshError } from '../util/errors.js'
import type { Request } from './messages.js'

/** Refuses requests older than their ttl or from too far in the future. */
export function checkFreshness(req: Pick<Request, 'createdAtMs' | 'ttlSeconds'>, nowMs: number, maxClockSkewMs: number): void {
  const ageMs = nowMs - req.createdAtMs
  if (ageMs > req.ttlSeconds * 1000 + maxClockSkewMs)
    throw new McshError('MCSH_MSG_EXPIRED', `request expired: created ${(ageMs / 1000).toFixed(1)} s ago with a ttl of ${req.ttlSeconds} s`)
  if (-ageMs > maxClockSkewMs)
    throw new McshError(
      'MCSH_MSG_FUTURE',
      `request is from ${(-ageMs / 1000).toFixed(1)} s in the future (allowed skew ${maxClockSkewMs / 1000} s): check the clocks`,
    )
}

/**
 * Remembers request ids until they could no longer pass the ttl check, so a replayed request is
 * refused. Bounded: when full, the entries closest to expiry go first.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>()
  private nextSweepMs = 0

  constructor(private readonly maxEntries = 200_000) {}

  /** Throws when `id` was seen; else records it until `expiresAtMs`. */
  admit(id: string, expiresAtMs: number, nowMs: number): void {
    if (nowMs >= this.nextSweepMs || this.seen.size >= this.maxEntries) this.sweep(nowMs)
    const until = this.seen.get(id)
    if (until !== undefined && until > nowMs) throw new McshError('MCSH_MSG_REPLAYED', `request ${id} was already received: replay refused`)
    this.seen.set(id, expiresAtMs)
  }

  get size(): number {
    return this.seen.size
  }

  private sweep(nowMs: number): void {
    this.nextSweepMs = nowMs + 10_000
    for (const [id, until] of this.seen) if (until <= nowMs) this.seen.delete(id)
    if (this.seen.size >= this.maxEntries) {
      const excess = this.seen.size - Math.floor(this.maxEntries * 0.9)
      const oldest = [...this.seen].sort((a, b) => a[1] - b[1]).slice(0, excess)
      for (const [id] of oldest) this.seen.delete(id)
    }
  }
}
