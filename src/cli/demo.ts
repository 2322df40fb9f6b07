import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { startBroker } from '../broker/index.js'
import { createCa, issueCertificate, type Credentials } from '../security/pki.js'
import { loadAgents } from '../agents/loader.js'
import { parseOptions } from '../commands/options.js'
import { ExitCode } from '../commands/result.js'
import { loadConfig } from '../config/load.js'
import { startFleet } from '../daemon/simulator.js'
import { createLogger } from '../util/logger.js'
import { errorMessage } from '../util/errors.js'
import { describeError } from '../shell/errors.js'
import { stdioTerminal } from '../shell/terminal.js'
import { globalOptions, runClient } from './mcsh.js'

const demoOptions = [
  ...globalOptions.filter((o) => !['broker', 'config', 'nodes'].includes(o.name)),
  { name: 'nodes-count', short: 'n', kind: 'value' as const, valueName: 'N', help: 'simulated nodes (default 50)' },
  { name: 'seed', kind: 'value' as const, valueName: 'S', help: 'seed of the simulated fleet (default 1)' },
]

/**
 * The embedded broker on an ephemeral loopback port, a simulated fleet and the shell (or -c commands),
 * all in this process, all stopped on the way out.
 */
export async function demoMain(argv: string[]): Promise<number> {
  const out = stdioTerminal()
  let parsed
  try {
    parsed = parseOptions(argv, demoOptions, 'mcsh demo')
  } catch (e) {
    out.err(describeError(e as Error, out.color))
    return ExitCode.Usage
  }
  const o = parsed.options
  if (o.help) {
    out.out('usage: mcsh demo [-n NODES] [--seed S] [-c "COMMANDS"] [client options]\n\nStarts the embedded broker, a simulated fleet and the shell on loopback; everything stops when you exit.')
    return ExitCode.OK
  }
  const count = Number(o['nodes-count'] ?? 50)
  const seed = Number(o.seed ?? 1)
  if (!Number.isInteger(count) || count < 1 || count > 20_000) {
    out.err('error: --nodes-count must be a whole number from 1 to 20000')
    return ExitCode.Usage
  }
  const logger = createLogger({ level: o.verbose ? 'debug' : 'error' })
  const broker = await startBroker({ host: '127.0.0.1', port: 0, logger })
  const pki = throwAwayPki()
  try {
    const config = await loadConfig({
      env: {},
      overrides: (c) => {
        c.broker.urls = [broker.url]
        c.identity = 'demo-client'
        c.logLevel = o.verbose ? 'debug' : 'error'
        c.security = { plugin: 'ssl', ca: pki.files.ca, cert: pki.files.cert, key: pki.files.key }
        c.authorization = { ...c.authorization, default: 'allow' }
        // Your own agents join the demo (the simulated nodes run them): MCSH_AGENT_DIRS=dir1:dir2
        c.agentDirs = (process.env.MCSH_AGENT_DIRS ?? '').split(':').filter(Boolean)
      },
    })
    const agents = await loadAgents({ dirs: config.agentDirs, logger })
    const fleet = await startFleet({ count, seed, config, agents, logger, connections: Math.min(8, count), ca: pki.ca })
    try {
      const banner =
        `mcsh demo: embedded broker ${broker.url}, ${count} simulated nodes (seed ${seed}), every message signed (ssl, caller cert=${pki.user}, throw-away CA).\n` +
        'Try: ping · filter fact os.family=<Tab> · rpc rpcutil get_fact fact=role · facts datacenter · help'
      return await runClient({ config, options: o, positionals: parsed.positionals, banner })
    } finally {
      await fleet.stop()
    }
  } catch (e) {
    out.err(`error: demo failed: ${errorMessage(e)}`)
    return ExitCode.Connection
  } finally {
    await broker.close()
    rmSync(pki.dir, { recursive: true, force: true })
  }
}

/** A CA and a client certificate for this user in a temporary folder, removed when the demo ends. */
function throwAwayPki(): { dir: string; ca: Credentials; user: string; files: { ca: string; cert: string; key: string } } {
  const dir = mkdtempSync(join(tmpdir(), 'mcsh-demo-'))
  const user = (() => {
    try {
      return userInfo().username.replace(/[^\w.@-]/g, '_') || 'operator'
    } catch {
      return 'operator'
    }
  })()
  const ca = createCa({ name: 'mcsh-demo-ca', days: 2, rsaBits: 2048 })
  const client = issueCertificate({ ca, name: user, role: 'client', days: 2 })
  const files = { ca: join(dir, 'ca.pem'), cert: join(dir, `${user}.pem`), key: join(dir, `${user}.key`) }
  writeFileSync(files.ca, ca.certPem)
  writeFileSync(files.cert, client.certPem)
  writeFileSync(files.key, client.keyPem as string, { mode: 0o600 })
  return { dir, ca, user, files }
}
