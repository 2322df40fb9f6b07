import { describe, expect, it } from 'vitest'
import {
  type Consumer,
  Deque,
  MessageQueue,
  TopicIndex,
  destinationError,
  matchTopic,
  newCounters,
  parseDestination,
} from '../../../src/broker/destinations.js'
import { OutboundMessage } from '../../../src/broker/frame.js'

describe('topic wildcards', () => {
  const cases: Array<[string, string, boolean]> = [
    ['a.b.c', 'a.b.c', true],
    ['a.b.c', 'a.b', false],
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.c', false],
    ['a.*.c', 'a.b.b.c', false],
    ['*', 'a', true],
    ['*', 'a.b', false],
    ['*', '', false],
    ['#', '', true],
    ['#', 'a.b.c', true],
    ['a.#', 'a', true],
    ['a.#', 'a.b.c', true],
    ['a.#', 'b.a', false],
    ['#.c', 'c', true],
    ['#.c', 'a.b.c', true],
    ['#.c', 'a.b.c.d', false],
    ['a.#.c', 'a.c', true],
    ['a.#.c', 'a.b.x.c', true],
    ['a.#.c', 'a.b.x.d', false],
    ['a.#.b.#.c', 'a.x.b.y.b.z.c', true],
    ['a.#.b.#.c', 'a.x.c.b', false],
    ['#.*', '', false],
    ['#.*', 'a', true],
    ['*.#', 'a.b', true],
    ['a.*.#', 'a', false],
    ['a.*.#', 'a.b', true],
    ['#.#', 'a.b', true],
    ['mcollective.*.agent', 'mcollective.rpcutil.agent', true],
    ['mcollective.*.agent', 'mcollective.rpcutil.reply', false],
  ]
  it.each(cases)('%s vs %s → %s', (pattern, topic, expected) => {
    expect(matchTopic(pattern, topic)).toBe(expected)
  })

  it('is fast on adversarial patterns', () => {
    const pattern = Array.from({ length: 30 }, () => '#.a').join('.') + '.b'
    const topic = Array.from({ length: 200 }, () => 'a').join('.')
    const started = performance.now()
    expect(matchTopic(pattern, topic)).toBe(false)
    expect(performance.now() - started).toBeLessThan(200)
  })
})

describe('TopicIndex', () => {
  it('matches exact and wildcard members and tracks changes', () => {
    const index = new TopicIndex<string>()
    index.add('a.b', 'exact')
    index.add('a.*', 'star')
    index.add('#', 'hash')
    expect([...index.match('a.b')].sort()).toEqual(['exact', 'hash', 'star'])
    expect([...index.match('a.c')].sort()).toEqual(['hash', 'star'])
    const before = index.match('a.b')
    index.remove('#', 'hash')
    expect([...index.match('a.b')].sort()).toEqual(['exact', 'star'])
    expect(before).toHaveLength(3)
    index.remove('a.b', 'exact')
    index.remove('a.*', 'star')
    expect(index.match('a.b')).toEqual([])
  })
})

describe('parseDestination', () => {
  it('recognises the three prefixes', () => {
    expect(parseDestination('/topic/a.b')).toEqual({ kind: 'topic', name: 'a.b', raw: '/topic/a.b' })
    expect(parseDestination('/queue/q')?.kind).toBe('queue')
    expect(parseDestination('/temp-queue/r')?.kind).toBe('temp-queue')
    expect(parseDestination('/exchange/x/y')).toBeUndefined()
    expect(parseDestination('/topic/')).toBeUndefined()
    expect(destinationError('/foo/bar')).toBe("unknown destination '/foo/bar': the broker accepts /topic/NAME, /queue/NAME, /temp-queue/NAME")
  })
})

describe('Deque', () => {
  it('keeps FIFO order through push, shift and unshift', () => {
    const d = new Deque<number>()
    for (let i = 0; i < 5000; i++) d.push(i)
    for (let i = 0; i < 3000; i++) expect(d.shift()).toBe(i)
    d.unshift(2999)
    d.unshift(2998)
    expect(d.length).toBe(2002)
    expect(d.shift()).toBe(2998)
    expect(d.shift()).toBe(2999)
    expect(d.shift()).toBe(3000)
  })
})

describe('MessageQueue', () => {
  const msg = (n: number) => new OutboundMessage(`m${n}`, '/queue/q', [], Buffer.from(String(n)))
  const consumer = (got: string[], accept = () => true): Consumer => ({
    deliver: (m) => {
      if (!accept()) return false
      got.push(m.id)
      return true
    },
  })

  it('buffers up to the limit, drops the oldest, and drains on subscribe', () => {
    const counters = newCounters()
    const q = new MessageQueue('q', 3, counters)
    for (let i = 1; i <= 5; i++) q.offer(msg(i))
    expect(q.depth).toBe(3)
    expect(counters.dropped).toBe(2)
    const got: string[] = []
    q.addConsumer(consumer(got))
    expect(got).toEqual(['m3', 'm4', 'm5'])
    expect(q.depth).toBe(0)
  })

  it('round-robins and skips consumers that refuse', () => {
    const q = new MessageQueue('q', 10, newCounters())
    const a: string[] = []
    const b: string[] = []
    const c: string[] = []
    q.addConsumer(consumer(a))
    q.addConsumer(consumer(b, () => false))
    q.addConsumer(consumer(c))
    for (let i = 1; i <= 4; i++) q.offer(msg(i))
    expect(a).toEqual(['m1', 'm3'])
    expect(b).toEqual([])
    expect(c).toEqual(['m2', 'm4'])
  })

  it('requeues at the head in order', () => {
    const q = new MessageQueue('q', 10, newCounters())
    q.offer(msg(3))
    q.requeue([msg(1), msg(2)])
    const got: string[] = []
    q.addConsumer(consumer(got))
    expect(got).toEqual(['m1', 'm2', 'm3'])
  })
})
