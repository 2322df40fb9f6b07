import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCa, issueCertificate, type Credentials } from '../../src/security/pki.js'

export interface TestPki {
  dir: string
  ca: Credentials
  /** Another CA, for certificates the fleet must not trust. */
  rogueCa: Credentials
  /** alice: an operator (client certificate, RSA), with files for a client config. */
  alice: Credentials & { files: { ca: string; cert: string; key: string } }
  cleanup(): void
}

/** A site CA, a rogue CA and an operator certificate, in a temporary folder. */
export function makeSslPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'mcsh-pki-'))
  const ca = createCa({ name: 'test-site-ca', rsaBits: 2048, days: 2 })
  const rogueCa = createCa({ name: 'rogue-ca', rsaBits: 2048, days: 2 })
  const alice = issueCertificate({ ca, name: 'alice', role: 'client', days: 2 })
  const files = { ca: join(dir, 'ca.pem'), cert: join(dir, 'alice.pem'), key: join(dir, 'alice.key') }
  writeFileSync(files.ca, ca.certPem)
  writeFileSync(files.cert, alice.certPem)
  writeFileSync(files.key, alice.keyPem as string, { mode: 0o600 })
  return { dir, ca, rogueCa, alice: { certPem: alice.certPem, keyPem: alice.keyPem as string, files }, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}
