import { createHash, createPrivateKey, sign, verify, X509Certificate, type KeyObject } from 'node:crypto'
import { systemClock, type Clock } from '../util/clock.js'
import { McshError } from '../util/errors.js'
import { SecurityError } from './errors.js'
import { commonName, splitPemBundle } from './pki.js'
import type { MessageRole, SecurityPlugin, Seal } from './types.js'

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1'
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2'

interface KnownCertificate {
  name: string
  publicKey: KeyObject
  notBeforeMs: number
  notAfterMs: number
  /**
   * May sign requests: extended key usage clientAuth without serverAuth (or no extended key usage).
   * Daemon certificates carry serverAuth, so a compromised node cannot command the fleet.
   */
  requests: boolean
  /** May sign replies: serverAuth (or no extended key usage). */
  replies: boolean
}

/**
 * Checks certificates against the site CA and signatures against certificates. Certificates are
 * parsed and chain-checked once (cached by their bytes); validity dates are checked on every message.
 * A simulated fleet shares one verifier, so its nodes also share the memo of signatures already
 * verified: the same bytes under the same key verify once.
 */
export class SslVerifier {
  private readonly roots: X509Certificate[]
  private readonly certs = new Map<string, KnownCertificate>()
  private readonly verified = new Map<string, true>()

  constructor(
    caBundlePem: string,
    private readonly clock: Clock = systemClock,
  ) {
    this.roots = splitPemBundle(caBundlePem).map((pem) => new X509Certificate(pem))
    if (this.roots.length === 0) throw new McshError('MCSH_SECURITY_CONFIG', 'the CA file holds no PEM certificate')
  }

  /** The certificate carried in a seal (base64 DER), checked against the CA, its dates and its role. */
  certificate(certB64: string, role: MessageRole): KnownCertificate {
    let known = this.certs.get(certB64)
    if (!known) {
      known = this.checkChain(certB64)
      if (this.certs.size > 20_000) this.certs.clear()
      this.certs.set(certB64, known)
    }
    const now = this.clock.nowMs()
    if (now < known.notBeforeMs)
      throw new SecurityError('MCSH_SECURITY_CERT_NOT_YET_VALID', `certificate of '${known.name}' is not valid before ${new Date(known.notBeforeMs).toISOString()}: check the clocks or the certificate`)
    if (now > known.notAfterMs) throw new SecurityError('MCSH_SECURITY_CERT_EXPIRED', `certificate of '${known.name}' expired ${new Date(known.notAfterMs).toISOString()}: issue a new one (mcsh pki issue)`)
    if (role === 'request' && !known.requests)
      throw new SecurityError('MCSH_SECURITY_ROLE', `certificate of '${known.name}' is a server certificate: servers cannot send requests (issue a client certificate with mcsh pki issue --client)`)
    if (role === 'reply' && !known.replies) throw new SecurityError('MCSH_SECURITY_ROLE', `certificate of '${known.name}' is not a server certificate: only daemons may sign replies`)
    return known
  }

  checkSignature(data: Buffer, signature: Buffer, cert: KnownCertificate, certB64: string): boolean {
    const memoKey = createHash('sha256').update(certB64).update(signature).update(data).digest('base64')
    if (this.verified.has(memoKey)) return true
    const alg = cert.publicKey.asymmetricKeyType === 'rsa' ? 'sha256' : null
    let ok = false
    try {
      ok = verify(alg, data, cert.publicKey, signature)
    } catch {
      ok = false
    }
    if (ok) {
      if (this.verified.size > 50_000) this.verified.clear()
      this.verified.set(memoKey, true)
    }
    return ok
  }

  private checkChain(certB64: string): KnownCertificate {
    let cert: X509Certificate
    try {
      cert = new X509Certificate(Buffer.from(certB64, 'base64'))
    } catch {
      throw new SecurityError('MCSH_SECURITY_CERT', 'the certificate in the message cannot be parsed')
    }
    const name = commonName(cert.subject)
    if (cert.ca) throw new SecurityError('MCSH_SECURITY_ROLE', `'${name}' is a CA certificate: it cannot sign messages`)
    const issuer = this.roots.find((root) => cert.checkIssued(root) && cert.verify(root.publicKey))
    if (!issuer)
      throw new SecurityError('MCSH_SECURITY_CERT', `certificate of '${name}' is not signed by the configured CA (its issuer is '${commonName(cert.issuer)}')`)
    const eku = cert.keyUsage
    return {
      name,
      publicKey: cert.publicKey,
      notBeforeMs: Date.parse(cert.validFrom),
      notAfterMs: Date.parse(cert.validTo),
      requests: eku === undefined || (eku.includes(CLIENT_AUTH) && !eku.includes(SERVER_AUTH)),
      replies: eku === undefined || eku.includes(SERVER_AUTH),
    }
  }
}

export interface SslOptions {
  /** This side's certificate and private key (PEM). */
  certPem: string
  keyPem: string
  verifier: SslVerifier
}

/**
 * Signs with this side's private key over the role, the signer and the exact payload bytes, and
 * carries the certificate; verifies the sender's certificate against the CA, its dates, its role
 * (client for requests, server for replies) and that the claimed signer is its subject.
 */
export function createSsl(o: SslOptions): SecurityPlugin {
  const own = new X509Certificate(o.certPem)
  const name = commonName(own.subject)
  const key = createPrivateKey(o.keyPem)
  const alg = key.asymmetricKeyType === 'rsa' ? 'sha256' : null
  if (alg === 'sha256' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048)
    throw new McshError('MCSH_SECURITY_CONFIG', `the private key of '${name}' has ${key.asymmetricKeyDetails?.modulusLength} bits; RSA keys need at least 2048`)
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ed25519')
    throw new McshError('MCSH_SECURITY_CONFIG', `the private key of '${name}' is ${key.asymmetricKeyType}; use RSA (2048 bits or more) or Ed25519`)
  const certB64 = own.raw.toString('base64')
  const keyAlg = alg ? 'rsa-sha256' : 'ed25519'
  return {
    name: 'ssl',
    callerId: `cert=${name}`,
    seal(payload, role, signer): Seal {
      const signature = sign(alg, signedBytes(role, signer, payload), key)
      return { plugin: 'ssl', signer, signature: signature.toString('base64'), alg: keyAlg, cert: certB64 }
    },
    verify(payload, seal, role) {
      if (!seal.cert) throw new SecurityError('MCSH_SECURITY_UNSIGNED', `${role} from '${seal.signer}' carries no certificate`)
      const cert = o.verifier.certificate(seal.cert, role)
      const expected = role === 'request' ? `cert=${cert.name}` : cert.name
      if (seal.signer !== expected)
        throw new SecurityError('MCSH_SECURITY_CALLER', `${role} claims to come from '${seal.signer}' but its certificate is '${cert.name}' (expected '${expected}')`)
      if (!o.verifier.checkSignature(signedBytes(role, seal.signer, payload), Buffer.from(seal.signature, 'base64'), cert, seal.cert))
        throw new SecurityError('MCSH_SECURITY_SIGNATURE', `${role} from '${seal.signer}' has a bad signature: forged, or altered after signing`)
      return seal.signer
    },
  }
}

function signedBytes(role: MessageRole, signer: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${role}\0${signer}\0`, 'utf8'), payload])
}
