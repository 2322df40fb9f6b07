import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { LoadedAgent } from '../../../src/agents/registry.js'
import { call, FakeHost, loadStandardAgent, proc } from './fake-host.js'

let agent: LoadedAgent
let host: FakeHost
beforeAll(async () => {
  agent = await loadStandardAgent('process')
})
beforeEach(() => {
  host = new FakeHost()
  host.processes.processes = [
    proc(812, 'www-data', 'nginx: worker process'),
    proc(1, 'root', '/sbin/init splash'),
    proc(811, 'root', 'nginx: master process /usr/sbin/nginx -g daemon on;'),
    proc(2, 'root', '', { name: 'kthreadd' }),
    proc(4242, 'app', '[defunct]', { name: 'worker', state: 'Z' }),
    proc(900, 'postgres', '/usr/lib/postgresql/16/bin/postgres -D /var/lib/postgresql/16/main'),
  ]
})

const pidsOf = (data: Record<string, unknown>): number[] => (data.processes as Array<{ pid: number }>).map((p) => p.pid)

describe('process list', () => {
  it('lists every process by pid with the documented fields', async () => {
    const r = await call(agent, 'list', {}, host)
    expect(r.status).toBe(0)
    expect(r.data.count).toBe(6)
    expect(pidsOf(r.data)).toEqual([1, 2, 811, 812, 900, 4242])
    expect((r.data.processes as unknown[])[0]).toEqual({
      pid: 1,
      user: 'root',
      name: 'init',
      command: '/sbin/init splash',
      rss_kb: 1001,
      vsize_kb: 5001,
      cpu_seconds: 0.1,
      state: 'S',
    })
  })

  it('filters by plain substring of the command line', async () => {
    expect(pidsOf((await call(agent, 'list', { pattern: 'nginx' }, host)).data)).toEqual([811, 812])
    // Plain text is not a regex: the dot and brackets are literal.
    expect((await call(agent, 'list', { pattern: 'ngin.' }, host)).data.count).toBe(0)
    expect(pidsOf((await call(agent, 'list', { pattern: '[kthreadd]' }, host)).data)).toEqual([2])
  })

  it('filters by /regex/ and /regex/i', async () => {
    expect(pidsOf((await call(agent, 'list', { pattern: '/^ngin.: m/' }, host)).data)).toEqual([811])
    expect(pidsOf((await call(agent, 'list', { pattern: '/POSTGRES -D/i' }, host)).data)).toEqual([900])
    expect(pidsOf((await call(agent, 'list', { pattern: '/^\\/usr\\/lib\\//' }, host)).data)).toEqual([900])
  })

  it('filters by user and zombies, combined with the pattern', async () => {
    expect(pidsOf((await call(agent, 'list', { user: 'root' }, host)).data)).toEqual([1, 2, 811])
    expect(pidsOf((await call(agent, 'list', { user: 'root', pattern: 'nginx' }, host)).data)).toEqual([811])
    expect(pidsOf((await call(agent, 'list', { just_zombies: true }, host)).data)).toEqual([4242])
  })

  it('answers a bad regex with status 4 and where it is wrong', async () => {
    const r = await call(agent, 'list', { pattern: '/(a+/' }, host)
    expect(r.status).toBe(4)
    expect(r.message).toMatch(/^input 'pattern': bad regex \/\(a\+\/ at column \d+/)
  })

  it('refuses what the linear-time engine cannot run (backreferences) with status 4', async () => {
    expect((await call(agent, 'list', { pattern: '/(a)\\1/' }, host)).status).toBe(4)
  })

  it('runs a catastrophic pattern over long command lines quickly', async () => {
    host.processes.processes = Array.from({ length: 200 }, (_, i) => proc(10 + i, 'root', `${'a'.repeat(3000)}!`))
    const started = performance.now()
    const r = await call(agent, 'list', { pattern: '/^(a+)+$/' }, host)
    expect(r.status).toBe(0)
    expect(r.data.count).toBe(0)
    expect(performance.now() - started).toBeLessThan(5000)
  })

  it('maps a failure to list processes to status 1', async () => {
    host.processes.error = new Error('cannot read /proc')
    expect(await call(agent, 'list', {}, host)).toMatchObject({ status: 1, message: 'cannot list processes: cannot read /proc' })
  })

  it('rejects bad user names and over-long patterns with status 4', async () => {
    expect((await call(agent, 'list', { user: 'root;id' }, host)).status).toBe(4)
    expect((await call(agent, 'list', { pattern: 'x'.repeat(257) }, host)).status).toBe(4)
  })
})

describe('process find', () => {
  it('returns matching pids and their count', async () => {
    expect(await call(agent, 'find', { pattern: 'nginx' }, host)).toMatchObject({ status: 0, data: { pids: [811, 812], count: 2 } })
    expect((await call(agent, 'find', { pattern: 'nginx', user: 'www-data' }, host)).data).toEqual({ pids: [812], count: 1 })
    expect((await call(agent, 'find', { pattern: 'nothing-runs-this' }, host)).data).toEqual({ pids: [], count: 0 })
  })

  it('needs a non-empty pattern', async () => {
    expect((await call(agent, 'find', {}, host)).status).toBe(3)
    expect((await call(agent, 'find', { pattern: '' }, host)).status).toBe(4)
  })
})
