import forge from 'node-forge'

/** A throw-away CA and a server certificate for 127.0.0.1, as PEM, for TLS tests. */
export function makeTestPki(): { caCert: string; serverCert: string; serverKey: string } {
  const pki = forge.pki
  const caKeys = pki.rsa.generateKeyPair(2048)
  const ca = pki.createCertificate()
  ca.publicKey = caKeys.publicKey
  ca.serialNumber = '01'
  ca.validity.notBefore = new Date(Date.now() - 60_000)
  ca.validity.notAfter = new Date(Date.now() + 86_400_000)
  const caName = [{ name: 'commonName', value: 'mcsh test CA' }]
  ca.setSubject(caName)
  ca.setIssuer(caName)
  ca.setExtensions([{ name: 'basicConstraints', cA: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true }])
  ca.sign(caKeys.privateKey, forge.md.sha256.create())
  const keys = pki.rsa.generateKeyPair(2048)
  const cert = pki.createCertificate()
  cert.publicKey = keys.publicKey
  cert.serialNumber = '02'
  cert.validity.notBefore = new Date(Date.now() - 60_000)
  cert.validity.notAfter = new Date(Date.now() + 86_400_000)
  cert.setSubject([{ name: 'commonName', value: 'localhost' }])
  cert.setIssuer(caName)
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
  ])
  cert.sign(caKeys.privateKey, forge.md.sha256.create())
  return { caCert: pki.certificateToPem(ca), serverCert: pki.certificateToPem(cert), serverKey: pki.privateKeyToPem(keys.privateKey) }
}
