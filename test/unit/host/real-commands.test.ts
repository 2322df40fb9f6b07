import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createCommandRunner, findExecutable } from '../../../src/host/real/commands.js'

const runner = createCommandRunner()
const o = { timeoutMs: 10_000, maxOutputBytes: 64 * 1024 }

/** True once the process is gone or a zombie nobody reaps (the container's PID 1 may not). */
function dead(pid: number): boolean {
  const stat = `/proc/${pid}/stat`
  if (!existsSync(stat)) return true
  try {
    return / Z /.test(readFileSync(stat, 'utf8').replace(/^.*\)/, ''))
  } catch {
    return true
  }
}

async function waitDead(pid: number, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs
  while (Date.now() < until) {
    if (dead(pid)) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return dead(pid)
}

const leftovers: number[] = []
afterAll(() => {
  for (const pid of leftovers) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone
    }
  }
})

describe('real command runner', () => {
  it('runs a program with an argv array, no shell, and reports its exit code and output', async () => {
    const r = await runner.run('sh', ['-c', 'echo "$1"; echo err >&2; exit 3', 'sh', 'a b; $(touch /nonexistent)'], o)
    expect(r).toMatchObject({ exitCode: 3, signal: null, stdout: 'a b; $(touch /nonexistent)\n', stderr: 'err\n', truncated: false, timedOut: false })
    expect(r.durationMs).toBeGreaterThanOrEqual(0)
  })

  it('gives exit code 127 naming a missing executable, without rejecting', async () => {
    const r = await runner.run('mcsh-no-such-command', ['x'], o)
    expect(r.exitCode).toBe(127)
    expect(r.stderr).toMatch(/mcsh-no-such-command: command not found/)
    const abs = await runner.run('/nonexistent/bin/tool', [], o)
    expect(abs.exitCode).toBe(127)
    expect(abs.stderr).toMatch(/\/nonexistent\/bin\/tool: command not found/)
  })

  it('kills a timed-out child and its grandchild (the whole process group)', async () => {
    const started = Date.now()
    const r = await runner.run('sh', ['-c', 'sleep 30 & echo $!; wait'], { timeoutMs: 300, maxOutputBytes: 1024 })
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(r.timedOut).toBe(true)
    expect(r.exitCode).toBeNull()
    expect(r.signal).toBe('SIGTERM')
    const grandchild = Number(r.stdout.trim())
    expect(grandchild).toBeGreaterThan(1)
    leftovers.push(grandchild)
    expect(await waitDead(grandchild, 3_000)).toBe(true)
  })

  it('sends SIGKILL 2 s after SIGTERM to a group that ignores SIGTERM', async () => {
    const started = Date.now()
    const r = await runner.run('sh', ['-c', 'trap "" TERM; sleep 30 & echo $!; wait; wait'], { timeoutMs: 200, maxOutputBytes: 1024 })
    const tookMs = Date.now() - started
    expect(r.timedOut).toBe(true)
    expect(r.signal).toBe('SIGKILL')
    expect(tookMs).toBeGreaterThanOrEqual(2_000)
    expect(tookMs).toBeLessThan(6_000)
    const grandchild = Number(r.stdout.trim())
    leftovers.push(grandchild)
    expect(await waitDead(grandchild, 3_000)).toBe(true)
  })

  it('keeps the head of output beyond maxOutputBytes and keeps draining so the child finishes', async () => {
    const r = await runner.run('sh', ['-c', 'head -c 2000000 /dev/zero | tr "\\0" a; echo end >&2'], { timeoutMs: 10_000, maxOutputBytes: 1000 })
    expect(r.exitCode).toBe(0)
    expect(r.timedOut).toBe(false)
    expect(r.truncated).toBe(true)
    expect(r.stdout).toBe('a'.repeat(1000))
    expect(r.stderr).toBe('end\n')
  })

  it('feeds input on stdin, and shrugs off a child that does not read it', async () => {
    expect((await runner.run('cat', [], { ...o, input: 'hello\nworld' })).stdout).toBe('hello\nworld')
    const r = await runner.run('true', [], { ...o, input: 'x'.repeat(2_000_000) })
    expect(r.exitCode).toBe(0)
    // Without input, stdin is /dev/null: cat ends at once.
    expect(await runner.run('cat', [], o)).toMatchObject({ exitCode: 0, stdout: '' })
  })

  it('gives children a minimal environment with LANG=C and LC_ALL=C, plus the env asked for', async () => {
    const r = await runner.run('env', [], { ...o, env: { FOO: 'bar' } })
    expect(r.stdout.trim().split('\n').sort()).toEqual(['FOO=bar', 'LANG=C', 'LC_ALL=C', `PATH=${process.env.PATH ?? ''}`].sort())
    const custom = createCommandRunner({ path: '/usr/bin:/bin', env: { http_proxy: 'http://proxy:3128', LANG: 'fr_FR.UTF-8', UNSET: undefined } })
    const c = await custom.run('env', [], o)
    expect(c.stdout.trim().split('\n').sort()).toEqual(['LANG=C', 'LC_ALL=C', 'PATH=/usr/bin:/bin', 'http_proxy=http://proxy:3128'])
  })

  it('searches only its own PATH', async () => {
    const none = createCommandRunner({ path: '/nonexistent' })
    expect((await none.run('sh', ['-c', 'true'], o)).exitCode).toBe(127)
    expect(findExecutable('sh', '/nonexistent:/bin')).toBe('/bin/sh')
    expect(findExecutable('sh', 'relative/dir')).toBeUndefined()
  })

  it('runs in the cwd asked for, and says so when it does not exist', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcsh-cwd-'))
    try {
      expect((await runner.run('pwd', [], { ...o, cwd: dir })).stdout.trim()).toBe(realpathSync(dir))
      const r = await runner.run('pwd', [], { ...o, cwd: join(dir, 'missing') })
      expect(r.exitCode).toBe(126)
      expect(r.stderr).toMatch(/working directory .*missing does not exist/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('stops the child when the AbortSignal fires', async () => {
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 100)
    const started = Date.now()
    const r = await runner.run('sleep', ['30'], { ...o, signal: ac.signal })
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(r).toMatchObject({ exitCode: null, signal: 'SIGTERM', timedOut: false })
    const already = await runner.run('sleep', ['30'], { ...o, signal: AbortSignal.abort() })
    expect(already.exitCode).toBe(130)
  })

  it('returns soon after the child exits even when a daemon it started holds the output pipe', async () => {
    const started = Date.now()
    const r = await runner.run('sh', ['-c', 'sleep 30 & echo $!'], o)
    expect(Date.now() - started).toBeLessThan(4_000)
    expect(r.exitCode).toBe(0)
    const daemon = Number(r.stdout.trim())
    leftovers.push(daemon)
    // Not killed: only a timeout or an abort kills the group.
    expect(dead(daemon)).toBe(false)
    process.kill(daemon, 'SIGKILL')
    expect(await waitDead(daemon, 3_000)).toBe(true)
  })

  it('reports a child killed by a signal', async () => {
    const r = await runner.run('sh', ['-c', 'kill -9 $$'], o)
    expect(r).toMatchObject({ exitCode: null, signal: 'SIGKILL', timedOut: false })
  })
})
