import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AuditLog, redactInputs } from '../../../src/daemon/audit.js'
import type { AuditRecord } from '../../../src/daemon/audit.js'
import type { Logger } from '../../../src/util/logger.js'

function memoryLogger(lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }>): Logger {
  const logger: Logger = {
    debug: (msg, fields) => lines.push({ level: 'debug', msg, fields }),
    info: (msg, fields) => lines.push({ level: 'info', msg, fields }),
    warn: (msg, fields) => lines.push({ level: 'warn', msg, fields }),
    error: (msg, fields) => lines.push({ level: 'error', msg, fields }),
    child: () => logger,
  }
  return logger
}

function record(n: number, extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    time: new Date(1_700_000_000_000 + n).toISOString(),
    requestid: `req-${n}`,
    caller: 'cert=alice',
    sender: 'client.example.com',
    node: 'web1.example.com',
    collective: 'mcollective',
    agent: 'service',
    action: 'restart',
    inputs: { service: 'nginx' },
    filter: { fact: [], class: ['role::web'], identity: [], agent: [], compound: [] },
    outcome: 'ok',
    statuscode: 0,
    statusmsg: 'OK',
    verified: true,
    ...extra,
  }
}

function readLines(file: string): AuditRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AuditRecord)
}

let dir: string
let logs: Array<{ level: string; msg: string; fields?: Record<string, unknown> }>

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mcsh-audit-'))
  logs = []
})

afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('AuditLog', () => {
  it('writes one JSON record a line, immediately', () => {
    const file = join(dir, 'audit.log')
    const log = new AuditLog({ file, logger: memoryLogger(logs) })
    log.write(record(1))
    // Synchronous: on disk before close.
    expect(readLines(file)).toEqual([record(1)])
    log.write(record(2, { outcome: 'denied', statuscode: 4, statusmsg: 'denied by x line 1', inputs: { note: 'two\nlines' } }))
    log.close()
    const lines = readLines(file)
    expect(lines).toHaveLength(2)
    expect(lines[1]).toMatchObject({ requestid: 'req-2', outcome: 'denied', inputs: { note: 'two\nlines' } })
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(3)
    expect(logs).toEqual([])
  })

  it('creates the file with mode 0600', () => {
    const file = join(dir, 'audit.log')
    const log = new AuditLog({ file })
    log.write(record(1))
    log.close()
    expect(statSync(file).mode & 0o777).toBe(0o600)
  })

  it('appends to an existing file and counts its size', () => {
    const file = join(dir, 'audit.log')
    writeFileSync(file, JSON.stringify(record(0)) + '\n', { mode: 0o600 })
    const size = statSync(file).size
    const log = new AuditLog({ file, maxBytes: size + 10 })
    log.write(record(1))
    log.close()
    expect(readLines(file)).toEqual([record(1)])
    expect(readLines(`${file}.1`)).toEqual([record(0)])
  })

  it('rotates with a tiny maxBytes, keeping only file.1 … file.keep', () => {
    const file = join(dir, 'audit.log')
    const lineBytes = Buffer.byteLength(JSON.stringify(record(10)) + '\n')
    const log = new AuditLog({ file, maxBytes: lineBytes * 2, keep: 2 })
    for (let n = 10; n < 20; n++) log.write(record(n))
    log.close()
    expect(readdirSync(dir).sort()).toEqual(['audit.log', 'audit.log.1', 'audit.log.2'])
    expect(readLines(file).map((r) => r.requestid)).toEqual(['req-18', 'req-19'])
    expect(readLines(`${file}.1`).map((r) => r.requestid)).toEqual(['req-16', 'req-17'])
    expect(readLines(`${file}.2`).map((r) => r.requestid)).toEqual(['req-14', 'req-15'])
    for (const name of readdirSync(dir)) expect(statSync(join(dir, name)).mode & 0o777).toBe(0o600)
  })

  it('writes a record bigger than maxBytes rather than losing it', () => {
    const file = join(dir, 'audit.log')
    const log = new AuditLog({ file, maxBytes: 10, keep: 1 })
    log.write(record(1))
    log.write(record(2))
    log.close()
    expect(readLines(file).map((r) => r.requestid)).toEqual(['req-2'])
    expect(readLines(`${file}.1`).map((r) => r.requestid)).toEqual(['req-1'])
  })

  it('with keep 0 starts the file afresh', () => {
    const file = join(dir, 'audit.log')
    const log = new AuditLog({ file, maxBytes: 10, keep: 0 })
    log.write(record(1))
    log.write(record(2))
    log.close()
    expect(readdirSync(dir)).toEqual(['audit.log'])
    expect(readLines(file).map((r) => r.requestid)).toEqual(['req-2'])
  })

  it('keeps every line whole when writes interleave with async work', async () => {
    const file = join(dir, 'audit.log')
    const log = new AuditLog({ file, maxBytes: 64 * 1024, keep: 50 })
    const big = 'x'.repeat(900)
    await Promise.all(
      Array.from({ length: 400 }, async (_, n) => {
        await new Promise((r) => setImmediate(r))
        log.write(record(n, { statusmsg: big }))
        await Promise.resolve()
        log.write(record(n + 1000, { statusmsg: big }))
      }),
    )
    log.close()
    const ids = new Set<string>()
    for (const name of readdirSync(dir)) {
      const text = readFileSync(join(dir, name), 'utf8')
      expect(text.endsWith('\n')).toBe(true)
      for (const r of readLines(join(dir, name))) ids.add(r.requestid)
    }
    expect(ids.size).toBe(800)
  })

  it('logs an unwritable path instead of throwing, at most once a minute', () => {
    let nowMs = 0
    const file = join(dir, 'missing-dir', 'audit.log')
    const log = new AuditLog({ file, logger: memoryLogger(logs), clock: { nowMs: () => nowMs } })
    expect(() => log.write(record(1))).not.toThrow()
    log.write(record(2))
    nowMs += 59_999
    log.write(record(3))
    const errors = logs.filter((l) => l.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]?.msg).toContain(`cannot write the audit log ${file}`)
    expect(errors[0]?.msg).toContain('ENOENT')
    expect(errors[0]?.fields).toEqual({ lostRecords: 1 })
    nowMs += 1
    log.write(record(4))
    expect(logs.filter((l) => l.level === 'error')).toHaveLength(2)
    expect(logs[1]?.fields).toEqual({ lostRecords: 3 })
    expect(() => log.close()).not.toThrow()
  })

  it('recovers once the path becomes writable', () => {
    const sub = join(dir, 'later')
    const file = join(sub, 'audit.log')
    const log = new AuditLog({ file, logger: memoryLogger(logs) })
    log.write(record(1))
    expect(existsSync(file)).toBe(false)
    mkdirSync(sub)
    log.write(record(2))
    log.close()
    expect(readLines(file).map((r) => r.requestid)).toEqual(['req-2'])
  })

  it('keeps a record whose inputs cannot be serialized', () => {
    const file = join(dir, 'audit.log')
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    const log = new AuditLog({ file, logger: memoryLogger(logs) })
    log.write(record(1, { inputs: cyclic }))
    log.close()
    const [r] = readLines(file)
    expect(r?.requestid).toBe('req-1')
    expect(String(r?.inputs)).toMatch(/^<unserializable: /)
  })
})

