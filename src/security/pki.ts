import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto'
import forge from 'node-forge'
import { McshError } from '../util/errors.js'

/**
 * The site's PKI: a CA, and certificates for daemons (servers) and operators (clients).
 * node-forge builds the certificate structures (subject, validity, extensions) and node:crypto
 * does the key generation and signing, which is much faster and gives Ed25519 too.
 */
export type KeyType = 'rsa' | 'ed25519'
export type CertRole = 'server' | 'client' | 'ca'

export interface Credentials {
  certPem: string
  keyPem: string
}

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11'
const ED25519 = '1.3.101.112'

export function generateKey(type: KeyType, rsaBits = 2048): { privateKey: KeyObject; publicKey: KeyObject } {
  if (type === 'ed25519') return generateKeyPairSync('ed25519')
  if (rsaBits < 2048) throw new McshError('MCSH_PKI', `RSA keys must have at least 2048 bits, not ${rsaBits}`)
  return generateKeyPairSync('rsa', { modulusLength: rsaBits })
}

export function keyToPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString()
}

interface CertSpec {
  subject: string
  issuer: { name: string; key: KeyObject }
  publicKey: KeyObject
  role: CertRole
  notBefore: Date
  notAfter: Date
  /** Extra DNS names for TLS (the subject is always one). */
  altNames?: string[]
}

