import type { OutboundMessage } from './frame.js'

export type DestinationKind = 'topic' | 'queue' | 'temp-queue'

export interface Destination {
  kind: DestinationKind
  /** What follows the prefix: `a.b` for `/topic/a.b`. */
  name: string
  raw: string
}

export const DESTINATION_PREFIXES: ReadonlyArray<readonly [string, DestinationKind]> = [
  ['/topic/', 'topic'],
  ['/queue/', 'queue'],
  ['/temp-queue/', 'temp-queue'],
]

/** Queue names the broker gives to temp queues; sending to one that no longer exists drops the message. */
export const TEMP_QUEUE_NAME_PREFIX = 'amq.gen-'

/** The destination, or undefined for an unknown prefix or an empty name. */
export function parseDestination(raw: string): Destination | undefined {
  for (const [prefix, kind] of DESTINATION_PREFIXES) {
    if (raw.startsWith(prefix)) {
      const name = raw.slice(prefix.length)
      return name.length > 0 ? { kind, name, raw } : undefined
    }
  }
  return undefined
}

export function destinationError(raw: string): string {
  const known = DESTINATION_PREFIXES.map(([p]) => p + 'NAME').join(', ')
  return `unknown destination '${raw}': the broker accepts ${known}`
}

export function isWildcardPattern(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('#')
}

/**
 * RabbitMQ topic matching over dot-separated words: `*` is exactly one word, `#` zero or more.
 * Glob matching with backtracking to the last `#`: O(pattern × topic) at worst.
 */
export function matchTopicWords(pattern: readonly string[], topic: readonly string[]): boolean {
  let p = 0
  let t = 0
  let hashP = -1
  let hashT = 0
  while (t < topic.length) {
    const word = pattern[p]
    if (word === '#') {
      hashP = p++
      hashT = t
    } else if (p < pattern.length && (word === '*' || word === topic[t])) {
      p++
      t++
    } else if (hashP >= 0) {
      p = hashP + 1
      t = ++hashT
    } else {
      return false
    }
  }
  while (pattern[p] === '#') p++
  return p === pattern.length
}

/** As RabbitMQ: the empty topic has no words. */
export function topicWords(topic: string): string[] {
  return topic === '' ? [] : topic.split('.')
}

export function matchTopic(pattern: string, topic: string): boolean {
  if (!isWildcardPattern(pattern)) return pattern === topic
  return matchTopicWords(topicWords(pattern), topicWords(topic))
}

const MATCH_CACHE_ENTRIES = 10_000

/** Topic subscriptions: exact names in a map, wildcard patterns scanned, results cached per topic until the next change. */
export class TopicIndex<T> {
  private readonly exact = new Map<string, Set<T>>()
  private readonly wildcards = new Map<string, { words: string[]; members: Set<T> }>()
  private cache = new Map<string, readonly T[]>()

  add(pattern: string, member: T): void {
    if (isWildcardPattern(pattern)) {
      let entry = this.wildcards.get(pattern)
      if (!entry) this.wildcards.set(pattern, (entry = { words: topicWords(pattern), members: new Set() }))
      entry.members.add(member)
    } else {
      let set = this.exact.get(pattern)
      if (!set) this.exact.set(pattern, (set = new Set()))
      set.add(member)
    }
    this.invalidate()
  }

  remove(pattern: string, member: T): void {
    if (isWildcardPattern(pattern)) {
      const entry = this.wildcards.get(pattern)
      if (entry?.members.delete(member) && entry.members.size === 0) this.wildcards.delete(pattern)
    } else {
      const set = this.exact.get(pattern)
      if (set?.delete(member) && set.size === 0) this.exact.delete(pattern)
    }
    this.invalidate()
  }

  /** The members whose pattern matches `topic`. The array is never mutated afterwards: safe to iterate while members change. */
  match(topic: string): readonly T[] {
    const cached = this.cache.get(topic)
    if (cached) return cached
    const exact = this.exact.get(topic)
    const result: T[] = exact ? [...exact] : []
    if (this.wildcards.size > 0) {
      const words = topicWords(topic)
      for (const { words: pattern, members } of this.wildcards.values()) {
        if (matchTopicWords(pattern, words)) for (const m of members) result.push(m)
      }
    }
    if (this.cache.size >= MATCH_CACHE_ENTRIES) this.cache = new Map()
    this.cache.set(topic, result)
    return result
  }

  private invalidate(): void {
    if (this.cache.size > 0) this.cache = new Map()
  }
}

/** FIFO with O(1) amortised push, shift and unshift. */
export class Deque<T> {
  private items: Array<T | undefined> = []
  private head = 0

  get length(): number {
    return this.items.length - this.head
  }

  push(item: T): void {
    this.items.push(item)
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]
    this.items[this.head++] = undefined
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return item
  }

  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item
    else this.items.unshift(item)
  }

  clear(): void {
    this.items = []
    this.head = 0
  }
}

export interface Counters {
  framesIn: number
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
  dropped: number
  errors: number
  subscriptions: number
}

