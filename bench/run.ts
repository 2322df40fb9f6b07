/**
 * `npm run bench`: discovery and `rpcutil ping` over simulated fleets, through the embedded broker
 * and, when one answers on loopback, RabbitMQ. The broker and the fleet run in their own processes so
 * their memory and the client's CPU are measured apart. Prints a table and writes bench/results/.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RpcClient } from '../src/client/rpc-client.js'
import { defaultConfig } from '../src/config/defaults.js'
import type { Config } from '../src/config/types.js'
import { shortId } from '../src/util/ids.js'
import { silentLogger } from '../src/util/logger.js'
import { packageRoot } from '../src/util/package-root.js'
import { runShellBench } from './shell.js'
import { runCryptoBench } from './crypto.js'
import { createCa, issueCertificate } from '../src/security/pki.js'

interface Row {
  broker: string
  security: string
  nodes: number
  connections: number
  discovery_ms: number
  discovery_after_last_reply_ms: number
  rpc_all_replies_ms: number
  replies_per_s: number
  client_cpu_us_per_reply: number
  fleet_rss_mb: number
  broker_rss_mb: number | null
  rounds: number
}

const root = packageRoot()
const mcsh = join(root, 'bin', 'mcsh.js')
const mcshd = join(root, 'bin', 'mcshd.js')
const children: ChildProcess[] = []

function startChild(args: string[]): ChildProcess {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr?.on('data', (d) => (err = (err + d).slice(-2000)))
  child.on('exit', (code) => {
    if (code && code !== 0 && !stopping) process.stderr.write(`child ${args.slice(0, 2).join(' ')} exited ${code}: ${err}\n`)
  })
  children.push(child)
  return child
}

let stopping = false
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  const t = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(t)
}

function rssMb(pid: number | undefined): number | null {
  if (!pid) return null
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : null
  } catch {
    return null
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1')
    const t = setTimeout(() => (s.destroy(), resolve(false)), 1000)
    s.on('connect', () => (clearTimeout(t), s.destroy(), resolve(true)))
    s.on('error', () => (clearTimeout(t), resolve(false)))
  })
}

async function rabbitAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(61613, '127.0.0.1')
    let data = ''
    const t = setTimeout(() => (s.destroy(), resolve(false)), 1500)
    s.on('connect', () => s.write('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0'))
    s.on('data', (d) => {
      data += d
      if (data.includes('\0')) {
        clearTimeout(t)
        s.destroy()
        resolve(data.startsWith('CONNECTED') && !/server:mcsh/.test(data))
      }
    })
    s.on('error', () => (clearTimeout(t), resolve(false)))
  })
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

function round1(n: number): number {
  return Math.round(n * 10) / 10
}

/** A CA (for --simulate-ca) and a client certificate, for the ssl rows. */
function benchPki(dir: string): { caDir: string; client: { ca: string; cert: string; key: string } } {
  const caDir = join(dir, 'ca')
  mkdirSync(caDir, { recursive: true })
  const ca = createCa({ name: 'bench-ca', rsaBits: 2048, days: 1 })
  writeFileSync(join(caDir, 'ca.pem'), ca.certPem)
  writeFileSync(join(caDir, 'ca.key'), ca.keyPem, { mode: 0o600 })
  const client = issueCertificate({ ca, name: 'bench', role: 'client', days: 1 })
  const files = { ca: join(caDir, 'ca.pem'), cert: join(dir, 'bench.pem'), key: join(dir, 'bench.key') }
  writeFileSync(files.cert, client.certPem)
  writeFileSync(files.key, client.keyPem as string, { mode: 0o600 })
  return { caDir, client: files }
}

