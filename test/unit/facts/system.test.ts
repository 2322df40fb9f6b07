import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { osFamily, parseOsRelease, systemFactSource } from '../../../src/facts/system.js'

describe('systemFactSource on this machine', () => {
  it('reports plausible built-in facts', async () => {
    const source = systemFactSource({ mcshVersion: '9.9.9' })
    expect(source.name).toBe('system')
    const f = await source.load()
    expect(f.os).toBe(process.platform === 'win32' ? 'windows' : process.platform)
    expect(f.kernel).toBe(os.type())
    expect(typeof f['kernel.release']).toBe('string')
    expect(f.hostname).toBe(os.hostname().split('.')[0])
    expect(String(f.fqdn).startsWith(String(f.hostname))).toBe(true)
    expect(f.architecture).toMatch(/^(x86_64|aarch64|arm64|i[3-6]86|armv\w+|ppc64le|s390x|riscv64)$/)
    expect(f['processors.count']).toBeGreaterThanOrEqual(1)
    expect(f['memory.total_mb']).toBeGreaterThan(0)
    expect(f['memory.free_mb']).toBeGreaterThanOrEqual(0)
    expect(f['memory.free_mb'] as number).toBeLessThanOrEqual(f['memory.total_mb'] as number)
    expect(f.uptime_seconds).toBeGreaterThanOrEqual(0)
    expect(Number.isInteger(f.uptime_seconds)).toBe(true)
    expect(f['node.version']).toBe(process.versions.node)
    expect(f['mcsh.version']).toBe('9.9.9')
    if (f.ipaddress !== undefined) {
      expect(f.ipaddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
      expect(String(f.ipaddresses).split(',')).toContain(f.ipaddress)
      expect(f.ipaddress).not.toBe('127.0.0.1')
    }
    for (const v of Object.values(f)) expect(['string', 'number', 'boolean']).toContain(typeof v)
  })

  it.runIf(process.platform === 'linux' && existsSync('/etc/os-release'))('reads os-release on Linux', async () => {
    const f = await systemFactSource({ mcshVersion: '1' }).load()
    expect(typeof f['os.family']).toBe('string')
    expect(typeof f['os.name']).toBe('string')
    if (existsSync('/etc/debian_version')) expect(f['os.family']).toBe('debian')
  })

  it('reads mcsh.version from package.json when not given', async () => {
    const f = await systemFactSource().load()
    expect(f['mcsh.version']).toMatch(/^\d+\.\d+\.\d+/)
  })
})

describe('os-release parsing', () => {
  it('parses quoted and unquoted values', () => {
    const r = parseOsRelease('# c\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\nVERSION="12 (bookworm)"\nX=\'single\'\nY="a \\"q\\""\n\n')
    expect(r).toEqual({ NAME: 'Debian GNU/Linux', VERSION_ID: '12', ID: 'debian', VERSION: '12 (bookworm)', X: 'single', Y: 'a "q"' })
  })

  it('derives the family from ID and ID_LIKE', () => {
    expect(osFamily({ ID: 'debian' })).toBe('debian')
    expect(osFamily({ ID: 'ubuntu', ID_LIKE: 'debian' })).toBe('debian')
    expect(osFamily({ ID: 'rocky', ID_LIKE: 'rhel centos fedora' })).toBe('redhat')
    expect(osFamily({ ID: 'fedora' })).toBe('redhat')
    expect(osFamily({ ID: 'opensuse-leap', ID_LIKE: 'suse opensuse' })).toBe('suse')
    expect(osFamily({ ID: 'alpine' })).toBe('alpine')
    expect(osFamily({ ID: 'endeavouros', ID_LIKE: 'arch' })).toBe('arch')
    expect(osFamily({ ID: 'weird', ID_LIKE: 'odd other' })).toBe('odd')
    expect(osFamily({ ID: 'weird' })).toBe('weird')
    expect(osFamily({})).toBeUndefined()
  })
})

describe.runIf(process.platform === 'linux')('system facts from given files', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(os.tmpdir(), 'mcsh-system-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('uses os-release fields, the codename from VERSION, and an fqdn from /etc/hosts', async () => {
    const osRelease = join(dir, 'os-release')
    await writeFile(osRelease, 'NAME="CentOS Stream"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="9"\nVERSION="9 (Plow Edition)"\n')
    const hosts = join(dir, 'hosts')
    const short = os.hostname().split('.')[0] as string
    await writeFile(hosts, `127.0.0.1 localhost\n10.0.0.5 ${short}.example.net ${short} # me\n`)
    const f = await systemFactSource({ mcshVersion: '1', files: { osRelease: [join(dir, 'missing'), osRelease], hosts } }).load()
    expect(f['os.family']).toBe('redhat')
    expect(f['os.name']).toBe('CentOS Stream')
    expect(f['os.id']).toBe('centos')
    expect(f['os.release']).toBe('9')
    expect(f['os.codename']).toBe('plow')
    if (!os.hostname().includes('.')) {
      expect(f.fqdn).toBe(`${short}.example.net`)
      expect(f.domain).toBe('example.net')
    }
  })

  it('falls back to resolv.conf domain, then the bare hostname', async () => {
    const empty = join(dir, 'empty')
    await writeFile(empty, '')
    const resolvConf = join(dir, 'resolv.conf')
    await writeFile(resolvConf, 'search a.b\ndomain corp.example.\nnameserver 1.1.1.1\n')
    const short = os.hostname()
    const withDomain = await systemFactSource({ mcshVersion: '1', files: { hosts: empty, resolvConf } }).load()
    const bare = await systemFactSource({ mcshVersion: '1', files: { hosts: empty, resolvConf: empty } }).load()
    if (!short.includes('.')) {
      expect(withDomain.fqdn).toBe(`${short}.corp.example`)
      expect(bare.fqdn).toBe(short)
      expect(bare.domain).toBeUndefined()
    }
  })
})
