import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { LoadedAgent } from '../../../src/agents/registry.js'
import { MAX_OUTPUT_BYTES } from '../../../agents/shell/agent.js'
import { call, FakeHost, loadStandardAgent } from './fake-host.js'

let agent: LoadedAgent
let host: FakeHost
beforeAll(async () => {
  agent = await loadStandardAgent('shell')
})
beforeEach(() => {
  host = new FakeHost()
})

const result = (over: Partial<Awaited<ReturnType<FakeHost['commands']['run']>>> = {}) => ({
  exitCode: 0,
  signal: null,
  stdout: '',
  stderr: '',
  truncated: false,
  timedOut: false,
  durationMs: 12.4,
  ...over,
})

describe('shell run', () => {
  it('runs the command with /bin/sh -c, the time-out, bounded output and the abort signal', async () => {
    host.commands.respond = () => result({ stdout: ' 12:00:00 up 3 days\n' })
    const r = await call(agent, 'run', { command: 'uptime' }, host)
    expect(r.status).toBe(0)
    expect(r.data).toEqual({ stdout: ' 12:00:00 up 3 days\n', stderr: '', exitcode: 0, truncated: false, timedout: false, duration_ms: 12 })
    const [run] = host.commands.runs
    expect(run?.command).toBe('/bin/sh')
    expect(run?.args).toEqual(['-c', 'uptime'])
    expect(run?.o.timeoutMs).toBe(60_000)
    expect(run?.o.maxOutputBytes).toBe(64 * 1024)
    expect(run?.o.signal).toBeInstanceOf(AbortSignal)
    expect(run?.o.cwd).toBeUndefined()
  })

  it('passes the time-out and working directory', async () => {
    await call(agent, 'run', { command: 'ls', timeout: 2.5, cwd: '/var/log' }, host)
    expect(host.commands.runs[0]?.o).toMatchObject({ timeoutMs: 2500, cwd: '/var/log' })
  })

  it('checks time-out, command and cwd', async () => {
    expect((await call(agent, 'run', {}, host)).status).toBe(3)
    expect((await call(agent, 'run', { command: '   ' }, host)).status).toBe(4)
    expect((await call(agent, 'run', { command: 'ls', timeout: 0 }, host)).status).toBe(4)
    expect((await call(agent, 'run', { command: 'ls', timeout: 301 }, host)).status).toBe(4)
    expect((await call(agent, 'run', { command: 'ls', cwd: 'relative' }, host)).status).toBe(4)
    expect(host.commands.runs).toEqual([])
  })

  it('answers a failing exit code with status 1, the last stderr line, and the outputs', async () => {
    host.commands.respond = () => result({ exitCode: 2, stdout: 'partial\n', stderr: "warning: something\nls: cannot access '/nope': No such file or directory\n" })
    const r = await call(agent, 'run', { command: 'ls /nope' }, host)
    expect(r.status).toBe(1)
    expect(r.message).toBe("command exited with code 2: ls: cannot access '/nope': No such file or directory")
    expect(r.data).toEqual({
      stdout: 'partial\n',
      stderr: "warning: something\nls: cannot access '/nope': No such file or directory\n",
      exitcode: 2,
      truncated: false,
      timedout: false,
      duration_ms: 12,
    })
  })

  it('answers a silent failure with just the exit code', async () => {
    host.commands.respond = () => result({ exitCode: 1 })
    expect(await call(agent, 'run', { command: 'false' }, host)).toMatchObject({ status: 1, message: 'command exited with code 1', data: { exitcode: 1 } })
  })

  it('answers a time-out with status 1 and the partial output', async () => {
    host.commands.respond = (_c, _a, o) => result({ exitCode: null, signal: 'SIGKILL', timedOut: true, durationMs: o.timeoutMs, stdout: 'partial' })
    const r = await call(agent, 'run', { command: 'sleep 100', timeout: 1 }, host)
    expect(r.status).toBe(1)
    expect(r.message).toBe('command timed out after 1 s and was killed')
    expect(r.data).toMatchObject({ exitcode: null, timedout: true, stdout: 'partial', duration_ms: 1000 })
  })

  it('answers a command killed by a signal with status 1', async () => {
    host.commands.respond = () => result({ exitCode: null, signal: 'SIGSEGV' })
    expect(await call(agent, 'run', { command: './crash' }, host)).toMatchObject({ status: 1, message: 'command was killed by SIGSEGV', data: { exitcode: null, timedout: false } })
  })

  it('bounds each stream to 64 KiB even if the runner does not, at a character boundary', async () => {
    host.commands.respond = () => result({ stdout: 'é'.repeat(MAX_OUTPUT_BYTES), stderr: 'x'.repeat(10) })
    const r = await call(agent, 'run', { command: 'yes é' }, host)
    const out = r.data.stdout as string
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(MAX_OUTPUT_BYTES)
    expect(out).toBe('é'.repeat(MAX_OUTPUT_BYTES / 2))
    expect(r.data).toMatchObject({ truncated: true, stderr: 'x'.repeat(10) })
  })

  it('passes on the runner\'s own truncation flag', async () => {
    host.commands.respond = () => result({ stdout: 'a'.repeat(100), truncated: true })
    expect((await call(agent, 'run', { command: 'cat big' }, host)).data.truncated).toBe(true)
  })

  it('maps a failure to start the command to status 1', async () => {
    host.commands.respond = () => {
      throw new Error("spawn /bin/sh ENOENT (cwd '/gone')")
    }
    const r = await call(agent, 'run', { command: 'ls', cwd: '/gone' }, host)
    expect(r).toMatchObject({ status: 1, message: "cannot run the command in /gone: spawn /bin/sh ENOENT (cwd '/gone')" })
  })
})
