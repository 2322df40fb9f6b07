import { afterEach, describe, expect, it } from 'vitest'
import { FactStore, mergeFacts } from '../../../src/facts/store.js'
import type { FactSource } from '../../../src/facts/store.js'
import type { FactValue } from '../../../src/facts/types.js'
import type { Logger } from '../../../src/util/logger.js'

function fixed(name: string, facts: Record<string, FactValue>): FactSource {
  return { name, load: async () => ({ ...facts }) }
}

/** A source whose next answer the test sets: facts, or an Error to throw. */
function scripted(name: string, initial: Record<string, FactValue> | Error) {
  let next = initial
  let calls = 0
  const source: FactSource = {
    name,
    async load() {
      calls++
      if (next instanceof Error) throw next
      return { ...next }
    },
  }
  return {
    source,
    set: (v: Record<string, FactValue> | Error) => {
      next = v
    },
    calls: () => calls,
  }
}

function recordingLogger() {
  const warnings: Array<{ msg: string; fields?: Record<string, unknown> }> = []
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (msg, fields) => warnings.push({ msg, fields }),
    error: () => {},
    child: () => logger,
  }
  return { logger, warnings }
}

async function until(check: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs} ms`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

const stores: FactStore[] = []
function store(...args: ConstructorParameters<typeof FactStore>): FactStore {
  const s = new FactStore(...args)
  stores.push(s)
  return s
}
afterEach(() => {
  for (const s of stores.splice(0)) s.stop()
})

describe('mergeFacts', () => {
  it('lets later layers win without modifying the layers', () => {
    const a = { x: 1, y: 'a' }
    const b = { y: 'b', z: true }
    expect(mergeFacts([a, b, {}])).toEqual({ x: 1, y: 'b', z: true })
    expect(a).toEqual({ x: 1, y: 'a' })
    expect(mergeFacts([])).toEqual({})
  })
})

describe('FactStore', () => {
  it('merges sources in order, later winning, overrides last', async () => {
    const s = store({
      sources: [fixed('system', { os: 'linux', role: 'none', a: 1 }), fixed('file', { role: 'web', b: 2 }), fixed('command', { b: 3 })],
      overrides: { a: 'override', extra: true },
      refreshIntervalMs: 0,
    })
    await s.load()
    expect(s.all()).toEqual({ os: 'linux', role: 'web', a: 'override', b: 3, extra: true })
    expect(s.get('role')).toBe('web')
    expect(s.get('missing')).toBeUndefined()
    expect(s.get('toString')).toBeUndefined()
    expect(s.names()).toEqual(['a', 'b', 'extra', 'os', 'role'])
  })

  it('serves a frozen snapshot that keeps its identity until a fact changes', async () => {
    const src = scripted('s', { a: 1 })
    const s = store({ sources: [src.source], refreshIntervalMs: 0 })
    await s.load()
    const first = s.all()
    expect(Object.isFrozen(first)).toBe(true)
    expect(s.all()).toBe(first)
    await s.load()
    expect(s.all()).toBe(first)
    src.set({ a: 2 })
    await s.load()
    expect(s.all()).not.toBe(first)
    expect(first).toEqual({ a: 1 })
    expect(s.get('a')).toBe(2)
  })

  it('increments version only when facts change', async () => {
    const src = scripted('s', { a: 1 })
    const s = store({ sources: [src.source], refreshIntervalMs: 0 })
    expect(s.version).toBe(0)
    await s.load()
    expect(s.version).toBe(1)
    await s.load()
    expect(s.version).toBe(1)
    src.set({ a: 1, b: 2 })
    await s.load()
    expect(s.version).toBe(2)
    src.set({ a: '1', b: 2 })
    await s.load()
    expect(s.version).toBe(3)
    src.set(new Error('down'))
    await s.load()
    expect(s.version).toBe(3)
  })

  it('keeps a failing source’s last-known-good facts and reports the failure', async () => {
    const { logger, warnings } = recordingLogger()
    let now = 1_000
    const cmd = scripted('command:facter --json', { 'os.family': 'debian', uptime: 5 })
    const s = store({ sources: [fixed('system', { os: 'linux' }), cmd.source], logger, clock: { nowMs: () => now }, refreshIntervalMs: 0 })
    await s.load()
    expect(s.lastRefresh()).toEqual({ atMs: 1_000, errors: [] })

    cmd.set(new Error('facts command `facter --json` timed out after 10000 ms and was killed'))
    now = 2_000
    await s.load()
    expect(s.all()).toEqual({ os: 'linux', 'os.family': 'debian', uptime: 5 })
    expect(s.lastRefresh()).toEqual({
      atMs: 2_000,
      errors: [{ source: 'command:facter --json', message: 'facts command `facter --json` timed out after 10000 ms and was killed' }],
    })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.fields).toMatchObject({ source: 'command:facter --json', error: expect.stringContaining('timed out') })

    cmd.set({ 'os.family': 'debian', uptime: 6 })
    now = 3_000
    await s.load()
    expect(s.get('uptime')).toBe(6)
    expect(s.lastRefresh().errors).toEqual([])
  })

  it('on a first load with no last-known-good, a failing source contributes nothing and load() resolves', async () => {
    const { logger, warnings } = recordingLogger()
    const throwsSync: FactSource = {
      name: 'sync-thrower',
      load: () => {
        throw new Error('boom')
      },
    }
    const notAnObject = { name: 'bad-shape', load: async () => 'nope' } as unknown as FactSource
    const s = store({
      sources: [fixed('system', { os: 'linux' }), scripted('file:/etc/mcsh/facts.yaml', new Error('missing')).source, throwsSync, notAnObject],
      overrides: { role: 'db' },
      logger,
      refreshIntervalMs: 0,
    })
    await expect(s.load()).resolves.toBeUndefined()
    expect(s.all()).toEqual({ os: 'linux', role: 'db' })
    expect(s.lastRefresh().errors.map((e) => e.source)).toEqual(['file:/etc/mcsh/facts.yaml', 'sync-thrower', 'bad-shape'])
    expect(s.lastRefresh().errors[2]?.message).toContain('instead of facts')
    expect(warnings).toHaveLength(3)
  })

  it('fails a source that never answers after sourceTimeoutMs', async () => {
    const hang: FactSource = { name: 'hang', load: () => new Promise(() => {}) }
    const s = store({ sources: [fixed('system', { os: 'linux' }), hang], sourceTimeoutMs: 50, refreshIntervalMs: 0 })
    await s.load()
    expect(s.all()).toEqual({ os: 'linux' })
    expect(s.lastRefresh().errors[0]?.message).toContain('did not answer within 50 ms')
  })

  it('flattens and limits what sources and overrides give it', async () => {
    const nested = { name: 'nested', load: async () => ({ os: { family: 'debian' } }) } as unknown as FactSource
    const s = store({ sources: [nested], overrides: { 'x.y': 1 }, refreshIntervalMs: 0 })
    await s.load()
    expect(s.all()).toEqual({ 'os.family': 'debian', 'x.y': 1 })
  })

  it('exposes overrides before the first load', () => {
    const s = store({ sources: [], overrides: { role: 'web' } })
    expect(s.all()).toEqual({ role: 'web' })
    expect(s.lastRefresh()).toEqual({ atMs: 0, errors: [] })
  })

  it('shares a load already in progress', async () => {
    const src = scripted('s', { a: 1 })
    const s = store({ sources: [src.source], refreshIntervalMs: 0 })
    await Promise.all([s.load(), s.load(), s.load()])
    expect(src.calls()).toBe(1)
  })

  it('refreshes on the interval until stopped', async () => {
    const src = scripted('s', { n: 0 })
    const s = store({ sources: [src.source], refreshIntervalMs: 20 })
    await s.load()
    s.start()
    s.start()
    src.set({ n: 1 })
    await until(() => s.get('n') === 1, 2_000)
    await until(() => src.calls() >= 4, 2_000)
    s.stop()
    await new Promise((r) => setTimeout(r, 30))
    const calls = src.calls()
    await new Promise((r) => setTimeout(r, 100))
    expect(src.calls()).toBe(calls)
  })

  it('never refreshes with an interval of 0', async () => {
    const src = scripted('s', { n: 0 })
    const s = store({ sources: [src.source], refreshIntervalMs: 0 })
    await s.load()
    s.start()
    await new Promise((r) => setTimeout(r, 60))
    expect(src.calls()).toBe(1)
  })
})
