import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createProcSysctlProvider } from '../../../src/host/real/sysctl.js'

describe('sysctl from /proc/sys', () => {
  it('reads real kernel parameters, trimmed', async () => {
    const sysctl = createProcSysctlProvider()
    expect(await sysctl.get('kernel.ostype')).toBe('Linux')
    expect(await sysctl.get('vm.swappiness')).toMatch(/^\d+$/)
  })

  it('gives undefined for parameters that do not exist, and for groups', async () => {
    const sysctl = createProcSysctlProvider()
    expect(await sysctl.get('vm.mcsh_no_such_parameter')).toBeUndefined()
    expect(await sysctl.get('mcsh.nothing')).toBeUndefined()
    expect(await sysctl.get('vm')).toBeUndefined()
    expect(await sysctl.get('kernel.ostype.more')).toBeUndefined()
  })

  it('maps dots to slashes under its root', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mcsh-sysctl-'))
    try {
      mkdirSync(join(root, 'net', 'core'), { recursive: true })
      writeFileSync(join(root, 'net', 'core', 'somaxconn'), '4096\n')
      expect(await createProcSysctlProvider({ root }).get('net.core.somaxconn')).toBe('4096')
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('refuses names that would leave /proc/sys', async () => {
    const sysctl = createProcSysctlProvider()
    for (const bad of ['..', 'vm..swappiness', '../etc/passwd', 'vm/swappiness', '/etc/passwd', '', 'a b', 'a\0b', '.vm']) {
      await expect(sysctl.get(bad)).rejects.toMatchObject({ code: 'MCSH_INVALID_SYSCTL' })
    }
  })
})
