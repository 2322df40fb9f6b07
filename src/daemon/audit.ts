import { closeSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import type { Clock } from '../util/clock.js'
import { systemClock } from '../util/clock.js'
import { errorMessage } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import { silentLogger } from '../util/logger.js'

/** One line of the audit log (docs/authorization.md, "Auditing"). */
export interface AuditRecord {
  /** ISO 8601. */
  time: string
  requestid: string
  caller: string
  /** The client's identity. */
  sender: string
  node: string
  collective: string
  agent: string
  action: string
  inputs: Record<string, unknown>
  filter: unknown
  outcome: 'ok' | 'failed' | 'denied' | 'rejected'
  statuscode: number | null
  statusmsg: string
  /** False for rejected messages whose claims (caller, sender, …) are unproven. */
  verified: boolean
}

export interface AuditLogOptions {
  file: string
  /** Rotate before a write would take the file past this size. Default 50 MiB. */
  maxBytes?: number
  /** Rotated files kept (file.1 … file.keep). Default 5. */
  keep?: number
  logger?: Logger
  /** Paces the error reports. Default the system clock. */
  clock?: Clock
}

const ERROR_REPORT_INTERVAL_MS = 60_000

/**
 * An append-only JSON-lines audit log, one record a line. Every write is synchronous, on a file
 * opened for appending with mode 0600, so a record is on disk (in the OS's hands) before the reply
 * leaves and a crash loses nothing already written. I/O errors are logged, at most once a minute,
 * and never thrown: auditing must not take the daemon down.
 */
export class AuditLog {
  private readonly file: string
  private readonly maxBytes: number
  private readonly keep: number
  private readonly logger: Logger
  private readonly clock: Clock
  private fd: number | undefined
  private sizeBytes = 0
  private lastErrorReportMs: number | undefined
  private lostSinceReport = 0

  constructor(o: AuditLogOptions) {
    this.file = o.file
    this.maxBytes = Math.max(1, o.maxBytes ?? 50 * 1024 * 1024)
    this.keep = Math.max(0, Math.floor(o.keep ?? 5))
    this.logger = o.logger ?? silentLogger
    this.clock = o.clock ?? systemClock
  }

  write(record: AuditRecord): void {
    try {
      const line = Buffer.from(serialize(record) + '\n', 'utf8')
      if (this.fd === undefined) this.open()
      if (this.sizeBytes > 0 && this.sizeBytes + line.length > this.maxBytes) {
        try {
          this.rotate()
        } catch (e) {
          // Better a file past its size than a lost record: report, then append to what is there.
          this.failed(e, false)
        }
        if (this.fd === undefined) this.open()
      }
      const fd = this.fd as number
      let done = 0
      while (done < line.length) done += writeSync(fd, line, done, line.length - done)
      this.sizeBytes += line.length
    } catch (e) {
      this.failed(e)
    }
  }

  /** Closes the file; a later write opens it again. */
  close(): void {
    const fd = this.fd
    this.fd = undefined
    if (fd === undefined) return
    try {
      closeSync(fd)
    } catch (e) {
      this.failed(e, false)
    }
  }

  private open(): void {
    const fd = openSync(this.file, 'a', 0o600)
    try {
      this.sizeBytes = fstatSync(fd).size
    } catch (e) {
      closeSync(fd)
      throw e
    }
    this.fd = fd
  }

  /** file → file.1 → file.2 … file.keep; what was file.keep is overwritten, i.e. dropped. */
  private rotate(): void {
    this.close()
    if (this.keep === 0) {
      rmSync(this.file, { force: true })
      return
    }
    for (let k = this.keep - 1; k >= 1; k--) {
      try {
        renameSync(`${this.file}.${k}`, `${this.file}.${k + 1}`)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      }
    }
    renameSync(this.file, `${this.file}.1`)
  }

  private failed(e: unknown, lost = true): void {
    if (lost) this.lostSinceReport++
    // Start afresh on the next write: the file may have been moved, or the disk freed.
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd)
      } catch {
        // Already reporting the first error.
      }
      this.fd = undefined
    }
    const now = this.clock.nowMs()
    if (this.lastErrorReportMs !== undefined && now - this.lastErrorReportMs < ERROR_REPORT_INTERVAL_MS && now >= this.lastErrorReportMs) return
    this.lastErrorReportMs = now
    this.logger.error(`cannot write the audit log ${this.file}: ${errorMessage(e)}`, { lostRecords: this.lostSinceReport })
    this.lostSinceReport = 0
  }
}

function serialize(record: AuditRecord): string {
  try {
    return JSON.stringify(record)
  } catch (e) {
    // Inputs or filter that JSON cannot hold (a cycle, a BigInt): keep the rest of the record.
    return JSON.stringify({ ...record, inputs: `<unserializable: ${errorMessage(e)}>`, filter: typeof record.filter === 'object' ? '<unserializable>' : record.filter })
  }
}

export const REDACTED = '<redacted>'
/** Longer strings are cut to this many characters in the audit log. */
export const MAX_AUDIT_STRING_CHARS = 1000
/** Input names redacted when no DDL declares them (substring, case-insensitive). */
const SECRET_NAME = /password|passwd|secret|token|key/i
const MAX_DEPTH = 16

/**
 * Inputs fit for the audit log: an input the DDL marks `secret` becomes '<redacted>'; an input the
 * DDL does not declare (or every input when there is no DDL), and any key nested inside a value, is
 * redacted when its name contains password, passwd, secret, token or key; strings longer than
 * 1,000 characters are cut, with their length noted.
 */
export function redactInputs(inputs: Record<string, unknown>, action: { inputs: Record<string, { secret?: boolean }> } | undefined): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(inputs).map(([name, value]) => {
      const declared = action !== undefined && Object.hasOwn(action.inputs, name) ? action.inputs[name] : undefined
      if (declared?.secret === true) return [name, REDACTED]
      if (declared === undefined && SECRET_NAME.test(name)) return [name, REDACTED]
      return [name, clean(value, 0)]
    }),
  )
}

function clean(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return truncate(value)
  if (value === null || typeof value !== 'object') return value
  if (depth >= MAX_DEPTH) return '<too deeply nested>'
  if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1))
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_NAME.test(k) ? REDACTED : clean(v, depth + 1)]))
}

function truncate(s: string): string {
  if (s.length <= MAX_AUDIT_STRING_CHARS) return s
  let end = MAX_AUDIT_STRING_CHARS
  const last = s.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end-- // do not split a surrogate pair
  return `${s.slice(0, end)}…(${s.length} chars)`
}
