import { createHash } from 'node:crypto'
import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { LoadedAgent } from '../../../src/agents/registry.js'
import { computeAggregates } from '../../../src/ddl/index.js'
import { packageSetMd5 } from '../../../agents/package/agent.js'
import { call, FakeHost, invalid, loadStandardAgent } from './fake-host.js'

let agent: LoadedAgent
let host: FakeHost
beforeAll(async () => {
  agent = await loadStandardAgent('package')
})
beforeEach(() => {
  host = new FakeHost()
  host.packages.installed.set('bash', { version: '5.2.21-2', arch: 'amd64' })
  host.packages.installed.set('openssl', { version: '3.0.13-1', arch: 'amd64' })
  host.packages.available.set('openssl', ['3.0.13-1', '3.0.13-2'])
  host.packages.available.set('nginx', ['1.24.0-1', '1.24.0-2'])
})

describe('package status', () => {
  it('reports an installed package with ensure = version, plus count and md5 of the package set', async () => {
    const r = await call(agent, 'status', { package: 'bash' }, host)
    expect(r.status).toBe(0)
    expect(r.data).toEqual({
      name: 'bash',
      ensure: '5.2.21-2',
      status: 'installed',
      installed: true,
      version: '5.2.21-2',
      arch: 'amd64',
      count: 2,
      md5: createHash('md5').update('bash 5.2.21-2 amd64\nopenssl 3.0.13-1 amd64\n').digest('hex'),
    })
  })

  it('reports an absent package as ensure absent, status 0', async () => {
    const r = await call(agent, 'status', { package: 'nginx' }, host)
    expect(r.status).toBe(0)
    expect(r.data).toMatchObject({ name: 'nginx', ensure: 'absent', installed: false, version: null, arch: null })
  })

  it('gives equal md5s for equal package sets whatever their order, different ones otherwise', () => {
    const a = packageSetMd5([
      { name: 'b', version: '1', arch: 'amd64' },
      { name: 'a', version: '2', arch: null },
    ])
    const b = packageSetMd5([
      { name: 'a', version: '2', arch: null },
      { name: 'b', version: '1', arch: 'amd64' },
    ])
    expect(a).toBe(b)
    expect(a).toBe(createHash('md5').update('a 2\nb 1 amd64\n').digest('hex'))
    expect(packageSetMd5([{ name: 'a', version: '3', arch: null }])).not.toBe(a)
  })

  it('still answers when the package list cannot be read, with null count and md5', async () => {
    host.packages.throwOn.list = new Error('dpkg-query: database locked')
    const r = await call(agent, 'status', { package: 'bash' }, host)
    expect(r.status).toBe(0)
    expect(r.data).toMatchObject({ ensure: '5.2.21-2', count: null, md5: null })
  })

  it('aggregates ensure, count and md5 over replies', async () => {
    const other = new FakeHost()
    other.packages.installed.set('bash', { version: '5.1-6', arch: 'amd64' })
    const replies = await Promise.all([call(agent, 'status', { package: 'bash' }, host), call(agent, 'status', { package: 'bash' }, host), call(agent, 'status', { package: 'bash' }, other)])
    const aggs = computeAggregates(agent.ddl.actions.status!, replies.map((r) => ({ ok: r.status === 0, data: r.data })))
    const by = (fn: string, out: string) => aggs.find((a) => a.function === fn && a.output === out)
    expect(by('summary', 'ensure')?.counts).toEqual([
      { value: '5.2.21-2', count: 2 },
      { value: '5.1-6', count: 1 },
    ])
    expect(by('min', 'count')?.value).toBe(1)
    expect(by('max', 'count')?.value).toBe(2)
    expect(by('summary', 'md5')?.counts?.map((c) => c.count)).toEqual([2, 1])
  })

  it('rejects package names that could be options or shell syntax with status 4', async () => {
    for (const bad of ['-y', '--purge', 'a b', 'a;rm -rf /', '', 'x'.repeat(129)]) {
      const r = await call(agent, 'status', { package: bad }, host)
      expect(r.status, bad).toBe(4)
      expect(r.message).toContain("input 'package'")
    }
    expect(host.packages.calls).toEqual([])
  })

  it('answers status 3 without a package', async () => {
    const r = await call(agent, 'status', {}, host)
    expect(r.status).toBe(3)
    expect(r.message).toContain("missing required input 'package'")
  })

  it('maps a provider rejecting the name to status 4 and other provider errors to status 1', async () => {
    host.packages.throwOn.status = invalid('package name too strange for rpm', 'MCSH_INVALID_PACKAGE')
    expect(await call(agent, 'status', { package: 'bash' }, host)).toMatchObject({ status: 4, message: 'package name too strange for rpm' })
    host.packages.throwOn.status = new Error('rpm: cannot open Packages database')
    const r = await call(agent, 'status', { package: 'bash' }, host)
    expect(r.status).toBe(1)
    expect(r.message).toBe('cannot read the status of package bash: rpm: cannot open Packages database')
  })

  it('lets programming errors in a provider surface as status 5', async () => {
    host.packages.throwOn.status = new TypeError('cannot read properties of undefined')
    expect((await call(agent, 'status', { package: 'bash' }, host)).status).toBe(5)
  })
})

