/** A message as the transport delivers it: destination, headers, bytes. It never sees envelopes. */
export interface InboundMessage {
  destination: string
  headers: Readonly<Record<string, string>>
  body: Uint8Array
}

export type MessageHandler = (message: InboundMessage) => void

export interface Subscription {
  unsubscribe(): void
  /** Resolves once the broker confirmed the subscription; rejects with its reason if it refused. */
  ready(): Promise<void>
}

export type ConnectorState = 'connecting' | 'connected' | 'disconnected' | 'closed'

export interface PublishOptions {
  headers?: Record<string, string>
  /** Wait until the broker confirms it has the message (a STOMP receipt). */
  confirm?: boolean
}

export interface Connector {
  /** The broker URL in use (without password), or undefined while not connected. */
  readonly currentUrl: string | undefined
  readonly state: ConnectorState
  /** Resolves once connected to one broker of the pool; see ConnectOptions for when it gives up. */
  connect(): Promise<void>
  /** Kept across reconnects: the connector re-subscribes after every reconnect. */
  subscribe(destination: string, handler: MessageHandler): Subscription
  /** Rejects with MCSH_NOT_CONNECTED when no broker is reachable within the publish wait. */
  publish(destination: string, body: Uint8Array, options?: PublishOptions): Promise<void>
  onStateChange(listener: (state: ConnectorState, detail: { url?: string; error?: string }) => void): () => void
  close(): Promise<void>
}
