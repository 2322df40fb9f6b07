import { chmodSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Authorizer } from '../../../src/authz/index.js'
import type { AuthorizerOptions } from '../../../src/authz/index.js'
import type { NodeInventory } from '../../../src/filter/index.js'
import type { Logger } from '../../../src/util/logger.js'

interface LogLine {
  level: string
  msg: string
  fields?: Record<string, unknown>
}

function memoryLogger(lines: LogLine[]): Logger {
  const logger: Logger = {
    debug: (msg, fields) => lines.push({ level: 'debug', msg, fields }),
    info: (msg, fields) => lines.push({ level: 'info', msg, fields }),
    warn: (msg, fields) => lines.push({ level: 'warn', msg, fields }),
    error: (msg, fields) => lines.push({ level: 'error', msg, fields }),
    child: () => logger,
  }
  return logger
}

const web: NodeInventory = { identity: 'web1', facts: { 'os.family': 'debian', role: 'web' }, classes: new Set(['role::web']), agents: new Set(['service']) }
const call = (callerId: string, action: string) => ({ callerId, action })

let dir: string
let nowMs: number
let logs: LogLine[]

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mcsh-authz-'))
  nowMs = 1_000_000
  logs = []
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

function authorizer(o: Partial<AuthorizerOptions> = {}): Authorizer {
  return new Authorizer({ policyDir: dir, defaultEffect: 'deny', logger: memoryLogger(logs), clock: { nowMs: () => nowMs }, reloadCheckMs: 1000, ...o })
}

/** Writes a policy and moves its mtime so that a rewrite within the same millisecond is still seen. */
let mtimeS = 1_700_000_000
function writePolicy(agent: string, text: string): string {
  const file = join(dir, `${agent}.policy`)
  writeFileSync(file, text)
  mtimeS += 10
  utimesSync(file, mtimeS, mtimeS)
  return file
}

describe('Authorizer: defaults', () => {
  it('applies the global default to agents without a policy', () => {
    expect(authorizer().authorize('service', call('cert=a', 'status'), web)).toEqual({
      allowed: false,
      reason: "denied: no policy for agent 'service' and the global default is deny",
    })
    expect(authorizer({ defaultEffect: 'allow' }).authorize('service', call('cert=a', 'status'), web).allowed).toBe(true)
  })

  it('allows builtinAllow agents without a policy, but their policy wins when there is one', () => {
    const a = authorizer()
    expect(a.authorize('rpcutil', call('cert=a', 'ping'), web)).toEqual({
      allowed: true,
      reason: "allowed: no policy for agent 'rpcutil', which is allowed without one (builtinAllow)",
    })
    expect(authorizer({ builtinAllow: [] }).authorize('rpcutil', call('cert=a', 'ping'), web).allowed).toBe(false)
    expect(authorizer({ builtinAllow: ['service'] }).authorize('service', call('cert=a', 'status'), web).allowed).toBe(true)

    writePolicy('rpcutil', 'policy default deny\nallow\tcert=admin\t*\t*\t*')
    const b = authorizer()
    expect(b.authorize('rpcutil', call('cert=a', 'ping'), web)).toMatchObject({ allowed: false, reason: 'denied by the default of rpcutil.policy (policy default deny)' })
    expect(b.authorize('rpcutil', call('cert=admin', 'ping'), web).allowed).toBe(true)
  })

  it('uses the file default before the global default', () => {
    writePolicy('service', 'policy default allow\ndeny\t*\trestart\t*\t*')
    const a = authorizer({ defaultEffect: 'deny' })
    expect(a.authorize('service', call('cert=a', 'status'), web).reason).toBe('allowed by the default of service.policy (policy default allow)')
    expect(a.authorize('service', call('cert=a', 'restart'), web).reason).toBe(`denied by ${join(dir, 'service.policy')} line 2: deny * restart * *`)
  })

  it('denies agent names that could escape the policy directory', () => {
    writeFileSync(join(dir, 'secret.policy'), 'policy default allow')
    mkdirSync(join(dir, 'sub'))
    const a = authorizer({ defaultEffect: 'allow' })
    for (const agent of ['../secret', 'sub/x', '', 'a.b']) {
      const d = a.authorize(agent, call('cert=a', 'x'), web)
      expect(d.allowed).toBe(false)
      expect(d.reason).toContain('is not a valid agent name')
    }
  })

  it('never throws: a failure denies with the error in the reason', () => {
    const a = new Authorizer({
      policyDir: dir,
      defaultEffect: 'allow',
      clock: {
        nowMs: () => {
          throw new Error('clock exploded')
        },
      },
    })
    expect(a.authorize('service', call('cert=a', 'status'), web)).toEqual({ allowed: false, reason: 'denied: authorization failed: clock exploded' })
  })
})

