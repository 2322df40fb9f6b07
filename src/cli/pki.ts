import { X509Certificate } from 'node:crypto'
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { formatOptionHelp, numberOption, parseOptions, type OptionSpec } from '../commands/options.js'
import { ExitCode } from '../commands/result.js'
import { commonName, createCa, createCsr, describeCertificate, issueCertificate, signCsr, splitPemBundle, type Credentials, type KeyType } from '../security/pki.js'
import { defaultClientSslDir, readPrivateKey } from '../security/registry.js'
import { SslVerifier } from '../security/ssl.js'
import { McshError, errorMessage } from '../util/errors.js'

const caDirDefault = () => join(defaultClientSslDir(), 'ca')

const options: OptionSpec[] = [
  { name: 'dir', kind: 'value', valueName: 'DIR', help: 'where the CA lives (init, issue, sign; default ~/.mcsh/ssl/ca)' },
  { name: 'out', kind: 'value', valueName: 'DIR', help: 'where to write the certificate and key (default ~/.mcsh/ssl, servers ~/.mcsh/ssl/servers)' },
  { name: 'name', kind: 'value', valueName: 'NAME', help: 'the CA name (init; default mcsh-ca)' },
  { name: 'server', kind: 'flag', help: 'a daemon certificate (serverAuth): signs replies, cannot send requests' },
  { name: 'client', kind: 'flag', help: 'an operator certificate (clientAuth): signs requests as cert=NAME (the default)' },
  { name: 'days', kind: 'value', valueName: 'N', help: 'validity in days (CA 3650, others 365)' },
  { name: 'key', kind: 'value', valueName: 'rsa|ed25519', help: 'key type of issued certificates (default rsa, 2048 bits)' },
  { name: 'bits', kind: 'value', valueName: 'N', help: 'RSA key size (default 2048; the CA 4096)' },
  { name: 'ca', kind: 'value', valueName: 'FILE', help: 'the CA certificate to verify against (verify; default ~/.mcsh/ssl/ca.pem)' },
  { name: 'force', kind: 'flag', help: 'overwrite existing files' },
  { name: 'help', short: 'h', kind: 'flag', help: 'this help' },
]

const usage = `usage: mcsh pki COMMAND [options]

  init                     create a CA for a site (in ~/.mcsh/ssl/ca; keep ca.key safe)
  issue NAME [--server|--client] [--days N] [--key rsa|ed25519]
                           a key and certificate signed by the CA
  csr NAME [--out DIR]     a key and a certificate request, made where the key will live
  sign FILE.csr [--server|--client] [--days N]
                           sign a request with the CA
  show FILE                what a certificate says: subject, issuer, role, key, dates
  verify FILE [--ca FILE]  check a certificate against the CA: signature, dates, role

Daemons read /etc/mcsh/ssl/ca.pem, /etc/mcsh/ssl/<identity>.pem and <identity>.key; clients
~/.mcsh/ssl/ca.pem, ~/.mcsh/ssl/<user>.pem and <user>.key (or security.ca/cert/key). Private keys
are written 0600 and refused when others can read them.

options:
${formatOptionHelp(options)}`

