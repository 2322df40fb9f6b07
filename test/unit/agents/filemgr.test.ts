import { beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { LoadedAgent } from '../../../src/agents/registry.js'
import { computeAggregates } from '../../../src/ddl/index.js'
import { call, FakeHost, invalid, loadStandardAgent } from './fake-host.js'

let agent: LoadedAgent
let host: FakeHost
beforeAll(async () => {
  agent = await loadStandardAgent('filemgr')
})
beforeEach(() => {
  host = new FakeHost()
  host.files.files.set('/etc/motd', { type: 'file', content: 'hello\n', mode: '0644', owner: 'root', group: 'root', mtime: '2024-01-01T00:00:00.000Z' })
  host.files.files.set('/etc', { type: 'directory', content: '', mode: '0755', owner: 'root', group: 'root', mtime: '2024-01-01T00:00:00.000Z' })
})

describe('filemgr status', () => {
  it('reports a file with its checksums', async () => {
    const r = await call(agent, 'status', { file: '/etc/motd' }, host)
    expect(r.status).toBe(0)
    expect(r.data).toEqual({
      name: '/etc/motd',
      present: true,
      type: 'file',
      size: 6,
      mode: '0644',
      owner: 'root',
      group: 'root',
      mtime: '2024-01-01T00:00:00.000Z',
      md5: 'md5(hello\n)',
      sha256: 'sha256(hello\n)',
    })
    expect(host.files.hashRequests).toEqual([true])
  })

  it('skips the checksums when hashes=false', async () => {
    const r = await call(agent, 'status', { file: '/etc/motd', hashes: false }, host)
    expect(r.data).toMatchObject({ present: true, md5: null, sha256: null })
    expect(host.files.hashRequests).toEqual([false])
  })

  it('reports an absent file as present=false, status 0', async () => {
    const r = await call(agent, 'status', { file: '/nope' }, host)
    expect(r.status).toBe(0)
    expect(r.data).toMatchObject({ name: '/nope', present: false, type: null, size: null, md5: null })
  })

  it('needs an absolute path', async () => {
    const r = await call(agent, 'status', { file: 'etc/motd' }, host)
    expect(r.status).toBe(4)
    expect(r.message).toBe('input \'file\' must be an absolute path but was "etc/motd"')
    expect((await call(agent, 'status', {}, host)).status).toBe(3)
  })

  it('maps permission problems to status 1 and provider rejections to status 4', async () => {
    host.files.denied.add('/root/secret')
    const r = await call(agent, 'status', { file: '/root/secret' }, host)
    expect(r).toMatchObject({ status: 1, message: "cannot inspect /root/secret: EACCES: permission denied, open '/root/secret'" })
    const strict = new FakeHost()
    strict.files.status = async () => {
      throw invalid('path is on a filesystem the agent may not read')
    }
    expect((await call(agent, 'status', { file: '/proc/kcore' }, strict)).status).toBe(4)
  })

  it('summarizes md5 so differing copies stand out', async () => {
    const other = new FakeHost()
    other.files.files.set('/etc/motd', { type: 'file', content: 'changed\n', mode: '0644', owner: 'root', group: 'root', mtime: '2024-01-02T00:00:00.000Z' })
    const replies = await Promise.all([host, host, other].map((h) => call(agent, 'status', { file: '/etc/motd' }, h)))
    const md5 = computeAggregates(agent.ddl.actions.status!, replies.map((r) => ({ ok: r.status === 0, data: r.data }))).find((a) => a.output === 'md5')
    expect(md5?.counts).toEqual([
      { value: 'md5(hello\n)', count: 2 },
      { value: 'md5(changed\n)', count: 1 },
    ])
  })
})

describe('filemgr touch and remove', () => {
  it('creates a missing file and touches an existing one', async () => {
    const created = await call(agent, 'touch', { file: '/var/tmp/flag' }, host)
    expect(created.status).toBe(0)
    expect(created.data).toMatchObject({ name: '/var/tmp/flag', present: true, type: 'file', size: 0, output: 'created' })
    const touched = await call(agent, 'touch', { file: '/etc/motd' }, host)
    expect(touched.data).toMatchObject({ present: true, mtime: host.files.now, output: 'touched' })
  })

  it('removes a file, and treats a missing one as done', async () => {
    expect((await call(agent, 'remove', { file: '/etc/motd' }, host)).data).toEqual({ name: '/etc/motd', present: false, output: 'removed' })
    expect(host.files.files.has('/etc/motd')).toBe(false)
    expect(await call(agent, 'remove', { file: '/etc/motd' }, host)).toMatchObject({ status: 0, data: { present: false, output: 'not present' } })
  })

  it('refuses to remove a directory', async () => {
    const r = await call(agent, 'remove', { file: '/etc' }, host)
    expect(r.status).toBe(1)
    expect(r.message).toContain('it is a directory')
    expect(host.files.files.has('/etc')).toBe(true)
  })

  it('maps a failing removal to status 1', async () => {
    host.files.files.set('/root/x', { type: 'file', content: '', mode: '0600', owner: 'root', group: 'root', mtime: host.files.now })
    host.files.remove = async () => {
      throw new Error("EPERM: operation not permitted, unlink '/root/x'")
    }
    expect(await call(agent, 'remove', { file: '/root/x' }, host)).toMatchObject({ status: 1, message: "cannot remove /root/x: EPERM: operation not permitted, unlink '/root/x'" })
  })
})
