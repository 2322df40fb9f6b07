import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseBrokerUrl } from '../../../src/config/broker-url.js'
import { loadConfig } from '../../../src/config/load.js'

const dir = mkdtempSync(join(tmpdir(), 'mcsh-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const file = (name: string, text: string) => {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}

describe('loadConfig', () => {
  it('gives defaults without a file', async () => {
    const c = await loadConfig({ env: {} })
    expect(c.collectives).toEqual(['mcollective'])
    expect(c.broker.urls).toEqual(['stomp://127.0.0.1:61613'])
    expect(Object.isFrozen(c.broker)).toBe(true)
  })

  it('reads JSON5, a pool as one string, commands and static facts', async () => {
    const c = await loadConfig({
      file: file('a.json5', `{ // comment
        identity: 'n1', collectives: ['main', 'ams'], broker: { urls: 'stomp://a:1, stomp+ssl://b:2' },
        facts: { commands: ['ohai', { command: 'facter', args: ['--json'] }], static: { tier: 1 } }, }`),
      env: {},
    })
    expect(c.identity).toBe('n1')
    expect(c.broker.urls).toEqual(['stomp://a:1', 'stomp+ssl://b:2'])
    expect(c.facts.commands).toEqual([
      { command: 'ohai', args: [], timeoutMs: 10000 },
      { command: 'facter', args: ['--json'], timeoutMs: 10000 },
    ])
    expect(c.facts.static).toEqual({ tier: 1 })
  })

  it('applies the environment over the file and flags over both', async () => {
    const c = await loadConfig({
      file: file('b.json5', `{ identity: 'from-file', security: { psk: 'file' } }`),
      env: { MCSH_IDENTITY: 'from-env', MCSH_PSK: 'env', MCSH_BROKER: 'stomp://x:1,stomp://y:2', MCSH_COLLECTIVES: 'a,b' },
      overrides: (c) => {
        c.identity = 'from-flag'
      },
    })
    expect(c.identity).toBe('from-flag')
    expect(c.security.psk).toBe('env')
    expect(c.broker.urls).toEqual(['stomp://x:1', 'stomp://y:2'])
    expect(c.collectives).toEqual(['a', 'b'])
  })

  it('names the file, the key and what was expected', async () => {
    await expect(loadConfig({ file: file('c.json5', `{ broker: { heartbeatMS: 1 } }`), env: {} })).rejects.toThrow(/c\.json5: unknown key 'broker\.heartbeatMS' \(did you mean 'broker\.heartbeatMs'\?\)/)
    await expect(loadConfig({ file: file('d.json5', `{ ttlSeconds: 'sixty' }`), env: {} })).rejects.toThrow(/'ttlSeconds' must be a non-negative number but is "sixty"/)
    await expect(loadConfig({ file: file('e.json5', `{ identity: `), env: {} })).rejects.toThrow(/e\.json5: not valid JSON5/)
    await expect(loadConfig({ file: join(dir, 'missing.json5'), env: {} })).rejects.toMatchObject({ code: 'MCSH_CONFIG_NOT_FOUND' })
    await expect(loadConfig({ file: file('f.json5', `{ collectives: ['bad name'] }`), env: {} })).rejects.toThrow(/collective 'bad name' may only contain/)
    await expect(loadConfig({ env: { MCSH_LOG_LEVEL: 'loud' } })).rejects.toThrow(/MCSH_LOG_LEVEL must be one of/)
    await expect(loadConfig({ env: { MCSH_BROKER: 'http://x' } })).rejects.toThrow(/scheme must be stomp:\/\/ or stomp\+ssl:\/\//)
  })
})

describe('parseBrokerUrl', () => {
  it('parses credentials, ports, TLS and vhosts, and keeps the password out of the url', () => {
    expect(parseBrokerUrl('stomp://ops:s%40cret@mq1:61613/mcollective')).toEqual({
      url: 'stomp://ops@mq1:61613',
      tls: false,
      host: 'mq1',
      port: 61613,
      login: 'ops',
      passcode: 's@cret',
      vhost: 'mcollective',
    })
    expect(parseBrokerUrl('stomp+ssl://mq2')).toMatchObject({ tls: true, port: 61614 })
    expect(parseBrokerUrl('stomp://[::1]:7')).toMatchObject({ host: '::1', port: 7 })
    expect(() => parseBrokerUrl('not a url')).toThrow(/bad broker URL 'not a url'/)
  })
})
