import { errorMessage } from '../util/errors.js'
import { systemClock } from '../util/clock.js'
import type { Clock } from '../util/clock.js'
import { silentLogger } from '../util/logger.js'
import type { Logger } from '../util/logger.js'
import { flattenFacts, setFact } from './flatten.js'
import type { FactValue, Facts } from './types.js'

export interface FactSource {
  readonly name: string
  /** Flat facts. Throws, with a message naming the source and what went wrong, on failure. */
  load(): Promise<Record<string, FactValue>>
}

export interface FactStoreOptions {
  /** Merged in this order, later sources winning. */
  sources: FactSource[]
  /** Default 300_000; 0 = never refresh after load(). */
  refreshIntervalMs?: number
  logger?: Logger
  clock?: Clock
  /** Applied over every source. */
  overrides?: Record<string, FactValue>
  /**
   * A backstop for sources that never settle: one that has not answered after this long counts as
   * failed for that load. Keep it above every command's own timeout. Default 300_000.
   */
  sourceTimeoutMs?: number
}

export interface FactRefresh {
  atMs: number
  errors: Array<{ source: string; message: string }>
}

/** Later layers win. Returns a new object; the layers are not modified. */
export function mergeFacts(layers: Array<Record<string, FactValue>>): Record<string, FactValue> {
  const out: Record<string, FactValue> = {}
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer)) setFact(out, name, value)
  }
  return out
}

/**
 * The node's facts: every source merged, each keeping its last-known-good facts when a load fails.
 * load() never rejects; failures are logged and reported by lastRefresh().
 */
export class FactStore {
  private readonly sources: FactSource[]
  private readonly refreshIntervalMs: number
  private readonly sourceTimeoutMs: number
  private readonly logger: Logger
  private readonly clock: Clock
  private readonly overrides: Record<string, FactValue>
  private readonly lastGood = new Map<number, Record<string, FactValue>>()
  private snapshot: Facts
  private sortedNames: string[]
  private refresh: FactRefresh = { atMs: 0, errors: [] }
  private inFlight: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  private running = false
  private versionValue = 0

  constructor(options: FactStoreOptions) {
    this.sources = [...options.sources]
    this.refreshIntervalMs = options.refreshIntervalMs ?? 300_000
    this.sourceTimeoutMs = options.sourceTimeoutMs ?? 300_000
    this.logger = options.logger ?? silentLogger
    this.clock = options.clock ?? systemClock
    this.overrides = flattenFacts(options.overrides ?? {})
    this.snapshot = Object.freeze(mergeFacts([this.overrides]))
    this.sortedNames = Object.keys(this.snapshot).sort()
  }

  /** Increments whenever a load changes any fact. */
  get version(): number {
    return this.versionValue
  }

  /** Concurrent calls share the load already running. */
  load(): Promise<void> {
    this.inFlight ??= this.loadAll().finally(() => {
      this.inFlight = undefined
    })
    return this.inFlight
  }

  get(name: string): FactValue | undefined {
    return Object.hasOwn(this.snapshot, name) ? this.snapshot[name] : undefined
  }

  /** Frozen, and the same object for as long as no fact changes. */
  all(): Facts {
    return this.snapshot
  }

  /** Sorted. */
  names(): string[] {
    return [...this.sortedNames]
  }

  /** Refreshes every refreshIntervalMs after the previous load finished (no overlap); does not load now. */
  start(): void {
    if (this.running || this.refreshIntervalMs <= 0) return
    this.running = true
    this.schedule()
  }

  /** A load already running completes, but no further one is scheduled. */
  stop(): void {
    this.running = false
    clearTimeout(this.timer)
    this.timer = undefined
  }

  lastRefresh(): FactRefresh {
    return { atMs: this.refresh.atMs, errors: this.refresh.errors.map((e) => ({ ...e })) }
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.load().finally(() => {
        // stop() then start() during this load has already scheduled the next one.
        if (this.running && this.timer === undefined) this.schedule()
      })
    }, this.refreshIntervalMs)
    this.timer.unref()
  }

  private async loadAll(): Promise<void> {
    const results = await Promise.allSettled(this.sources.map((s) => this.loadOne(s)))
    const errors: FactRefresh['errors'] = []
    const layers: Array<Record<string, FactValue>> = []
    results.forEach((result, i) => {
      const source = this.sources[i] as FactSource
      if (result.status === 'fulfilled') {
        this.lastGood.set(i, result.value)
      } else {
        const message = errorMessage(result.reason)
        errors.push({ source: source.name, message })
        const kept = this.lastGood.get(i)
        this.logger.warn('fact source failed', {
          source: source.name,
          error: message,
          keeping: kept !== undefined ? 'last known good facts' : 'nothing (no earlier success)',
        })
      }
      const layer = this.lastGood.get(i)
      if (layer !== undefined) layers.push(layer)
    })
    layers.push(this.overrides)

    const merged = mergeFacts(layers)
    this.refresh = { atMs: this.clock.nowMs(), errors }
    if (!sameFacts(merged, this.snapshot)) {
      this.snapshot = Object.freeze(merged)
      this.sortedNames = Object.keys(merged).sort()
      this.versionValue++
      this.logger.debug('facts changed', { count: this.sortedNames.length, version: this.versionValue })
    }
  }

  private loadOne(source: FactSource): Promise<Record<string, FactValue>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`fact source ${source.name} did not answer within ${this.sourceTimeoutMs} ms`)),
        this.sourceTimeoutMs,
      )
      Promise.resolve()
        .then(() => source.load())
        .then((facts) => {
          if (typeof facts !== 'object' || facts === null || Array.isArray(facts)) {
            throw new Error(`fact source ${source.name} returned ${Array.isArray(facts) ? 'a list' : String(facts)} instead of facts`)
          }
          // Sources should already be flat; this also enforces the name and value limits.
          return flattenFacts(facts)
        })
        .then(resolve, reject)
        .finally(() => clearTimeout(timer))
    })
  }
}

function sameFacts(a: Record<string, FactValue>, b: Facts): boolean {
  const keys = Object.keys(a)
  if (keys.length !== Object.keys(b).length) return false
  return keys.every((k) => Object.hasOwn(b, k) && Object.is(a[k], b[k]))
}
