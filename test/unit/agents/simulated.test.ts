import { createHash } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import type { LoadedAgent } from '../../../src/agents/registry.js'
import { createSimulatedHost } from '../../../src/host/simulated.js'
import type { Host } from '../../../src/host/types.js'
import { call, loadStandardAgent, STANDARD_AGENTS, type StandardAgent } from './fake-host.js'

// The agents against the seeded simulated host that simulated fleets use: same code, same statuses.
const agents = {} as Record<StandardAgent, LoadedAgent>
beforeAll(async () => {
  for (const name of STANDARD_AGENTS) agents[name] = await loadStandardAgent(name)
})

const simulated = (identity = 'web1.example.com'): Host =>
  createSimulatedHost(identity, { hostname: identity.split('.')[0] ?? identity, 'os.family': 'debian', environment: 'staging' }, ['nginx'])

describe('standard agents on a simulated host', () => {
  it('package: status, install, idempotent install, uninstall, bad name', async () => {
    const host = simulated()
    const s = await call(agents.package, 'status', { package: 'nginx' }, host)
    expect(s.status).toBe(0)
    expect(s.data).toMatchObject({ name: 'nginx', ensure: '1.22.1-9', installed: true, arch: 'amd64' })
    expect(s.data.count).toBeGreaterThan(5)
    expect(s.data.md5).toMatch(/^[0-9a-f]{32}$/)
    expect((await call(agents.package, 'status', { package: 'nginx' }, simulated('web2.example.com'))).data.md5).toBe(s.data.md5)
    expect((await call(agents.package, 'install', { package: 'nginx' }, host)).data).toMatchObject({ output: 'already installed (1.22.1-9)' })
    expect((await call(agents.package, 'install', { package: 'htop', version: '3.2.2-2' }, host)).data).toMatchObject({ ensure: '3.2.2-2' })
    expect((await call(agents.package, 'uninstall', { package: 'htop' }, host)).data).toMatchObject({ ensure: 'absent' })
    expect((await call(agents.package, 'update', { package: 'htop' }, host)).status).toBe(1)
    expect((await call(agents.package, 'status', { package: '-rf' }, host)).status).toBe(4)
  })

  it('service: idempotent start, stop, restart, unknown service', async () => {
    const host = simulated()
    expect((await call(agents.service, 'start', { service: 'sshd' }, host)).data).toMatchObject({ status: 'running', output: 'already running' })
    expect((await call(agents.service, 'stop', { service: 'nginx' }, host)).data).toMatchObject({ status: 'stopped' })
    expect((await call(agents.service, 'stop', { service: 'nginx' }, host)).data).toMatchObject({ output: 'already stopped' })
    expect((await call(agents.service, 'restart', { service: 'nginx' }, host)).data).toMatchObject({ status: 'running' })
    const unknown = await call(agents.service, 'restart', { service: 'nosuch' }, host)
    expect(unknown.status).toBe(1)
    expect(unknown.message).toContain('does not exist')
  })

  it('process: find by text and by regex', async () => {
    const host = simulated()
    const plain = await call(agents.process, 'find', { pattern: 'sshd' }, host)
    expect(plain.status).toBe(0)
    expect(plain.data.count).toBe(1)
    expect((await call(agents.process, 'list', { pattern: '/^\\/usr\\/sbin\\/(nginx|sshd)/' }, host)).data.count).toBe(2)
  })

  it('filemgr: status with checksums, touch, remove', async () => {
    const host = simulated()
    const st = await call(agents.filemgr, 'status', { file: '/etc/hostname' }, host)
    expect(st.data).toMatchObject({ present: true, type: 'file', size: 5, md5: createHash('md5').update('web1\n').digest('hex') })
    expect((await call(agents.filemgr, 'touch', { file: '/tmp/flag' }, host)).data).toMatchObject({ output: 'created' })
    expect((await call(agents.filemgr, 'remove', { file: '/tmp/flag' }, host)).data).toMatchObject({ output: 'removed' })
    expect((await call(agents.filemgr, 'remove', { file: '/etc' }, host)).status).toBe(1)
  })

  it('nettest: ping and connect', async () => {
    const host = simulated()
    expect((await call(agents.nettest, 'ping', { fqdn: 'db1.example.com' }, host)).data).toMatchObject({ reachable: true })
    expect((await call(agents.nettest, 'ping', { fqdn: 'nowhere.invalid' }, host)).data).toMatchObject({ reachable: false, rtt_ms: null })
    expect((await call(agents.nettest, 'connect', { fqdn: 'db1.example.com', port: 22 }, host)).data).toMatchObject({ connected: true })
    expect((await call(agents.nettest, 'connect', { fqdn: 'db1.example.com', port: 5999 }, host)).data).toMatchObject({ connected: false })
  })

  it('shell: output and a failing exit code', async () => {
    const host = simulated()
    expect(await call(agents.shell, 'run', { command: 'echo hi' }, host)).toMatchObject({ status: 0, data: { stdout: 'hi\n', exitcode: 0 } })
    const missing = await call(agents.shell, 'run', { command: 'cat /nope' }, host)
    expect(missing).toMatchObject({ status: 1, message: 'command exited with code 1: cat: /nope: No such file or directory', data: { exitcode: 1 } })
  })
})
