import { appendFileSync } from 'node:fs'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  child(fields: Record<string, unknown>): Logger
}

export function isLogLevel(s: string): s is LogLevel {
  return s in rank
}

export interface LoggerOptions {
  level?: LogLevel
  /** Append to this file instead of stderr. Written synchronously so nothing is lost on a crash. */
  file?: string
  /** One JSON object a line instead of `time level msg key=value`. */
  json?: boolean
  write?: (line: string) => void
}

export function createLogger(options: LoggerOptions = {}, base: Record<string, unknown> = {}): Logger {
  const threshold = rank[options.level ?? 'info']
  const write =
    options.write ??
    (options.file !== undefined
      ? (line: string) => appendFileSync(options.file as string, line + '\n')
      : (line: string) => {
          try {
            process.stderr.write(line + '\n')
          } catch {
            // stderr is gone (a closed pipe): logging must never take the process down
          }
        })
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (rank[level] < threshold) return
    const all = { ...base, ...fields }
    if (options.json) {
      write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...all }))
      return
    }
    const kv = Object.entries(all)
      .map(([k, v]) => `${k}=${typeof v === 'string' && !/[\s"]/.test(v) ? v : JSON.stringify(v)}`)
      .join(' ')
    write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}${kv ? ' ' + kv : ''}`)
  }
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  }
}

export const silentLogger: Logger = createLogger({ level: 'silent' })
