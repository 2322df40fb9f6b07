import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { mcshBin, run } from '../helpers/spawn.js'

const home = mkdtempSync(join(tmpdir(), 'mcsh-pki-cli-'))
const env = { MCSH_HOME: home }
afterAll(() => rmSync(home, { recursive: true, force: true }))
const ssl = join(home, 'ssl')

describe('mcsh pki', () => {
  it('creates a CA, issues client and server certificates with safe permissions, shows and verifies them', async () => {
    const init = await run(mcshBin, ['pki', 'init', '--name', 'site-ca', '--bits', '2048'], { env, timeoutMs: 60_000 })
    expect(init.stderr).toBe('')
    expect(init.code).toBe(0)
    expect(statSync(join(ssl, 'ca', 'ca.key')).mode & 0o777).toBe(0o600)
    expect(readFileSync(join(ssl, 'ca.pem'), 'utf8')).toBe(readFileSync(join(ssl, 'ca', 'ca.pem'), 'utf8'))

    const alice = await run(mcshBin, ['pki', 'issue', 'alice', '--client'], { env })
    expect(alice.code).toBe(0)
    expect(alice.stdout).toMatch(/requests will carry caller id cert=alice/)
    expect(statSync(join(ssl, 'alice.key')).mode & 0o777).toBe(0o600)
    const node = await run(mcshBin, ['pki', 'issue', 'web01.example.net', '--server', '--key', 'ed25519', '--days', '30'], { env })
    expect(node.code).toBe(0)
    expect(node.stdout).toMatch(/copy web01\.example\.net\.pem, web01\.example\.net\.key .* to \/etc\/mcsh\/ssl\//)

    const show = await run(mcshBin, ['pki', 'show', join(ssl, 'servers', 'web01.example.net.pem')], { env })
    expect(show.stdout).toMatch(/subject\s+web01\.example\.net\nissuer\s+site-ca\nrole\s+server \(signs replies; cannot send requests\)\nkey\s+ed25519/)
    const verify = await run(mcshBin, ['pki', 'verify', join(ssl, 'alice.pem')], { env })
    expect(verify.code).toBe(0)
    expect(verify.stdout).toMatch(/OK — 'alice', a client certificate signed by the CA/)
    const again = await run(mcshBin, ['pki', 'issue', 'alice'], { env })
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/alice\.pem exists: remove it or add --force/)
  }, 90_000)

  it('signs a certificate request made elsewhere', async () => {
    const out = join(home, 'node2')
    const csr = await run(mcshBin, ['pki', 'csr', 'db02.example.net', '--out', out], { env })
    expect(csr.code).toBe(0)
    const sign = await run(mcshBin, ['pki', 'sign', join(out, 'db02.example.net.csr'), '--server', '--out', out], { env })
    expect(sign.code).toBe(0)
    const show = await run(mcshBin, ['pki', 'show', join(out, 'db02.example.net.pem')], { env })
    expect(show.stdout).toMatch(/subject\s+db02\.example\.net\nissuer\s+site-ca\nrole\s+server/)
  }, 60_000)

  it('refuses a private key that everyone can read', async () => {
    chmodSync(join(ssl, 'alice.key'), 0o644)
    const r = await run(mcshBin, ['--broker', 'stomp://127.0.0.1:9', '-c', 'ping'], { env: { ...env, USER: 'alice', MCSH_SSL_CERT: join(ssl, 'alice.pem'), MCSH_SSL_KEY: join(ssl, 'alice.key') } })
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/private key .*alice\.key is readable by everyone \(mode 644\): run chmod 600/)
    chmodSync(join(ssl, 'alice.key'), 0o600)
  })

  it('rejects a certificate from another CA and explains', async () => {
    const other = mkdtempSync(join(tmpdir(), 'mcsh-pki-other-'))
    try {
      await run(mcshBin, ['pki', 'init', '--name', 'other-ca', '--bits', '2048', '--dir', join(other, 'ca')], { env: { MCSH_HOME: other }, timeoutMs: 60_000 })
      await run(mcshBin, ['pki', 'issue', 'mallory', '--dir', join(other, 'ca'), '--out', other], { env: { MCSH_HOME: other } })
      const r = await run(mcshBin, ['pki', 'verify', join(other, 'mallory.pem')], { env })
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/certificate of 'mallory' is not signed by the configured CA \(its issuer is 'other-ca'\)/)
    } finally {
      rmSync(other, { recursive: true, force: true })
    }
  }, 90_000)
})
