import { createCa, issueCertificate } from '../../src/security/pki.js'

/** A throw-away CA and a server certificate for 127.0.0.1 and localhost, as PEM, for TLS tests. */
export function makeTestPki(): { caCert: string; serverCert: string; serverKey: string } {
  const ca = createCa({ name: 'mcsh-test-ca', rsaBits: 2048, days: 1 })
  const server = issueCertificate({ ca, name: 'localhost', role: 'server', altNames: ['127.0.0.1'], days: 1 })
  return { caCert: ca.certPem, serverCert: server.certPem, serverKey: server.keyPem as string }
}