describe('redactInputs', () => {
  const ddl = { inputs: { service: {}, password: { secret: false }, pin: { secret: true } } }

  it('redacts the inputs the DDL marks secret, and only those among declared inputs', () => {
    expect(redactInputs({ service: 'nginx', pin: '1234', password: 'shown-because-ddl-says-not-secret' }, ddl)).toEqual({
      service: 'nginx',
      pin: '<redacted>',
      password: 'shown-because-ddl-says-not-secret',
    })
  })

  it('redacts secret-looking names when there is no DDL, or the DDL does not declare them', () => {
    expect(redactInputs({ Password: 'a', passwd: 'b', client_secret: 'c', api_token: 'd', ssh_key: 'e', name: 'f' }, undefined)).toEqual({
      Password: '<redacted>',
      passwd: '<redacted>',
      client_secret: '<redacted>',
      api_token: '<redacted>',
      ssh_key: '<redacted>',
      name: 'f',
    })
    expect(redactInputs({ token: 'x', service: 'y' }, ddl)).toEqual({ token: '<redacted>', service: 'y' })
  })

  it('redacts secret-looking keys nested in hash and array values', () => {
    expect(redactInputs({ options: { user: 'u', password: 'p', list: [{ token: 't', v: 1 }] } }, undefined)).toEqual({
      options: { user: 'u', password: '<redacted>', list: [{ token: '<redacted>', v: 1 }] },
    })
  })

  it('truncates long strings to 1,000 characters, noting the length', () => {
    const out = redactInputs({ body: 'a'.repeat(5000), short: 'b'.repeat(1000), n: 5, flag: true, none: null }, undefined)
    expect(out.body).toBe(`${'a'.repeat(1000)}…(5000 chars)`)
    expect(out.short).toBe('b'.repeat(1000))
    expect(out).toMatchObject({ n: 5, flag: true, none: null })
  })

  it('does not treat inherited names as declared, and keeps __proto__ as data', () => {
    const inputs = JSON.parse('{"constructor": "c", "__proto__": {"token": "t"}}') as Record<string, unknown>
    const out = redactInputs(inputs, { inputs: {} })
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype)
    expect(Object.hasOwn(out, '__proto__')).toBe(true)
    expect(JSON.stringify(out)).toBe('{"constructor":"c","__proto__":{"token":"<redacted>"}}')
  })

  it('does not modify its argument', () => {
    const inputs = { password: 'p', nested: { token: 't' } }
    redactInputs(inputs, undefined)
    expect(inputs).toEqual({ password: 'p', nested: { token: 't' } })
  })
})
