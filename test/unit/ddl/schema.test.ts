import { describe, expect, it } from 'vitest'
import { loadDdlFile, parseDdl } from '../../../src/ddl/index.js'
import { isMcshError } from '../../../src/util/errors.js'
import { RPCUTIL_DDL_PATH, minimalDdl } from './fixtures.js'

function parseError(source: unknown): string {
  try {
    parseDdl(source, 'demo.ddl.json5')
  } catch (e) {
    expect(isMcshError(e, 'MCSH_DDL_INVALID')).toBe(true)
    return (e as Error).message
  }
  throw new Error('expected parseDdl to throw')
}

function withAction(action: Record<string, unknown>): Record<string, unknown> {
  return minimalDdl({ broken: action })
}

describe('parseDdl on the rpcutil DDL', () => {
  it('loads every action with normalized fields', async () => {
    const ddl = await loadDdlFile(RPCUTIL_DDL_PATH)
    expect(ddl.source).toBe(RPCUTIL_DDL_PATH)
    expect(ddl.metadata).toMatchObject({ name: 'rpcutil', version: '1.0.0', license: 'Apache-2.0', timeoutSeconds: 10 })
    expect(Object.keys(ddl.actions).sort()).toEqual(
      ['agent_inventory', 'collective_info', 'daemon_stats', 'get_fact', 'get_facts', 'inventory', 'ping'],
    )
    const getFact = ddl.actions.get_fact
    expect(getFact).toMatchObject({ name: 'get_fact', agent: 'rpcutil', display: 'always' })
    expect(getFact?.inputs.fact).toMatchObject({
      name: 'fact',
      prompt: 'The name of the fact',
      type: 'string',
      validation: '^[\\w\\-\\.]+$',
      optional: false,
      maxlength: 90,
    })
    expect(getFact?.outputs.value).toMatchObject({ name: 'value', displayAs: 'Value', default: null })
    expect(getFact?.aggregate).toEqual([{ function: 'summary', output: 'value' }])
    expect(ddl.actions.ping?.outputs.pong?.displayAs).toBe('Timestamp')
    expect(ddl.actions.ping?.inputs).toEqual({})
    expect(ddl.actions.daemon_stats?.aggregate.map((a) => `${a.function}(${a.output})`)).toEqual(['sum(requests)', 'average(uptime)'])
    expect(Object.keys(ddl.actions.daemon_stats?.outputs ?? {})).toEqual([
      'uptime', 'starttime', 'concurrency', 'pid', 'requests', 'replies', 'filtered', 'validated', 'unvalidated',
      'passed', 'errors', 'ttlexpired', 'replayed', 'times', 'version',
    ])
    expect(Object.keys(ddl.actions.inventory?.outputs ?? {})).toEqual([
      'agents', 'facts', 'classes', 'collectives', 'main_collective', 'version', 'data_plugins',
    ])
    expect(ddl.actions.collective_info?.aggregate).toEqual([{ function: 'summary', output: 'main_collective' }])
    expect(ddl.actions.get_facts?.inputs.facts?.validation).toBe('^\\s*[\\w\\.\\-]+(\\s*,\\s*[\\w\\.\\-]+)*$')
  })

  it('applies defaults: display always, optional false, maxlength 0, prompt from description', () => {
    const ddl = parseDdl(
      minimalDdl({ other: { description: 'Other', inputs: { x: { description: 'The x', type: 'string' } } } }),
      '<inline>',
    )
    expect(ddl.source).toBe('<inline>')
    expect(ddl.actions.other).toMatchObject({ display: 'always', outputs: {}, aggregate: [] })
    expect(ddl.actions.other?.inputs.x).toMatchObject({ prompt: 'The x', optional: false, maxlength: 0 })
    expect(ddl.actions.other?.inputs.x && 'default' in ddl.actions.other.inputs.x).toBe(false)
  })
})

