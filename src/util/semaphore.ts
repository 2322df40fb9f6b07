/** Bounds concurrency: at most `limit` holders; waiters beyond `maxQueued` are refused. */
export class Semaphore {
  private active = 0
  private readonly waiters: Array<() => void> = []

  constructor(
    readonly limit: number,
    readonly maxQueued = Infinity,
  ) {}

  get inUse(): number {
    return this.active
  }

  get queued(): number {
    return this.waiters.length
  }

  /** Resolves to false when the queue is full: the caller must refuse the work. */
  async acquire(): Promise<boolean> {
    if (this.active < this.limit) {
      this.active++
      return true
    }
    if (this.waiters.length >= this.maxQueued) return false
    await new Promise<void>((resolve) => this.waiters.push(resolve))
    return true
  }

  release(): void {
    const next = this.waiters.shift()
    if (next) next()
    else this.active--
  }
}
