import { McshError } from '../util/errors.js'
import { createJsonSerializer } from './json.js'
import type { Serializer } from './types.js'

export const serializers = {
  json: createJsonSerializer,
} satisfies Record<string, () => Serializer>

export function createSerializer(name: string): Serializer {
  const factory = (serializers as Record<string, (() => Serializer) | undefined>)[name]
  if (!factory) throw new McshError('MCSH_CONFIG_INVALID', `unknown serializer '${name}'; available: ${Object.keys(serializers).join(', ')}`)
  return factory()
}
