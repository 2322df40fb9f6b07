/** Turns a wire object into bytes and back. JSON now; a Ruby-compatible one for MCollective fleets later. */
export interface Serializer {
  readonly name: string
  /** Text serializers travel as a JSON string; binary ones as base64. */
  readonly binary: boolean
  encode(value: unknown): Buffer
  decode(bytes: Buffer): unknown
}