export function newCounters(): Counters {
  return { framesIn: 0, messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, dropped: 0, errors: 0, subscriptions: 0 }
}

export interface Consumer {
  /**
   * Writes the message to the consumer's connection. Returns false, having written nothing, when
   * the connection can take no more (closing, or over its write high-water mark).
   * Must not call back into the queue.
   */
  deliver(message: OutboundMessage, queue: MessageQueue | undefined): boolean
}

/**
 * A queue: each message goes to one consumer, round-robin; kept (up to `limit`, dropping the
 * oldest) while no consumer takes it. A temp queue has an `owner` session and a `fallback`
 * consumer that receives messages when the owner has no explicit subscription.
 */
export class MessageQueue {
  private readonly consumers: Consumer[] = []
  private next = 0
  private readonly buffer = new Deque<OutboundMessage>()
  fallback: Consumer | undefined

  constructor(
    readonly name: string,
    private readonly limit: number,
    private readonly counters: Counters,
    readonly owner?: string,
  ) {}

  get depth(): number {
    return this.buffer.length
  }

  get consumerCount(): number {
    return this.consumers.length
  }

  offer(message: OutboundMessage): void {
    if (this.buffer.length === 0 && this.tryDeliver(message)) return
    this.buffer.push(message)
    if (this.buffer.length > this.limit) {
      this.buffer.shift()
      this.counters.dropped++
    }
    if (this.buffer.length > 1) this.drain()
  }

  /** Puts unacknowledged messages back at the head, in their original order, and redelivers. */
  requeue(messages: readonly OutboundMessage[]): void {
    for (let i = messages.length - 1; i >= 0; i--) this.buffer.unshift(messages[i] as OutboundMessage)
    this.drain()
  }

  addConsumer(consumer: Consumer): void {
    this.consumers.push(consumer)
    this.drain()
  }

  removeConsumer(consumer: Consumer): void {
    const i = this.consumers.indexOf(consumer)
    if (i < 0) return
    this.consumers.splice(i, 1)
    if (this.next > i) this.next--
    if (this.next >= this.consumers.length) this.next = 0
  }

  /** Drops everything buffered (queue deleted); returns how many. */
  purge(): number {
    const n = this.buffer.length
    this.buffer.clear()
    return n
  }

  drain(): void {
    while (this.buffer.length > 0) {
      const message = this.buffer.shift() as OutboundMessage
      if (!this.tryDeliver(message)) {
        this.buffer.unshift(message)
        return
      }
    }
  }

  private tryDeliver(message: OutboundMessage): boolean {
    const n = this.consumers.length
    if (n === 0) return this.fallback?.deliver(message, this) ?? false
    for (let tried = 0; tried < n; tried++) {
      const index = this.next % n
      this.next = (index + 1) % n
      const consumer = this.consumers[index]
      if (consumer?.deliver(message, this)) return true
    }
    return false
  }
}

/** Routing state shared by all sessions. */
export class Router {
  private readonly topics = new TopicIndex<Consumer>()
  private readonly queues = new Map<string, MessageQueue>()

  constructor(
    private readonly counters: Counters,
    private readonly queueBufferLimit: number,
  ) {}

  publishTopic(name: string, message: OutboundMessage): number {
    const consumers = this.topics.match(name)
    for (const consumer of consumers) consumer.deliver(message, undefined)
    return consumers.length
  }

  subscribeTopic(pattern: string, consumer: Consumer): void {
    this.topics.add(pattern, consumer)
  }

  unsubscribeTopic(pattern: string, consumer: Consumer): void {
    this.topics.remove(pattern, consumer)
  }

  findQueue(name: string): MessageQueue | undefined {
    return this.queues.get(name)
  }

  queue(name: string): MessageQueue {
    let queue = this.queues.get(name)
    if (!queue) this.queues.set(name, (queue = new MessageQueue(name, this.queueBufferLimit, this.counters)))
    return queue
  }

  /** False when the message was dropped: a temp queue that no longer exists. */
  publishQueue(name: string, message: OutboundMessage): boolean {
    let queue = this.queues.get(name)
    if (!queue) {
      if (name.startsWith(TEMP_QUEUE_NAME_PREFIX)) {
        this.counters.dropped++
        return false
      }
      queue = this.queue(name)
    }
    queue.offer(message)
    return true
  }

  createTempQueue(name: string, owner: string, fallback: Consumer): MessageQueue {
    const queue = new MessageQueue(name, this.queueBufferLimit, this.counters, owner)
    queue.fallback = fallback
    this.queues.set(name, queue)
    return queue
  }

  deleteQueue(queue: MessageQueue): void {
    if (this.queues.get(queue.name) === queue) this.queues.delete(queue.name)
    this.counters.dropped += queue.purge()
  }

  /** Buffered depth of every queue except temp queues. */
  depths(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const queue of this.queues.values()) if (queue.owner === undefined) out[queue.name] = queue.depth
    return out
  }
}
