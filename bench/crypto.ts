/** Sign and verify costs per message: node:crypto (cached KeyObjects) against node-forge. */
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import forge from 'node-forge'
import { generateKey, keyToPem } from '../src/security/pki.js'

export interface CryptoRow {
  library: string
  key: string
  sign_us: number
  verify_us: number
  sign_per_s: number
  verify_per_s: number
}

function time(n: number, f: () => void): number {
  f()
  const start = performance.now()
  for (let i = 0; i < n; i++) f()
  return ((performance.now() - start) * 1000) / n
}

export function runCryptoBench(): CryptoRow[] {
  const payload = Buffer.from(JSON.stringify({ protocol: 'mcsh/1', type: 'reply', requestid: 'a'.repeat(32), body: { data: { pong: 1 } } }).repeat(2))
  const rows: CryptoRow[] = []
  const row = (library: string, key: string, s: number, v: number) =>
    rows.push({ library, key, sign_us: Math.round(s * 10) / 10, verify_us: Math.round(v * 10) / 10, sign_per_s: Math.round(1e6 / s), verify_per_s: Math.round(1e6 / v) })

  const rsa = generateKey('rsa', 2048)
  const rsaKey = createPrivateKey(keyToPem(rsa.privateKey))
  const rsaPub = createPublicKey(rsaKey)
  const rsaSig = sign('sha256', payload, rsaKey)
  row('node:crypto', 'RSA-2048 SHA-256', time(300, () => sign('sha256', payload, rsaKey)), time(3000, () => verify('sha256', payload, rsaPub, rsaSig)))

  const ed = generateKey('ed25519')
  const edSig = sign(null, payload, ed.privateKey)
  row('node:crypto', 'Ed25519', time(3000, () => sign(null, payload, ed.privateKey)), time(3000, () => verify(null, payload, ed.publicKey, edSig)))

  const forgeKey = forge.pki.privateKeyFromPem(keyToPem(rsa.privateKey)) as forge.pki.rsa.PrivateKey
  const forgePub = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e)
  const bytes = payload.toString('binary')
  const forgeSign = () => {
    const md = forge.md.sha256.create()
    md.update(bytes)
    return forgeKey.sign(md)
  }
  const forgeSig = forgeSign()
  const forgeVerify = () => {
    const md = forge.md.sha256.create()
    md.update(bytes)
    return forgePub.verify(md.digest().bytes(), forgeSig)
  }
  row('node-forge', 'RSA-2048 SHA-256', time(20, forgeSign), time(300, forgeVerify))
  return rows
}