describe('Authorizer: hot reload', () => {
  it('applies a changed file once reloadCheckMs has passed', () => {
    writePolicy('service', 'policy default deny\nallow\tcert=alice\t*\t*\t*')
    const a = authorizer()
    expect(a.authorize('service', call('cert=bob', 'status'), web).allowed).toBe(false)

    writePolicy('service', 'policy default deny\nallow\tcert=bob\t*\t*\t*')
    nowMs += 999
    expect(a.authorize('service', call('cert=bob', 'status'), web).allowed).toBe(false)
    nowMs += 1
    expect(a.authorize('service', call('cert=bob', 'status'), web)).toMatchObject({ allowed: true, reason: expect.stringContaining('line 2: allow cert=bob * * *') })
    expect(a.authorize('service', call('cert=alice', 'status'), web).allowed).toBe(false)
    expect(logs.filter((l) => l.level === 'info' && l.msg.startsWith('loaded policy'))).toHaveLength(2)
  })

  it('keeps the last good policy when the file breaks, and logs the precise error once', () => {
    const file = writePolicy('service', 'allow\tcert=alice\t*\t*\t*')
    const a = authorizer()
    expect(a.authorize('service', call('cert=alice', 'status'), web).allowed).toBe(true)

    writePolicy('service', 'allow\tcert=alice\t*\t*\t*\nalow\tcert=mallory\t*\t*\t*')
    nowMs += 1000
    expect(a.authorize('service', call('cert=alice', 'status'), web).allowed).toBe(true)
    expect(a.authorize('service', call('cert=mallory', 'status'), web).allowed).toBe(false)
    nowMs += 5000
    a.authorize('service', call('cert=alice', 'status'), web)

    const errors = logs.filter((l) => l.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]?.msg).toBe(`policy not loaded: ${file} line 2, column 1: expected allow or deny but found 'alow'; keeping the last good policy (1 rules)`)
    expect(a.status()).toEqual([{ agent: 'service', file, rules: 1, error: `${file} line 2, column 1: expected allow or deny but found 'alow'` }])

    // Fixed again: the new version applies and the error clears.
    writePolicy('service', 'allow\tcert=mallory\t*\t*\t*')
    nowMs += 1000
    expect(a.authorize('service', call('cert=mallory', 'status'), web).allowed).toBe(true)
    expect(a.status()).toEqual([{ agent: 'service', file, rules: 1 }])
  })

  it('denies an agent whose policy never parsed, saying the file is broken', () => {
    const file = writePolicy('service', 'allow * * * *')
    const a = authorizer({ defaultEffect: 'allow', builtinAllow: ['service'] })
    const d = a.authorize('service', call('cert=a', 'status'), web)
    expect(d.allowed).toBe(false)
    expect(d.reason).toBe(
      `denied: the policy file ${file} is broken and no earlier version of it loaded: ${file} line 1, column 6: expected a TAB (or two or more spaces) after 'allow': fields are separated by TABs or runs of 2+ spaces`,
    )
    expect(logs.filter((l) => l.level === 'error')[0]?.msg).toContain("requests to agent 'service' are denied until it is fixed")
  })

  it('falls back to the defaults when the file is deleted', () => {
    const file = writePolicy('service', 'policy default allow')
    const a = authorizer({ defaultEffect: 'deny' })
    expect(a.authorize('service', call('cert=a', 'status'), web).allowed).toBe(true)
    rmSync(file)
    nowMs += 1000
    expect(a.authorize('service', call('cert=a', 'status'), web).reason).toBe("denied: no policy for agent 'service' and the global default is deny")
    expect(logs.some((l) => l.level === 'info' && l.msg.includes('removed'))).toBe(true)
    expect(a.status()).toEqual([])

    // And picks up a file that appears later.
    writePolicy('service', 'policy default allow')
    nowMs += 1000
    expect(a.authorize('service', call('cert=a', 'status'), web).allowed).toBe(true)
  })

  it('does not stat the file more often than reloadCheckMs', () => {
    writePolicy('service', 'policy default allow')
    const a = authorizer({ reloadCheckMs: 60_000 })
    expect(a.authorize('service', call('cert=a', 'status'), web).allowed).toBe(true)
    rmSync(join(dir, 'service.policy'))
    nowMs += 59_999
    expect(a.authorize('service', call('cert=a', 'status'), web).allowed).toBe(true)
    nowMs += 1
    expect(a.authorize('service', call('cert=a', 'status'), web).allowed).toBe(false)
  })
})