describe('parseDdl on broken DDLs', () => {
  it('rejects a non-object', () => {
    expect(parseError([])).toBe('demo.ddl.json5: (top level): expected an object with metadata and actions but found an array')
  })

  it('rejects a wrong input type with the list of types and a suggestion', () => {
    const message = parseError(
      minimalDdl({ get_fact: { description: 'Get', inputs: { fact: { description: 'Fact', type: 'str' } } } }),
    )
    expect(message).toBe(
      'demo.ddl.json5: actions.get_fact.inputs.fact.type: expected one of string, number, integer, boolean, list, array, hash but found "str"; did you mean "string"?',
    )
  })

  it('rejects unknown keys with a did-you-mean', () => {
    expect(parseError(withAction({ description: 'x', inputs: { a: { description: 'A', type: 'string', promt: 'A?' } } }))).toBe(
      'demo.ddl.json5: actions.broken.inputs.a.promt: unknown key; did you mean "prompt"?',
    )
    expect(parseError(withAction({ description: 'x', outputs: { a: { description: 'A', displayAs: 'A' } } }))).toMatch(
      'actions.broken.outputs.a.displayAs: unknown key; did you mean "display_as"?',
    )
    expect(parseError({ ...minimalDdl(), extra: 1 })).toMatch('demo.ddl.json5: extra: unknown key; expected one of metadata, actions')
  })

  it('requires metadata.timeout greater than 0', () => {
    const ddl = minimalDdl()
    const metadata = ddl.metadata as Record<string, unknown>
    delete metadata.timeout
    expect(parseError(ddl)).toBe('demo.ddl.json5: metadata.timeout: missing; expected a number of seconds greater than 0')
    metadata.timeout = 0
    expect(parseError(ddl)).toBe('demo.ddl.json5: metadata.timeout: expected a number of seconds greater than 0 but found 0')
  })

  it('requires the metadata strings', () => {
    const ddl = minimalDdl()
    const metadata = ddl.metadata as Record<string, unknown>
    delete metadata.author
    metadata.license = ''
    expect(parseError(ddl)).toBe(
      'demo.ddl.json5: metadata.author: missing; expected a non-empty string\n' +
        'demo.ddl.json5: metadata.license: expected a non-empty string but found ""',
    )
  })

  it('checks action, input and output names', () => {
    expect(parseError(minimalDdl({ GetFact: { description: 'x' } }))).toBe(
      'demo.ddl.json5: actions.GetFact: action name must match ^[a-z][a-z0-9_]*$ (lower case letters, digits and _, starting with a letter)',
    )
    expect(parseError(withAction({ description: 'x', inputs: { 'the-fact': { description: 'F', type: 'string' } } }))).toMatch(
      'actions.broken.inputs["the-fact"]: input name must match',
    )
  })

  it('requires at least one action', () => {
    expect(parseError({ ...minimalDdl(), actions: {} })).toBe('demo.ddl.json5: actions: expected at least one action but found none')
  })

  it('rejects an invalid display mode', () => {
    expect(parseError(withAction({ description: 'x', display: 'never' }))).toBe(
      'demo.ddl.json5: actions.broken.display: expected one of always, ok, failed but found "never"',
    )
  })

  it('rejects a bad regular expression and names the named validators', () => {
    const message = parseError(withAction({ description: 'x', inputs: { a: { description: 'A', type: 'string', validation: '^[a-z' } } }))
    expect(message).toMatch(/^demo\.ddl\.json5: actions\.broken\.inputs\.a\.validation: invalid regular expression \/\^\[a-z\/ \(/)
    expect(message).toMatch('named validators are shellsafe, ipv4address')
  })

  it('rejects validation and maxlength on non-string inputs', () => {
    expect(parseError(withAction({ description: 'x', inputs: { a: { description: 'A', type: 'integer', validation: 'port', maxlength: 3 } } }))).toBe(
      'demo.ddl.json5: actions.broken.inputs.a.validation: only applies to string and array inputs, not integer\n' +
        'demo.ddl.json5: actions.broken.inputs.a.maxlength: only applies to string and array inputs, not integer',
    )
  })

  it('rejects a negative maxlength', () => {
    expect(parseError(withAction({ description: 'x', inputs: { a: { description: 'A', type: 'string', maxlength: -1 } } }))).toBe(
      'demo.ddl.json5: actions.broken.inputs.a.maxlength: expected a whole number of characters (0 for unlimited) but found -1',
    )
  })

  it('requires the list of a list input, and only there', () => {
    expect(parseError(withAction({ description: 'x', inputs: { a: { description: 'A', type: 'list' } } }))).toBe(
      'demo.ddl.json5: actions.broken.inputs.a.list: missing; expected a non-empty list of the allowed values (strings, numbers or booleans)',
    )
    expect(parseError(withAction({ description: 'x', inputs: { a: { description: 'A', type: 'string', list: ['x'] } } }))).toBe(
      'demo.ddl.json5: actions.broken.inputs.a.list: only applies to inputs of type list, not string',
    )
  })

  it('checks a default against its input', () => {
    expect(parseError(withAction({ description: 'x', inputs: { n: { description: 'N', type: 'integer', default: 'ten' } } }))).toBe(
      'demo.ddl.json5: actions.broken.inputs.n.default: the default must be an integer but was "ten"',
    )
    expect(parseError(withAction({ description: 'x', inputs: { f: { description: 'F', type: 'string', validation: '^\\w+$', default: 'a b' } } }))).toBe(
      'demo.ddl.json5: actions.broken.inputs.f.default: the default must match /^\\w+$/ but was "a b"',
    )
  })

  it('requires description and display_as on outputs', () => {
    expect(parseError(withAction({ description: 'x', outputs: { a: { description: 'A' } } }))).toBe(
      'demo.ddl.json5: actions.broken.outputs.a.display_as: missing; expected a non-empty string',
    )
  })

  it('checks aggregate functions, their output and format', () => {
    const outputs = { value: { description: 'V', display_as: 'Value' } }
    expect(parseError(withAction({ description: 'x', outputs, aggregate: [{ function: 'mean', args: ['value'] }] }))).toBe(
      'demo.ddl.json5: actions.broken.aggregate[0].function: expected one of summary, average, sum, min, max but found "mean"',
    )
    expect(parseError(withAction({ description: 'x', outputs, aggregate: [{ function: 'sum', args: ['vaule'] }] }))).toBe(
      'demo.ddl.json5: actions.broken.aggregate[0].args[0]: "vaule" is not an output of broken (outputs: value); did you mean "value"?',
    )
    expect(parseError(withAction({ description: 'x', outputs, aggregate: [{ function: 'sum', args: [] }] }))).toBe(
      "demo.ddl.json5: actions.broken.aggregate[0].args: expected a list holding the name of one output, e.g. ['value'] but found an array",
    )
    expect(parseError(withAction({ description: 'x', outputs, aggregate: [{ function: 'sum', args: ['value'], format: '%x MB' }] }))).toBe(
      'demo.ddl.json5: actions.broken.aggregate[0].format: unsupported conversion at "%x" in "%x MB"; use %s, %d, %i, %f, %.Nf or %%',
    )
    expect(parseError(withAction({ description: 'x', outputs, aggregate: [{ function: 'sum', args: ['value'], format: 'MB' }] }))).toBe(
      'demo.ddl.json5: actions.broken.aggregate[0].format: expected a format with a conversion such as %s, %d or %.2f but found "MB"',
    )
  })

  it('reports every problem, one per line', () => {
    const message = parseError({
      metadata: { name: 'Demo', description: 'd', author: 'a', version: '1', license: 'MIT', timeout: -1 },
      actions: { run: { inputs: { a: { type: 'float', description: 'A' } } } },
    })
    expect(message.split('\n')).toEqual([
      'demo.ddl.json5: metadata.name: agent name must match ^[a-z][a-z0-9_]*$ (lower case letters, digits and _, starting with a letter) but found "Demo"',
      'demo.ddl.json5: metadata.timeout: expected a number of seconds greater than 0 but found -1',
      'demo.ddl.json5: actions.run.description: missing; expected a non-empty string',
      'demo.ddl.json5: actions.run.inputs.a.type: expected one of string, number, integer, boolean, list, array, hash but found "float"',
    ])
  })
})