export async function pkiMain(argv: string[]): Promise<number> {
  try {
    const { options: o, positionals } = parseOptions(argv, options, 'mcsh pki')
    const [command, arg, ...rest] = positionals
    if (o.help || !command) {
      process.stdout.write(usage + '\n')
      return o.help ? ExitCode.OK : ExitCode.Usage
    }
    if (rest.length) throw new McshError('MCSH_USAGE', `unexpected '${rest.join(' ')}'; see 'mcsh pki --help'`)
    const days = numberOption(o, 'days', { min: 1 })
    const bits = numberOption(o, 'bits', { min: 2048, integer: true })
    const force = Boolean(o.force)
    const caDir = resolve((o.dir as string | undefined) ?? caDirDefault())
    const role = o.server ? 'server' : 'client'
    if (o.server && o.client) throw new McshError('MCSH_USAGE', '--server or --client, not both')
    const say = (t: string) => process.stdout.write(t + '\n')
    switch (command) {
      case 'init': {
        const name = (o.name as string | undefined) ?? 'mcsh-ca'
        const ca = createCa({ name, ...(days !== undefined ? { days } : {}), ...(bits !== undefined ? { rsaBits: bits } : {}) })
        mkdirSync(caDir, { recursive: true, mode: 0o700 })
        writeFile(join(caDir, 'ca.pem'), ca.certPem, 0o644, force)
        writeFile(join(caDir, 'ca.key'), ca.keyPem, 0o600, force)
        const clientCa = join(defaultClientSslDir(), 'ca.pem')
        if (!existsSync(clientCa) || force) {
          mkdirSync(defaultClientSslDir(), { recursive: true, mode: 0o700 })
          copyFileSync(join(caDir, 'ca.pem'), clientCa)
        }
        say(`CA '${name}' created in ${caDir} (ca.pem, and ca.key: keep it offline or at least private)`)
        say(`next: mcsh pki issue ${userName()} --client   ·   mcsh pki issue web01.example.net --server`)
        return ExitCode.OK
      }
      case 'issue': {
        if (!arg) throw new McshError('MCSH_USAGE', 'usage: mcsh pki issue NAME [--server|--client]')
        const keyType = (o.key as string | undefined) ?? 'rsa'
        if (keyType !== 'rsa' && keyType !== 'ed25519') throw new McshError('MCSH_USAGE', `--key must be rsa or ed25519, not '${keyType}'`)
        const ca = loadCa(caDir)
        const issued = issueCertificate({ ca, name: arg, role, keyType: keyType as KeyType, ...(days !== undefined ? { days } : {}), ...(bits !== undefined ? { rsaBits: bits } : {}) })
        const out = resolve((o.out as string | undefined) ?? (role === 'client' ? defaultClientSslDir() : join(defaultClientSslDir(), 'servers')))
        mkdirSync(out, { recursive: true, mode: 0o700 })
        writeFile(join(out, `${arg}.pem`), issued.certPem, 0o644, force)
        writeFile(join(out, `${arg}.key`), issued.keyPem as string, 0o600, force)
        say(`${role} certificate for '${arg}' (${keyType}) written to ${join(out, arg)}.pem and .key`)
        if (role === 'server') say(`on the node: copy ${arg}.pem, ${arg}.key (mode 0600) and ${join(caDir, 'ca.pem')} to /etc/mcsh/ssl/`)
        else say(`requests will carry caller id cert=${arg}; set security.plugin: 'ssl' (the default)`)
        return ExitCode.OK
      }
      case 'csr': {
        if (!arg) throw new McshError('MCSH_USAGE', 'usage: mcsh pki csr NAME [--out DIR]')
        const { csrPem, keyPem } = createCsr(arg, bits ?? 2048)
        const out = resolve((o.out as string | undefined) ?? '.')
        mkdirSync(out, { recursive: true })
        writeFile(join(out, `${arg}.key`), keyPem, 0o600, force)
        writeFile(join(out, `${arg}.csr`), csrPem, 0o644, force)
        say(`key and request written to ${join(out, arg)}.key and .csr; have the CA sign it: mcsh pki sign ${arg}.csr --server`)
        return ExitCode.OK
      }
      case 'sign': {
        if (!arg) throw new McshError('MCSH_USAGE', 'usage: mcsh pki sign FILE.csr [--server|--client]')
        const { certPem, name } = signCsr({ ca: loadCa(caDir), csrPem: read(arg, 'certificate request'), role, ...(days !== undefined ? { days } : {}) })
        const out = resolve((o.out as string | undefined) ?? '.')
        writeFile(join(out, `${name}.pem`), certPem, 0o644, force)
        say(`${role} certificate for '${name}' written to ${join(out, name)}.pem`)
        return ExitCode.OK
      }
      case 'show': {
        if (!arg) throw new McshError('MCSH_USAGE', 'usage: mcsh pki show FILE')
        for (const pem of splitPemBundle(read(arg, 'certificate'))) {
          const i = describeCertificate(pem)
          say(
            [
              `subject      ${i.subject}`,
              `issuer       ${i.issuer}`,
              `role         ${i.role}${i.role === 'server' ? ' (signs replies; cannot send requests)' : i.role === 'client' ? ` (requests as cert=${i.subject})` : ''}`,
              `key          ${i.keyType}`,
              `valid        ${i.notBefore.toISOString()} to ${i.notAfter.toISOString()}${Date.now() > i.notAfter.getTime() ? '  EXPIRED' : ''}`,
              `serial       ${i.serial}`,
              `sha256       ${i.fingerprint256}`,
            ].join('\n'),
          )
        }
        return ExitCode.OK
      }
      case 'verify': {
        if (!arg) throw new McshError('MCSH_USAGE', 'usage: mcsh pki verify FILE [--ca FILE]')
        const caFile = (o.ca as string | undefined) ?? join(defaultClientSslDir(), 'ca.pem')
        const verifier = new SslVerifier(read(caFile, 'CA certificate'))
        const cert = new X509Certificate(read(arg, 'certificate'))
        const role2 = describeCertificate(cert.toString()).role
        verifier.certificate(cert.raw.toString('base64'), role2 === 'server' ? 'reply' : 'request')
        say(`${arg}: OK — '${commonName(cert.subject)}', a ${role2} certificate signed by the CA in ${caFile}, valid until ${new Date(cert.validTo).toISOString()}`)
        return ExitCode.OK
      }
      default:
        throw new McshError('MCSH_USAGE', `unknown pki command '${command}': init, issue, csr, sign, show or verify`)
    }
  } catch (e) {
    process.stderr.write(`error: ${errorMessage(e)}\n`)
    return (e as McshError).code === 'MCSH_USAGE' ? ExitCode.Usage : ExitCode.Partial
  }
}

function loadCa(dir: string): Credentials {
  const certFile = join(dir, 'ca.pem')
  if (!existsSync(certFile)) throw new McshError('MCSH_PKI', `no CA in ${dir}: create one with 'mcsh pki init' (or give --dir)`)
  return { certPem: readFileSync(certFile, 'utf8'), keyPem: readPrivateKey(join(dir, 'ca.key')) }
}

function read(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (e) {
    throw new McshError('MCSH_PKI', `cannot read the ${what} ${file}: ${errorMessage(e)}`)
  }
}

function writeFile(file: string, text: string, mode: number, force: boolean): void {
  try {
    writeFileSync(file, text, { mode, flag: force ? 'w' : 'wx' })
    chmodSync(file, mode)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new McshError('MCSH_PKI', `${file} exists: remove it or add --force`)
    throw new McshError('MCSH_PKI', `cannot write ${file}: ${errorMessage(e)}`)
  }
}

function userName(): string {
  return process.env.USER ?? 'me'
}