describe('Authorizer: status', () => {
  it('lists every policy file with its rule count or error', () => {
    writePolicy('service', 'policy default deny\nallow\tcert=a\t*\t*\t*\nallow\tcert=b\t*\t*\t*')
    writePolicy('package', 'deny\t*')
    writeFileSync(join(dir, 'Bad.Name.policy'), '')
    writeFileSync(join(dir, 'README'), 'not a policy')
    const a = authorizer()
    const status = a.status()
    expect(status.map((s) => s.agent)).toEqual(['Bad.Name', 'package', 'service'])
    expect(status[0]).toMatchObject({ rules: 0, error: "ignored: 'Bad.Name' is not a valid agent name" })
    expect(status[1]).toMatchObject({ agent: 'package', rules: 0, error: expect.stringContaining("line 1, column 7: expected the ACTIONS field after '*'") })
    expect(status[2]).toEqual({ agent: 'service', file: join(dir, 'service.policy'), rules: 2 })
  })

  it('returns nothing for a missing directory', () => {
    expect(authorizer({ policyDir: join(dir, 'nope') }).status()).toEqual([])
  })

  it('warns about a world-writable policy file', () => {
    const file = writePolicy('service', 'policy default deny')
    chmodSync(file, 0o666)
    authorizer().status()
    expect(logs.some((l) => l.level === 'warn' && l.msg.includes('writable by every user'))).toBe(true)
  })
})

describe('Authorizer: performance', () => {
  it('answers 1,000 requests on a loaded policy quickly', () => {
    const rules = ['policy default deny']
    for (let k = 0; k < 50; k++) rules.push(`allow\tcert=user${k} cert=ops${k}-*\tstatus restart\tos.family=debian and (role=web or role=db)\trole::web`)
    rules.push('allow\tcert=alice\t*\tos.family=debian\t*')
    writePolicy('service', rules.join('\n'))
    const a = authorizer()
    const nodes: NodeInventory[] = []
    for (let k = 0; k < 1000; k++) {
      nodes.push({ identity: `n${k}`, facts: { 'os.family': k % 2 ? 'debian' : 'redhat', role: 'web' }, classes: new Set(['role::web']), agents: new Set(['service']) })
    }
    const started = performance.now()
    let allowed = 0
    for (const n of nodes) if (a.authorize('service', call('cert=alice', 'status'), n).allowed) allowed++
    const elapsedMs = performance.now() - started
    expect(allowed).toBe(500)
    expect(elapsedMs).toBeLessThan(2000)
  })
})

describe('agents that need their own policy (shell)', () => {
  it('denies shell without shell.policy even when everything else is allowed, and obeys the file when there is one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcsh-shell-policy-'))
    try {
      const node: NodeInventory = { identity: 'n1', facts: { role: 'web' }, classes: new Set<string>(), agents: new Set(['shell']) }
      const a = new Authorizer({ policyDir: dir, defaultEffect: 'allow', reloadCheckMs: 0 })
      const denied = a.authorize('shell', { callerId: 'cert=alice', action: 'run' }, node)
      expect(denied.allowed).toBe(false)
      expect(denied.reason).toMatch(/the shell agent runs only where a policy allows it, and there is no .*shell\.policy/)
      expect(a.authorize('other', { callerId: 'cert=alice', action: 'run' }, node).allowed).toBe(true)
      writeFileSync(join(dir, 'shell.policy'), 'allow\tcert=alice\trun\trole=web\t*\n')
      expect(a.authorize('shell', { callerId: 'cert=alice', action: 'run' }, node).allowed).toBe(true)
      expect(a.authorize('shell', { callerId: 'cert=bob', action: 'run' }, node).allowed).toBe(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
