import { describe, expect, it } from 'vitest'
import { defaultConfig } from '../../../src/config/defaults.js'
import { createSecurity } from '../../../src/security/registry.js'
import { createLogger } from '../../../src/util/logger.js'

describe('createSecurity', () => {
  it('refuses plugin none unless insecure is set, and warns loudly when it is', () => {
    const c = defaultConfig()
    c.security = { plugin: 'none' }
    expect(() => createSecurity(c)).toThrow(/signs and checks nothing: set security.insecure: true/)
    const lines: string[] = []
    c.security = { plugin: 'none', insecure: true }
    const none = createSecurity(c, { role: 'server', logger: createLogger({ write: (l) => lines.push(l) }) })
    expect(none.name).toBe('none')
    expect(lines.join('\n')).toMatch(/SECURITY IS OFF/)
  })

  it('names the plugins it knows', () => {
    const c = defaultConfig()
    c.security = { plugin: 'aes' }
    expect(() => createSecurity(c)).toThrow(/unknown security plugin 'aes'; available: ssl, psk, none/)
  })

  it('says which ssl file is missing and how to make it', () => {
    const c = defaultConfig()
    c.security = { plugin: 'ssl', cert: '/nonexistent/me.pem' }
    expect(() => createSecurity(c)).toThrow(/cannot read the certificate file \/nonexistent\/me\.pem .*mcsh pki init/)
  })

  it('needs a key for psk', () => {
    const c = defaultConfig()
    c.security = { plugin: 'psk' }
    expect(() => createSecurity(c)).toThrow(/needs security.psk/)
  })
})
