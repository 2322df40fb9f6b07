import { describe, expect, it } from 'vitest'
import type { RpcResult } from '../../../src/client/result.js'
import type { CommandResult } from '../../../src/commands/result.js'
import { emptyFilter } from '../../../src/filter/types.js'
import { formatForPath, formatResult } from '../../../src/shell/format.js'
import { parseSink } from '../../../src/shell/pipeline.js'

describe('parseSink', () => {
  it('splits pipes and redirects at word starts outside quotes', () => {
    expect(parseSink('rpc a b | jq .stats')).toEqual({ command: 'rpc a b', sink: { kind: 'pipe', command: 'jq .stats' } })
    expect(parseSink('rpc a b > out.json')).toEqual({ command: 'rpc a b', sink: { kind: 'file', path: 'out.json', append: false } })
    expect(parseSink('rpc a b >> "my out.jsonl"')).toEqual({ command: 'rpc a b', sink: { kind: 'file', path: 'my out.jsonl', append: true } })
    expect(parseSink('rpc a b -F memory.total_mb>4096')).toEqual({ command: 'rpc a b -F memory.total_mb>4096' })
    expect(parseSink(`rpc a b -S "role=web || role=db" msg='a | b'`)).toEqual({ command: `rpc a b -S "role=web || role=db" msg='a | b'` })
  })
  it('refuses empty sides with a clear message', () => {
    expect(() => parseSink('rpc a b |')).toThrow(/give a shell command/)
    expect(() => parseSink('| jq')).toThrow(/nothing before '\|'/)
    expect(() => parseSink('rpc a b >')).toThrow(/give a file name/)
    expect(() => parseSink('rpc a b > two words')).toThrow(/one file after '>'/)
  })
})

const rpc: RpcResult = {
  requestId: 'r1',
  agent: 'rpcutil',
  action: 'get_fact',
  inputs: { fact: 'role' },
  collective: 'mcollective',
  filter: emptyFilter(),
  discovered: ['a.example', 'b.example', 'c.example'],
  replies: [
    { sender: 'a.example', status: 0, message: 'OK', data: { fact: 'role', value: 'web, "edge"' }, elapsedMs: 1 },
    { sender: 'b.example', status: 5, message: 'boom', data: {}, elapsedMs: 2 },
  ],
  noResponse: ['c.example'],
  invalid: [],
  cancelled: false,
  stats: { discovered: 3, targeted: 3, responded: 2, ok: 1, failed: 1, no_response: 1, invalid: 0, discovery_ms: 1, call_ms: 2, total_ms: 3 },
}
const result: CommandResult = { kind: 'rpc', rpc, aggregates: [] }
const o = { width: 80, color: false, pretty: false }

describe('formatResult', () => {
  it('writes CSV with one row per node, data flattened into columns, quoted where needed', async () => {
    expect(await formatResult(result, 'csv', o)).toBe(
      ['sender,statuscode,statusmsg,fact,value', 'a.example,0,OK,role,"web, ""edge"""', 'b.example,5,boom,,', 'c.example,,no response,,'].join('\n'),
    )
  })
  it('writes one JSON line per node with jsonl', async () => {
    const lines = (await formatResult(result, 'jsonl', o)).split('\n').map((l) => JSON.parse(l))
    expect(lines.map((l) => [l.sender, l.statuscode])).toEqual([['a.example', 0], ['b.example', 5], ['c.example', null]])
    expect(lines[0]).toMatchObject({ request_id: 'r1', agent: 'rpcutil', action: 'get_fact' })
  })
  it('writes the documented JSON and YAML documents', async () => {
    const json = JSON.parse(await formatResult(result, 'json', o))
    expect(json).toMatchObject({ request_id: 'r1', inputs: { fact: 'role' }, no_response: ['c.example'], stats: { ok: 1 } })
    expect(await formatResult(result, 'yaml', o)).toMatch(/^request_id: r1\nagent: rpcutil\naction: get_fact\ninputs:\n  fact: role\n/)
  })
  it('refuses CSV for results that are not about nodes', async () => {
    await expect(formatResult({ kind: 'text', text: 'hi' }, 'csv', o)).rejects.toThrow(/csv output is for node results/)
  })
  it('picks a format from a file name', () => {
    expect([formatForPath('a.csv'), formatForPath('a.JSONL'), formatForPath('a.yml'), formatForPath('a.out')]).toEqual(['csv', 'jsonl', 'yaml', undefined])
  })
})
