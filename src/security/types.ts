export type MessageRole = 'request' | 'reply'

/** What a security plugin attaches to a payload: who signed and the proof. Plugins may add string fields. */
export interface Seal {
  plugin: string
  /** The signer: a caller id (`uid=1000`, `cert=alice`) on requests, the node identity on replies. */
  signer: string
  signature: string
  [extra: string]: string
}

export interface SecurityPlugin {
  readonly name: string
  /** The caller id this side's requests carry. */
  readonly callerId: string
  seal(payload: Buffer, role: MessageRole, signer: string): Seal | Promise<Seal>
  /** Returns the signer the seal proves; throws a `SecurityError` when it proves nothing. */
  verify(payload: Buffer, seal: Seal, role: MessageRole): string | Promise<string>
}

export interface SecurityContext {
  callerId: string
}