async function measure(o: { broker: string; url: string; brokerPid?: number; nodes: number; connections: number; rounds: number; dir: string; ssl?: ReturnType<typeof benchPki> }): Promise<Row> {
  const collective = `bench_${shortId(3)}`
  const config: Config = defaultConfig()
  config.broker.urls = [o.url]
  config.collectives = [collective]
  config.identity = 'bench-client'
  config.security = o.ssl ? { plugin: 'ssl', ...o.ssl.client } : { plugin: 'psk', psk: 'bench-psk' }
  config.logLevel = 'error'
  config.client.discoveryTimeoutMs = 5000
  config.client.discoveryWindowMs = 100
  const file = join(o.dir, `${collective}.json5`)
  const daemonSecurity = o.ssl ? { plugin: 'ssl', ca: o.ssl.client.ca } : { plugin: 'psk', psk: 'bench-psk' }
  writeFileSync(file, JSON.stringify({ collectives: [collective], security: daemonSecurity, authorization: { default: 'allow' }, broker: { urls: [o.url] }, logLevel: 'error', daemon: { maxConcurrentActions: 64 } }))
  const fleet = startChild([mcshd, '--config', file, '--simulate', String(o.nodes), '--connections', String(o.connections), ...(o.ssl ? ['--simulate-ca', o.ssl.caDir] : [])])
  const client = new RpcClient({ config, logger: silentLogger })
  await client.connect()
  try {
    const deadline = Date.now() + 60_000
    for (;;) {
      const d = await client.discover({ timeoutMs: 3000, windowMs: 300 })
      if (d.nodes.length >= o.nodes) break
      if (Date.now() > deadline) throw new Error(`only ${d.nodes.length} of ${o.nodes} simulated nodes answered within 60 s`)
      await new Promise((r) => setTimeout(r, 300))
    }
    const discovery: number[] = []
    const gaps: number[] = []
    const rpcs: number[] = []
    const cpu: number[] = []
    for (let round = -2; round < o.rounds; round++) {
      const started = performance.now()
      let lastReplyMs = 0
      const d = await client.discover({ onNode: () => (lastReplyMs = performance.now() - started) })
      if (d.nodes.length !== o.nodes) throw new Error(`discovery found ${d.nodes.length} of ${o.nodes} nodes`)
      const before = process.cpuUsage()
      const r = await client.call({ agent: 'rpcutil', action: 'ping', nodes: d.nodes, addressing: 'broadcast', timeoutMs: 20_000 })
      const used = process.cpuUsage(before)
      if (r.stats.ok !== o.nodes) throw new Error(`ping: ${r.stats.ok} ok of ${o.nodes} (${r.stats.no_response} no response)`)
      if (round < 0) continue
      discovery.push(d.stats.discovery_ms)
      gaps.push(d.stats.discovery_ms - lastReplyMs)
      rpcs.push(r.stats.call_ms)
      cpu.push((used.user + used.system) / o.nodes)
    }
    const rpcMs = median(rpcs)
    return {
      broker: o.broker,
      security: o.ssl ? 'ssl' : 'psk',
      nodes: o.nodes,
      connections: o.connections,
      discovery_ms: round1(median(discovery)),
      discovery_after_last_reply_ms: round1(median(gaps)),
      rpc_all_replies_ms: round1(rpcMs),
      replies_per_s: Math.round(o.nodes / (rpcMs / 1000)),
      client_cpu_us_per_reply: round1(median(cpu)),
      fleet_rss_mb: rssMb(fleet.pid) ?? 0,
      broker_rss_mb: rssMb(o.brokerPid),
      rounds: o.rounds,
    }
  } finally {
    await client.close()
    await stopChild(fleet)
  }
}

function printTable(rows: Row[]): void {
  const head = ['broker', 'security', 'nodes', 'conns', 'discovery', 'after last', 'ping all', 'replies/s', 'cpu/reply', 'fleet RSS', 'broker RSS']
  const body = rows.map((r) => [
    r.broker,
    r.security,
    String(r.nodes),
    String(r.connections),
    `${r.discovery_ms} ms`,
    `${r.discovery_after_last_reply_ms} ms`,
    `${r.rpc_all_replies_ms} ms`,
    String(r.replies_per_s),
    `${r.client_cpu_us_per_reply} µs`,
    `${r.fleet_rss_mb} MB`,
    r.broker_rss_mb === null ? '-' : `${r.broker_rss_mb} MB`,
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] as number)).join('  ')
  console.log(line(head))
  for (const b of body) console.log(line(b))
}