describe('package changes', () => {
  it('installs the newest version and reports the tool output', async () => {
    const r = await call(agent, 'install', { package: 'nginx' }, host)
    expect(r.status).toBe(0)
    expect(r.data).toEqual({ name: 'nginx', ensure: '1.24.0-2', status: 'installed', installed: true, version: '1.24.0-2', arch: 'amd64', output: 'Setting up nginx (1.24.0-2) ...' })
  })

  it('installs a given version', async () => {
    const r = await call(agent, 'install', { package: 'nginx', version: '1.24.0-1' }, host)
    expect(r.data).toMatchObject({ ensure: '1.24.0-1' })
    expect(host.packages.calls).toContain('install nginx')
  })

  it('leaves an installed package alone', async () => {
    const r = await call(agent, 'install', { package: 'bash' }, host)
    expect(r.status).toBe(0)
    expect(r.data).toMatchObject({ ensure: '5.2.21-2', output: 'already installed (5.2.21-2)' })
    expect(host.packages.calls).toEqual(['status bash'])
  })

  it('installs another version of an installed package when asked for one', async () => {
    const r = await call(agent, 'install', { package: 'openssl', version: '3.0.13-2' }, host)
    expect(r.data).toMatchObject({ ensure: '3.0.13-2' })
  })

  it('rejects a version that could be an option', async () => {
    expect((await call(agent, 'install', { package: 'nginx', version: '--force' }, host)).status).toBe(4)
  })

  it('fails with status 1 and the tool output when the tool fails', async () => {
    const r = await call(agent, 'install', { package: 'nosuchpkg' }, host)
    expect(r.status).toBe(1)
    expect(r.message).toBe('install of package nosuchpkg failed (fake exit code 100): E: Unable to locate package nosuchpkg')
    expect(r.data).toEqual({})
  })

  it('fails with status 1 when the tool says yes but the package is not there', async () => {
    host.packages.failNext = { exitCode: 0, output: 'nothing done' }
    const r = await call(agent, 'install', { package: 'nginx' }, host)
    expect(r.status).toBe(1)
    expect(r.message).toContain('reported success but the package is not installed')
  })

  it('maps a thrown tool failure to status 1', async () => {
    host.packages.throwOn.install = new Error('apt-get: could not get lock /var/lib/dpkg/lock-frontend')
    const r = await call(agent, 'install', { package: 'nginx' }, host)
    expect(r).toMatchObject({ status: 1, message: 'cannot install package nginx: apt-get: could not get lock /var/lib/dpkg/lock-frontend' })
  })

  it('updates a package', async () => {
    const r = await call(agent, 'update', { package: 'openssl' }, host)
    expect(r.status).toBe(0)
    expect(r.data).toMatchObject({ ensure: '3.0.13-2', version: '3.0.13-2' })
  })

  it('uninstalls, keeping configuration, then purges', async () => {
    const u = await call(agent, 'uninstall', { package: 'bash' }, host)
    expect(u.status).toBe(0)
    expect(u.data).toMatchObject({ ensure: 'absent', installed: false, status: 'config-files', output: 'Removing bash ...' })
    const p = await call(agent, 'purge', { package: 'bash' }, host)
    expect(p.status).toBe(0)
    expect(p.data).toMatchObject({ ensure: 'absent', status: 'absent', output: 'Purging configuration files for bash ...' })
    expect(host.packages.calls).toEqual(['status bash', 'uninstall bash', 'status bash', 'purge bash'])
  })

  it('treats uninstall and purge of an absent package as done', async () => {
    expect((await call(agent, 'uninstall', { package: 'nginx' }, host)).data).toMatchObject({ ensure: 'absent', output: 'not installed' })
    expect((await call(agent, 'purge', { package: 'nginx' }, host)).data).toMatchObject({ ensure: 'absent', output: 'not installed' })
    expect(host.packages.calls).toEqual(['status nginx', 'status nginx'])
  })

  it('fails an uninstall that leaves the package installed', async () => {
    host.packages.failNext = { exitCode: 0, output: 'held back' }
    const r = await call(agent, 'uninstall', { package: 'bash' }, host)
    expect(r.status).toBe(1)
    expect(r.message).toContain('still installed')
  })
})
