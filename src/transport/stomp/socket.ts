import { createConnection, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { TCPWrapper } from '@stomp/tcp-wrapper'
import type { BrokerAddress } from '../../config/broker-url.js'

export interface TlsFiles {
  ca?: string
  cert?: string
  key?: string
  rejectUnauthorized: boolean
}

/**
 * A stompjs socket over TCP or TLS with Nagle off (request/reply traffic is many small frames).
 * TCPWrapper opens its socket in its constructor, so the options travel in a closure, not a field.
 */
export function socketFactory(address: BrokerAddress, tls: TlsFiles | undefined): () => TCPWrapper {
  const tlsOptions =
    address.tls && tls
      ? {
          ca: tls.ca ? readFileSync(expandHome(tls.ca)) : undefined,
          cert: tls.cert ? readFileSync(expandHome(tls.cert)) : undefined,
          key: tls.key ? readFileSync(expandHome(tls.key)) : undefined,
          rejectUnauthorized: tls.rejectUnauthorized,
        }
      : { rejectUnauthorized: true }
  class Wrapper extends TCPWrapper {
    protected override getSocket(port: number, host: string): Socket {
      const socket = address.tls ? tlsConnect({ host, port, servername: isIp(host) ? undefined : host, ...tlsOptions }) : createConnection(port, host)
      socket.setNoDelay(true)
      return socket
    }
  }
  return () => new Wrapper(address.host, address.port)
}

function expandHome(path: string): string {
  return path.startsWith('~/') ? join(homedir(), path.slice(2)) : path
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':')
}