async function main(): Promise<void> {
  const sizes = (process.env.MCSH_BENCH_NODES ?? '100,1000').split(',').map(Number)
  const rounds = Number(process.env.MCSH_BENCH_ROUNDS ?? 5)
  const dir = mkdtempSync(join(tmpdir(), 'mcsh-bench-'))
  const rows: Row[] = []
  const notes: string[] = []
  try {
    let port = 62613
    while (await portAnswers(port)) port++
    const broker = startChild([mcsh, 'broker', '--listen', `127.0.0.1:${port}`, '--log-level', 'error'])
    const until = Date.now() + 10_000
    while (!(await portAnswers(port))) {
      if (Date.now() > until) throw new Error('the embedded broker did not start')
      await new Promise((r) => setTimeout(r, 50))
    }
    const ssl = benchPki(dir)
    for (const nodes of sizes) {
      rows.push(await measure({ broker: 'embedded', url: `stomp://127.0.0.1:${port}`, ...(broker.pid ? { brokerPid: broker.pid } : {}), nodes, connections: 8, rounds, dir }))
    }
    const largest = Math.max(...sizes)
    rows.push(await measure({ broker: 'embedded', url: `stomp://127.0.0.1:${port}`, ...(broker.pid ? { brokerPid: broker.pid } : {}), nodes: largest, connections: 8, rounds, dir, ssl }))
    await stopChild(broker)
    if (await rabbitAnswers()) {
      for (const nodes of sizes) rows.push(await measure({ broker: 'rabbitmq', url: 'stomp://guest:guest@127.0.0.1:61613', nodes, connections: 8, rounds, dir }))
    } else notes.push('RabbitMQ: skipped, nothing answers STOMP on 127.0.0.1:61613 (rabbitmq-plugins enable rabbitmq_stomp)')
    console.log(`\nmcsh benchmark — median of ${rounds} rounds after 2 warm-up rounds; ping = until every reply arrived (one broadcast)\n`)
    printTable(rows)
    const psk = rows.find((r) => r.broker === 'embedded' && r.security === 'psk' && r.nodes === largest)
    const sslRow = rows.find((r) => r.security === 'ssl')
    if (psk && sslRow) console.log(`\nssl against psk at ${largest} nodes, ping until all replies: ${(sslRow.rpc_all_replies_ms / psk.rpc_all_replies_ms).toFixed(2)}× (target under 1.5×)`)
    const crypto = runCryptoBench()
    console.log('\nsigning and verifying one message (≈0.5 KB):')
    for (const c of crypto) console.log(`  ${c.library.padEnd(12)} ${c.key.padEnd(17)} sign ${String(c.sign_us).padStart(7)} µs (${c.sign_per_s}/s)   verify ${String(c.verify_us).padStart(6)} µs (${c.verify_per_s}/s)`)
    const shell = await runShellBench({ dir })
    console.log('\n' + shell.lines.join('\n'))
    for (const n of notes) console.log(`\n${n}`)
    mkdirSync(join(root, 'bench', 'results'), { recursive: true })
    const out = join(root, 'bench', 'results', 'latest.json')
    writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds, rows, crypto, shell: shell.data, notes }, null, 2))
    console.log(`\nwritten to ${out}`)
  } finally {
    stopping = true
    await Promise.all(children.map(stopChild))
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch(async (e) => {
  stopping = true
  console.error(`bench failed: ${e instanceof Error ? e.message : String(e)}`)
  await Promise.all(children.map(stopChild))
  process.exit(1)
})
