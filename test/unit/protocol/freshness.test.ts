import { describe, expect, it } from 'vitest'
import { checkFreshness, ReplayGuard } from '../../../src/protocol/freshness.js'

describe('checkFreshness', () => {
  const now = 1_700_000_000_000
  it('accepts requests within ttl and skew', () => {
    expect(() => checkFreshness({ createdAtMs: now - 59_000, ttlSeconds: 60 }, now, 0)).not.toThrow()
    expect(() => checkFreshness({ createdAtMs: now + 4_000, ttlSeconds: 60 }, now, 5_000)).not.toThrow()
  })
  it('refuses expired and future requests, saying by how much', () => {
    expect(() => checkFreshness({ createdAtMs: now - 120_000, ttlSeconds: 60 }, now, 30_000)).toThrow(/expired: created 120\.0 s ago with a ttl of 60 s/)
    expect(() => checkFreshness({ createdAtMs: now + 60_000, ttlSeconds: 60 }, now, 30_000)).toThrow(/60\.0 s in the future \(allowed skew 30 s\)/)
  })
})

describe('ReplayGuard', () => {
  it('refuses an id seen before until it expires', () => {
    const g = new ReplayGuard()
    g.admit('a', 1000, 0)
    expect(() => g.admit('a', 1000, 10)).toThrow(/already received/)
    expect(() => g.admit('a', 3000, 1001)).not.toThrow()
  })
  it('stays bounded', () => {
    const g = new ReplayGuard(1000)
    for (let i = 0; i < 5000; i++) g.admit(`id${i}`, 1_000_000 + i, i)
    expect(g.size).toBeLessThanOrEqual(1000)
    expect(() => g.admit('id4999', 2_000_000, 5000)).toThrow()
  })
})
