import { fileURLToPath } from 'node:url'
import { parseDdl } from '../../../src/ddl/index.js'
import type { ActionDdl } from '../../../src/ddl/index.js'

export const RPCUTIL_DDL_PATH = fileURLToPath(new URL('../../../agents/rpcutil/rpcutil.ddl.json5', import.meta.url))

/** A minimal valid DDL; tests spread over it to break one thing at a time. */
export function minimalDdl(actions: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    metadata: { name: 'demo', description: 'Demo agent', author: 'me', version: '1.0.0', license: 'Apache-2.0', timeout: 5 },
    actions: {
      run: { description: 'Run it', inputs: {}, outputs: { result: { description: 'The result', display_as: 'Result' } } },
      ...actions,
    },
  }
}

/** An action with one input of every kind, for coercion and validation tests. */
export function kitchenSinkAction(): ActionDdl {
  const ddl = parseDdl(
    {
      metadata: { name: 'sink', description: 'Every input type', author: 'me', version: '1.0.0', license: 'MIT', timeout: 5 },
      actions: {
        all: {
          description: 'Takes everything',
          inputs: {
            name: { prompt: 'Name', description: 'A name', type: 'string', validation: '^[a-z]+$', maxlength: 8 },
            ratio: { description: 'A ratio', type: 'number', optional: true },
            count: { description: 'A count', type: 'integer', optional: true, default: 3 },
            force: { description: 'Force it', type: 'boolean', optional: true },
            mode: { description: 'The mode', type: 'list', list: ['fast', 'slow', 7, true], optional: true },
            hosts: { description: 'Hosts', type: 'array', validation: 'hostname', optional: true },
            options: { description: 'Options', type: 'hash', optional: true, default: { a: [1] } },
            password: { description: 'A secret', type: 'string', secret: true, optional: true, validation: '^\\d+$' },
          },
          outputs: {},
        },
      },
    },
    '<inline>',
  )
  return ddl.actions.all as ActionDdl
}
