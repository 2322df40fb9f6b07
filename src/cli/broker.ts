import { readFileSync } from 'node:fs'
import { startBroker, type BrokerOptions } from '../broker/index.js'
import { formatOptionHelp, numberOption, parseOptions, type OptionSpec } from '../commands/options.js'
import { ExitCode } from '../commands/result.js'
import { createLogger, isLogLevel } from '../util/logger.js'
import { errorMessage } from '../util/errors.js'

const options: OptionSpec[] = [
  { name: 'listen', short: 'l', kind: 'value', valueName: 'HOST:PORT', help: 'address to listen on (default 127.0.0.1:61613)' },
  { name: 'user', short: 'u', kind: 'value', valueName: 'LOGIN', help: 'require this login (with --password)' },
  { name: 'password', short: 'p', kind: 'value', valueName: 'PASSCODE', help: 'the passcode for --user (or MCSH_BROKER_PASSWORD)' },
  { name: 'max-frame-bytes', kind: 'value', valueName: 'N', help: 'refuse frames larger than this (default 8 MiB)' },
  { name: 'queue-buffer', kind: 'value', valueName: 'N', help: 'messages a queue keeps while nobody listens (default 10000)' },
  { name: 'tls-cert', kind: 'value', valueName: 'FILE', help: 'serve stomp+ssl with this certificate (PEM)' },
  { name: 'tls-key', kind: 'value', valueName: 'FILE', help: 'the private key for --tls-cert' },
  { name: 'tls-ca', kind: 'value', valueName: 'FILE', help: 'require client certificates signed by this CA' },
  { name: 'log-level', kind: 'value', valueName: 'LEVEL', help: 'debug, info, warn, error (default info)' },
  { name: 'help', short: 'h', kind: 'flag', help: 'this help' },
]

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+))?:?(\d+)?$/.exec(text)
  const host = m?.[1] ?? m?.[2] ?? '127.0.0.1'
  const port = m?.[3] !== undefined ? Number(m[3]) : 61613
  if (!m || port > 65535) throw new Error(`bad --listen '${text}': expected HOST:PORT such as 127.0.0.1:61613`)
  return { host, port }
}

export async function brokerMain(argv: string[]): Promise<number> {
  let o
  try {
    o = parseOptions(argv, options, 'mcsh broker').options
  } catch (e) {
    process.stderr.write(`error: ${errorMessage(e)}\n`)
    return ExitCode.Usage
  }
  if (o.help) {
    process.stdout.write(`usage: mcsh broker [options]

The embedded STOMP 1.2 broker: for one host, demos and tests. A fleet beyond one site
uses RabbitMQ or ActiveMQ clusters (see examples/rabbitmq and examples/activemq).

options:
${formatOptionHelp(options)}
`)
    return ExitCode.OK
  }
  try {
    const { host, port } = parseListen((o.listen as string | undefined) ?? '127.0.0.1:61613')
    const level = (o['log-level'] as string | undefined) ?? 'info'
    if (!isLogLevel(level)) throw new Error(`bad --log-level '${level}': debug, info, warn or error`)
    const logger = createLogger({ level })
    const password = (o.password as string | undefined) ?? process.env.MCSH_BROKER_PASSWORD
    if ((o.user === undefined) !== (password === undefined)) throw new Error('--user and --password go together')
    const bo: BrokerOptions = { host, port, logger }
    if (typeof o.user === 'string' && password !== undefined) bo.users = [{ login: o.user, passcode: password }]
    const maxFrame = numberOption(o, 'max-frame-bytes', { min: 1024, integer: true })
    if (maxFrame !== undefined) bo.maxFrameBytes = maxFrame
    const buffer = numberOption(o, 'queue-buffer', { min: 0, integer: true })
    if (buffer !== undefined) bo.queueBufferLimit = buffer
    if (o['tls-cert'] || o['tls-key']) {
      if (!o['tls-cert'] || !o['tls-key']) throw new Error('--tls-cert and --tls-key go together')
      bo.tls = {
        cert: readFileSync(o['tls-cert'] as string),
        key: readFileSync(o['tls-key'] as string),
        ...(o['tls-ca'] ? { ca: readFileSync(o['tls-ca'] as string), requestCert: true } : {}),
      }
    }
    const broker = await startBroker(bo)
    logger.info('broker listening', { url: broker.url })
    await new Promise<void>((resolve) => {
      const stop = () => {
        logger.info('shutting down', { stats: JSON.stringify(broker.stats()) })
        void broker.close().then(resolve)
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    })
    return ExitCode.OK
  } catch (e) {
    process.stderr.write(`error: ${errorMessage(e)}\n`)
    return ExitCode.Connection
  }
}
