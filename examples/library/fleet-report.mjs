#!/usr/bin/env node
// Discovery and RPC from a script: which OS releases run where, by datacenter.
// Usage: node examples/library/fleet-report.mjs [--broker stomp://127.0.0.1:61613] [--config FILE]
import { RpcClient, loadConfig, parseFactTerm, emptyFilter } from 'mcsh'

const args = process.argv.slice(2)
const option = (name) => {
  const i = args.indexOf(name)
  return i === -1 ? undefined : args[i + 1]
}
const broker = option('--broker')
const file = option('--config')

const config = await loadConfig({
  ...(file ? { file } : {}),
  overrides: (c) => {
    if (broker) c.broker.urls = [broker]
    c.logLevel = 'error'
  },
})
const client = new RpcClient({ config })
await client.connect()
try {
  const filter = { ...emptyFilter(), fact: [parseFactTerm('os=linux')] }
  const result = await client.call({ agent: 'rpcutil', action: 'get_facts', args: { facts: 'datacenter,os.name,os.release' }, filter })
  const table = new Map()
  for (const reply of result.replies) {
    if (reply.status !== 0) continue
    const v = reply.data.values
    const key = `${v.datacenter}\t${v['os.name']} ${v['os.release']}`
    table.set(key, (table.get(key) ?? 0) + 1)
  }
  for (const [key, count] of [...table].sort()) console.log(`${key}\t${count}`)
  console.error(`${result.stats.ok} ok, ${result.stats.failed} failed, ${result.stats.no_response} no response of ${result.stats.discovered} in ${result.stats.total_ms} ms`)
  process.exitCode = result.stats.failed || result.stats.no_response ? 1 : 0
} finally {
  await client.close()
}