/** Builds and signs an X.509 v3 certificate; the issuer key must be RSA (the CA's). */
function buildCertificate(spec: CertSpec): string {
  if (spec.issuer.key.asymmetricKeyType !== 'rsa') throw new McshError('MCSH_PKI', 'the CA key must be an RSA key')
  const cert = forge.pki.createCertificate()
  // forge needs an RSA key object to lay out the structure; the real key goes in below.
  cert.publicKey = forge.pki.publicKeyFromPem(createPublicKey(spec.issuer.key).export({ type: 'spki', format: 'pem' }).toString())
  cert.serialNumber = serialNumber()
  cert.validity.notBefore = spec.notBefore
  cert.validity.notAfter = spec.notAfter
  cert.setSubject([{ name: 'commonName', value: spec.subject }, { name: 'organizationalUnitName', value: `mcsh ${spec.role}` }])
  cert.setIssuer([{ name: 'commonName', value: spec.issuer.name }, { name: 'organizationalUnitName', value: 'mcsh ca' }])
  const extensions: object[] =
    spec.role === 'ca'
      ? [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
        ]
      : [
          { name: 'basicConstraints', cA: false, critical: true },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: spec.publicKey.asymmetricKeyType === 'rsa', critical: true },
          // A daemon also authenticates to the broker over TLS, hence clientAuth; serverAuth marks it a server.
          spec.role === 'server' ? { name: 'extKeyUsage', serverAuth: true, clientAuth: true } : { name: 'extKeyUsage', clientAuth: true },
          { name: 'subjectAltName', altNames: [spec.subject, ...(spec.altNames ?? [])].map(altName) },
        ]
  cert.setExtensions(extensions)
  // Normally set by forge's own (slow) sign(); the signature itself is made below with node:crypto.
  cert.siginfo.algorithmOid = SHA256_WITH_RSA
  cert.signatureOid = SHA256_WITH_RSA
  // getTBSCertificate is exported by node-forge but missing from its typings.
  const tbs = (forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert)
  const spki = forge.asn1.fromDer(spec.publicKey.export({ type: 'spki', format: 'der' }).toString('binary'))
  // TBSCertificate: [0] version, serial, signature, issuer, validity, subject, subjectPublicKeyInfo, [3] extensions
  ;(tbs.value as forge.asn1.Asn1[])[6] = spki
  const tbsDer = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary')
  const signature = sign('sha256', tbsDer, spec.issuer.key)
  const { asn1 } = forge
  const certificate = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(SHA256_WITH_RSA).getBytes()),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
    ]),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, '\u0000' + signature.toString('binary')),
  ])
  const der = Buffer.from(asn1.toDer(certificate).getBytes(), 'binary')
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`
}

/** 16 random bytes, positive and minimal as DER wants: the first byte in 0x01..0x7f. */
function serialNumber(): string {
  const bytes = randomBytes(16)
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x01
  return bytes.toString('hex')
}

function altName(name: string): { type: number; value?: string; ip?: string } {
  return /^[\d.]+$/.test(name) || name.includes(':') ? { type: 7, ip: name } : { type: 2, value: name }
}

const names = /^[\w][\w.@-]{0,252}$/

function checkName(name: string): void {
  if (!names.test(name)) throw new McshError('MCSH_PKI', `bad certificate name '${name}': letters, digits, '.', '_', '@' and '-' only`)
}

function validity(days: number, notBefore?: Date): { notBefore: Date; notAfter: Date } {
  if (!Number.isFinite(days) || days <= 0) throw new McshError('MCSH_PKI', `--days must be a positive number, not ${days}`)
  const from = notBefore ?? new Date(Date.now() - 5 * 60_000)
  return { notBefore: from, notAfter: new Date(from.getTime() + days * 86_400_000) }
}

/** A new CA: RSA key (4096 bits by default), self-signed, valid `days`. */
export function createCa(o: { name: string; days?: number; rsaBits?: number }): Credentials {
  checkName(o.name)
  const { privateKey, publicKey } = generateKey('rsa', o.rsaBits ?? 4096)
  const certPem = buildCertificate({ subject: o.name, issuer: { name: o.name, key: privateKey }, publicKey, role: 'ca', ...validity(o.days ?? 3650) })
  return { certPem, keyPem: keyToPem(privateKey) }
}

/** A certificate for a daemon or an operator, with a new key unless a public key is given (from a CSR). */
export function issueCertificate(o: {
  ca: Credentials
  name: string
  role: 'server' | 'client'
  days?: number
  keyType?: KeyType
  rsaBits?: number
  publicKey?: KeyObject
  notBefore?: Date
  altNames?: string[]
}): { certPem: string; keyPem?: string } {
  checkName(o.name)
  const caCert = new X509Certificate(o.ca.certPem)
  const caKey = createPrivateKey(o.ca.keyPem)
  const pair = o.publicKey ? undefined : generateKey(o.keyType ?? 'rsa', o.rsaBits ?? 2048)
  const publicKey = o.publicKey ?? (pair as { publicKey: KeyObject }).publicKey
  const v = validity(o.days ?? 365, o.notBefore)
  const certPem = buildCertificate({ subject: o.name, issuer: { name: commonName(caCert.subject), key: caKey }, publicKey, role: o.role, ...v, ...(o.altNames ? { altNames: o.altNames } : {}) })
  return { certPem, ...(pair ? { keyPem: keyToPem(pair.privateKey) } : {}) }
}

/** A certificate signing request for `name` (RSA), so a private key never leaves its host. */
export function createCsr(name: string, rsaBits = 2048): { csrPem: string; keyPem: string } {
  checkName(name)
  const { privateKey } = generateKey('rsa', rsaBits)
  const forgeKey = forge.pki.privateKeyFromPem(keyToPem(privateKey)) as forge.pki.rsa.PrivateKey
  const csr = forge.pki.createCertificationRequest()
  csr.publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e)
  csr.setSubject([{ name: 'commonName', value: name }])
  csr.sign(forgeKey, forge.md.sha256.create())
  return { csrPem: forge.pki.certificationRequestToPem(csr), keyPem: keyToPem(privateKey) }
}

/** Signs a CSR after checking its own signature; the subject's common name becomes the certificate name. */
export function signCsr(o: { ca: Credentials; csrPem: string; role: 'server' | 'client'; days?: number }): { certPem: string; name: string } {
  let csr: forge.pki.CertificateSigningRequest
  try {
    csr = forge.pki.certificationRequestFromPem(o.csrPem)
  } catch (e) {
    throw new McshError('MCSH_PKI', `not a PEM certificate request (RSA): ${e instanceof Error ? e.message : String(e)}`)
  }
  if (!csr.verify()) throw new McshError('MCSH_PKI', 'the certificate request is not signed by its own key: refused')
  const cn = csr.subject.getField('CN')?.value as string | undefined
  if (!cn) throw new McshError('MCSH_PKI', 'the certificate request has no common name')
  const publicKey = createPublicKey(forge.pki.publicKeyToPem(csr.publicKey as forge.pki.PublicKey))
  const { certPem } = issueCertificate({ ca: o.ca, name: cn, role: o.role, ...(o.days !== undefined ? { days: o.days } : {}), publicKey })
  return { certPem, name: cn }
}

export interface CertificateInfo {
  subject: string
  issuer: string
  role: CertRole | 'unknown'
  keyType: string
  serial: string
  notBefore: Date
  notAfter: Date
  fingerprint256: string
  isCa: boolean
}

export function describeCertificate(pem: string): CertificateInfo {
  const cert = parseCertificate(pem)
  const eku = cert.keyUsage ?? []
  const role: CertRole | 'unknown' = cert.ca ? 'ca' : eku.includes('1.3.6.1.5.5.7.3.1') ? 'server' : eku.includes('1.3.6.1.5.5.7.3.2') ? 'client' : 'unknown'
  return {
    subject: commonName(cert.subject),
    issuer: commonName(cert.issuer),
    role,
    keyType: cert.publicKey.asymmetricKeyType === 'rsa' ? `rsa-${cert.publicKey.asymmetricKeyDetails?.modulusLength}` : String(cert.publicKey.asymmetricKeyType),
    serial: cert.serialNumber,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    fingerprint256: cert.fingerprint256,
    isCa: cert.ca,
  }
}

export function parseCertificate(pem: string | Buffer): X509Certificate {
  try {
    return new X509Certificate(pem)
  } catch (e) {
    throw new McshError('MCSH_PKI', `not a PEM or DER certificate: ${e instanceof Error ? e.message : String(e)}`)
  }
}

/** The CN of a distinguished name as X509Certificate prints it (`CN=alice\nOU=mcsh client`). */
export function commonName(dn: string): string {
  return /(?:^|\n)CN=([^\n]+)/.exec(dn)?.[1] ?? dn
}

/** All certificates in a PEM bundle. */
export function splitPemBundle(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
}

export function fingerprint(certDerOrPem: string | Buffer): string {
  return createHash('sha256').update(certDerOrPem).digest('hex')
}

export { ED25519 as ED25519_OID }
