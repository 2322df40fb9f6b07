import { McshError } from '../util/errors.js'

export interface BrokerAddress {
  url: string
  tls: boolean
  host: string
  port: number
  login?: string
  passcode?: string
  /** The STOMP `host` header (a RabbitMQ vhost), from the URL path: stomp://h:61613/myvhost */
  vhost?: string
}

/** Parses `stomp://user:pass@host:61613` and `stomp+ssl://host:61614`; the password never appears in `url`. */
export function parseBrokerUrl(text: string): BrokerAddress {
  let u: URL
  try {
    u = new URL(text)
  } catch {
    throw new McshError('MCSH_BROKER_URL', `bad broker URL '${text}': expected stomp://[user:password@]host[:port] or stomp+ssl://…`)
  }
  const tls = u.protocol === 'stomp+ssl:' || u.protocol === 'stomp+tls:' || u.protocol === 'stomps:'
  if (!tls && u.protocol !== 'stomp:' && u.protocol !== 'tcp:')
    throw new McshError('MCSH_BROKER_URL', `bad broker URL '${text}': scheme must be stomp:// or stomp+ssl://`)
  if (!u.hostname) throw new McshError('MCSH_BROKER_URL', `bad broker URL '${text}': no host`)
  const port = u.port ? Number(u.port) : tls ? 61614 : 61613
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1')
  const address: BrokerAddress = {
    url: `${tls ? 'stomp+ssl' : 'stomp'}://${u.username ? decodeURIComponent(u.username) + '@' : ''}${u.hostname}:${port}`,
    tls,
    host,
    port,
  }
  if (u.username) address.login = decodeURIComponent(u.username)
  if (u.password) address.passcode = decodeURIComponent(u.password)
  const vhost = decodeURIComponent(u.pathname.replace(/^\//, ''))
  if (vhost) address.vhost = vhost
  return address
}

export function parseBrokerPool(urls: readonly string[]): BrokerAddress[] {
  if (urls.length === 0) throw new McshError('MCSH_BROKER_URL', 'no broker configured: set broker.urls in the config, MCSH_BROKER or --broker')
  return urls.map(parseBrokerUrl)
}
