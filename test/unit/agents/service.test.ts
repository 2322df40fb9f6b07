import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { LoadedAgent } from '../../../src/agents/registry.js'
import { computeAggregates } from '../../../src/ddl/index.js'
import { call, FakeHost, invalid, loadStandardAgent } from './fake-host.js'

let agent: LoadedAgent
let host: FakeHost
beforeAll(async () => {
  agent = await loadStandardAgent('service')
})
beforeEach(() => {
  host = new FakeHost()
  host.services.services.set('nginx', { status: 'running', enabled: 'enabled' })
  host.services.services.set('cron', { status: 'stopped', enabled: 'disabled' })
  host.services.services.set('getty@tty1', { status: 'running', enabled: 'static' })
})

describe('service', () => {
  it('reports status and enablement', async () => {
    expect(await call(agent, 'status', { service: 'nginx' }, host)).toMatchObject({ status: 0, data: { name: 'nginx', status: 'running', enabled: 'enabled' } })
    expect((await call(agent, 'status', { service: 'getty@tty1' }, host)).data).toEqual({ name: 'getty@tty1', status: 'running', enabled: 'static' })
  })

  it('reports an unknown service as status unknown, and fails to change it with status 1 and the reason', async () => {
    expect(await call(agent, 'status', { service: 'nosuch' }, host)).toMatchObject({ status: 0, data: { status: 'unknown', enabled: 'unknown' } })
    const r = await call(agent, 'start', { service: 'nosuch' }, host)
    expect(r.status).toBe(1)
    expect(r.message).toBe('cannot start service nosuch: service nosuch does not exist (Unit nosuch.service not found)')
  })

  it('maps a provider refusing the name to status 4', async () => {
    host.services.status = async () => {
      throw invalid("invalid service name 'x'", 'MCSH_INVALID_SERVICE')
    }
    expect(await call(agent, 'status', { service: 'x' }, host)).toMatchObject({ status: 4, message: "invalid service name 'x'" })
  })

  it('rejects invalid names with status 4 before touching the host', async () => {
    for (const bad of ['-H', 'a b', 'nginx;reboot', '../etc', 'x'.repeat(129)]) {
      expect((await call(agent, 'start', { service: bad }, host)).status, bad).toBe(4)
    }
    expect(host.services.calls).toEqual([])
  })

  it('starts a stopped service', async () => {
    const r = await call(agent, 'start', { service: 'cron' }, host)
    expect(r.status).toBe(0)
    expect(r.data).toEqual({ name: 'cron', status: 'running', enabled: 'disabled', output: '' })
    expect(host.services.calls).toEqual(['status cron', 'start cron'])
  })

  it('treats starting a running service as done, with a note', async () => {
    const r = await call(agent, 'start', { service: 'nginx' }, host)
    expect(r.status).toBe(0)
    expect(r.data).toMatchObject({ status: 'running', output: 'already running' })
    expect(host.services.calls).toEqual(['status nginx'])
  })

  it('treats stopping a stopped service as done, with a note', async () => {
    const r = await call(agent, 'stop', { service: 'cron' }, host)
    expect(r.status).toBe(0)
    expect(r.data).toMatchObject({ status: 'stopped', output: 'already stopped' })
    expect(host.services.calls).toEqual(['status cron'])
  })

  it('stops, restarts and reloads', async () => {
    expect((await call(agent, 'stop', { service: 'nginx' }, host)).data).toMatchObject({ status: 'stopped' })
    expect((await call(agent, 'restart', { service: 'nginx' }, host)).data).toMatchObject({ status: 'running' })
    expect((await call(agent, 'reload', { service: 'nginx' }, host)).data).toMatchObject({ status: 'running' })
  })

  it('refuses to reload a stopped service', async () => {
    const r = await call(agent, 'reload', { service: 'cron' }, host)
    expect(r.status).toBe(1)
    expect(r.message).toContain('it is stopped')
  })

  it('fails with the tool output when the service manager fails', async () => {
    host.services.failNext = { exitCode: 1, output: 'Job for cron.service failed because the control process exited with error code.' }
    const r = await call(agent, 'start', { service: 'cron' }, host)
    expect(r.status).toBe(1)
    expect(r.message).toBe('start of service cron failed (fake exit code 1): Job for cron.service failed because the control process exited with error code.')
  })

  it('fails when a start leaves the service stopped', async () => {
    host.services.services.set('flappy', { status: 'stopped', enabled: 'enabled', failsToStart: true })
    const r = await call(agent, 'start', { service: 'flappy' }, host)
    expect(r.status).toBe(1)
    expect(r.message).toContain('service flappy is stopped after start, expected running')
  })

  it('summarizes status over replies', async () => {
    const replies = await Promise.all(['nginx', 'cron', 'getty@tty1'].map((s) => call(agent, 'status', { service: s }, host)))
    const [summary] = computeAggregates(agent.ddl.actions.status!, replies.map((r) => ({ ok: r.status === 0, data: r.data })))
    expect(summary?.counts).toEqual([
      { value: 'running', count: 2 },
      { value: 'stopped', count: 1 },
    ])
  })
})
