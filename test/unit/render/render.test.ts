import { describe, expect, it } from 'vitest'
import type { RpcResult } from '../../../src/client/result.js'
import type { RpcCommandResult } from '../../../src/commands/result.js'
import { computeAggregates, parseDdl } from '../../../src/ddl/index.js'
import { emptyFilter } from '../../../src/filter/types.js'
import { renderResult } from '../../../src/shell/render/index.js'

const ddl = parseDdl(
  {
    metadata: { name: 'svc', description: 'Services', author: 'a', version: '1', license: 'x', timeout: 5 },
    actions: {
      status: {
        description: 'Service status',
        inputs: {},
        outputs: { status: { description: 's', display_as: 'Status' }, enabled: { description: 'e', display_as: 'Enabled' } },
        aggregate: [{ function: 'summary', args: ['status'] }],
      },
    },
  },
  '<test>',
)
const action = ddl.actions.status!

function result(replies: RpcResult['replies'], noResponse: string[] = []): RpcCommandResult {
  const ok = replies.filter((r) => r.status === 0).length
  const rpc: RpcResult = {
    requestId: 'r1',
    agent: 'svc',
    action: 'status',
    inputs: {},
    collective: 'mcollective',
    filter: emptyFilter(),
    discovered: [...replies.map((r) => r.sender), ...noResponse],
    replies,
    noResponse,
    invalid: [],
    cancelled: false,
    stats: { discovered: replies.length + noResponse.length, targeted: replies.length + noResponse.length, responded: replies.length, ok, failed: replies.length - ok, no_response: noResponse.length, invalid: 0, discovery_ms: 120, call_ms: 30, total_ms: 150 },
  }
  return { kind: 'rpc', rpc, ddl: action, aggregates: computeAggregates(action, replies.map((r) => ({ ok: r.status === 0, data: r.data }))) }
}

describe('renderResult for rpc', () => {
  it('draws DDL columns, highlights failures, summarises and lists the silent', () => {
    const r = result(
      [
        { sender: 'web1.example.net', status: 0, message: 'OK', data: { status: 'running', enabled: true }, elapsedMs: 3 },
        { sender: 'web2.example.net', status: 0, message: 'OK', data: { status: 'stopped', enabled: false }, elapsedMs: 4 },
        { sender: 'web3.example.net', status: 4, message: "input 'service' must match /^[\\w.-]+$/", data: {}, elapsedMs: 5 },
      ],
      ['web4.example.net'],
    )
    expect(renderResult(r, { width: 80, color: false })).toMatchInlineSnapshot(`
      "Node              Status   Enabled
      ────────────────  ───────  ───────
      web1.example.net  running  true
      web2.example.net  stopped  false

      web3.example.net  Invalid Data: input 'service' must match /^[\\w.-]+$/

      Status (summary):
        running = 1
        stopped = 1

      2 ok, 1 failed, 1 no response of 4 discovered in 150 ms (discovery 120 ms)
      no response from:
        web4.example.net"
    `)
  })

  it('switches to one block per node when a table cannot fit', () => {
    const r = result([{ sender: 'db1.example.net', status: 0, message: 'OK', data: { status: 'running but with a very long explanation of why', enabled: true }, elapsedMs: 3 }])
    const text = renderResult(r, { width: 30, color: false })
    expect(text.split('\n').slice(0, 3)).toEqual(['db1.example.net', '   Status: running but with a very long explanation of why', '  Enabled: true'])
  })
})
