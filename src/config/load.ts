import { readFile } from 'node:fs/promises'
import JSON5 from 'json5'
import { McshError, errorMessage } from '../util/errors.js'
import { isLogLevel } from '../util/logger.js'
import { defaultConfig } from './defaults.js'
import { parseBrokerPool } from './broker-url.js'
import type { Config } from './types.js'

type Kind = 'string' | 'number' | 'boolean' | 'string[]' | 'string|null' | 'record' | 'commands' | 'pool' | Spec
interface Spec {
  [key: string]: Kind
}

/** Every key a config file may hold; anything else is refused with a suggestion. */
const spec: Spec = {
  identity: 'string',
  collectives: 'string[]',
  broker: {
    urls: 'pool',
    heartbeatMs: 'number',
    connectTimeoutMs: 'number',
    maxReconnectDelayMs: 'number',
    simulatorConnections: 'number',
    tls: { ca: 'string', cert: 'string', key: 'string', rejectUnauthorized: 'boolean' },
  },
  security: { plugin: 'string', psk: 'string', callerId: 'string', ca: 'string', cert: 'string', key: 'string', insecure: 'boolean' },
  serializer: 'string',
  ttlSeconds: 'number',
  maxClockSkewSeconds: 'number',
  maxMessageBytes: 'number',
  facts: { system: 'boolean', files: 'string[]', commands: 'commands', static: 'record', refreshIntervalSeconds: 'number' },
  classesFile: 'string|null',
  agentDirs: 'string[]',
  logLevel: 'string',
  logFile: 'string|null',
  daemon: { maxConcurrentActions: 'number', maxQueuedActions: 'number' },
  authorization: { enabled: 'boolean', policyDir: 'string', default: 'string' },
  audit: { file: 'string|null', maxBytes: 'number', keep: 'number' },
  client: { discoveryTimeoutMs: 'number', discoveryWindowMs: 'number', replyGraceMs: 'number' },
}

export interface LoadConfigOptions {
  /** A JSON5 file; missing file is an error when given explicitly. */
  file?: string
  env?: NodeJS.ProcessEnv
  /** Applied last (CLI flags). */
  overrides?: (c: Config) => void
}

export async function loadConfig(options: LoadConfigOptions = {}): Promise<Readonly<Config>> {
  const config = defaultConfig()
  if (options.file !== undefined) {
    let text: string
    try {
      text = await readFile(options.file, 'utf8')
    } catch (e) {
      throw new McshError('MCSH_CONFIG_NOT_FOUND', `cannot read config file ${options.file}: ${errorMessage(e)}`, { cause: e })
    }
    applyConfigText(config, text, options.file)
  }
  applyEnv(config, options.env ?? process.env)
  options.overrides?.(config)
  return finishConfig(config)
}

export function applyConfigText(config: Config, text: string, origin: string): void {
  let parsed: unknown
  try {
    parsed = JSON5.parse(text)
  } catch (e) {
    throw new McshError('MCSH_CONFIG_INVALID', `${origin}: not valid JSON5: ${errorMessage(e)}`, { cause: e })
  }
  if (!isPlainObject(parsed)) throw new McshError('MCSH_CONFIG_INVALID', `${origin}: expected an object at the top level`)
  merge(config as unknown as Record<string, unknown>, parsed, spec, origin, '')
}

function merge(target: Record<string, unknown>, source: Record<string, unknown>, s: Spec, origin: string, path: string): void {
  for (const [key, value] of Object.entries(source)) {
    const where = path ? `${path}.${key}` : key
    const kind = s[key]
    if (kind === undefined) {
      const hint = closest(key, Object.keys(s))
      throw new McshError(
        'MCSH_CONFIG_INVALID',
        `${origin}: unknown key '${where}'${hint ? ` (did you mean '${path ? path + '.' : ''}${hint}'?)` : ''}; see docs/configuration.md`,
      )
    }
    const bad = (expected: string) =>
      new McshError('MCSH_CONFIG_INVALID', `${origin}: '${where}' must be ${expected} but is ${JSON.stringify(value)}`)
    if (typeof kind === 'object') {
      if (!isPlainObject(value)) throw bad('an object')
      const sub = (target[key] ?? {}) as Record<string, unknown>
      target[key] = sub
      merge(sub, value, kind, origin, where)
      continue
    }
    switch (kind) {
      case 'string':
        if (typeof value !== 'string') throw bad('a string')
        break
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw bad('a non-negative number')
        break
      case 'boolean':
        if (typeof value !== 'boolean') throw bad('true or false')
        break
      case 'string|null':
        if (value !== null && typeof value !== 'string') throw bad('a string or null')
        break
      case 'string[]':
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw bad('a list of strings')
        break
      case 'pool':
        if (typeof value === 'string') {
          target[key] = splitPool(value)
          continue
        }
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw bad('a URL, a comma-separated list of URLs or a list of URLs')
        break
      case 'record':
        if (!isPlainObject(value) || !Object.values(value).every((v) => ['string', 'number', 'boolean'].includes(typeof v)))
          throw bad('an object of string, number or boolean values')
        break
      case 'commands':
        if (!Array.isArray(value)) throw bad('a list of { command, args, timeoutMs }')
        target[key] = value.map((c, i) => {
          if (typeof c === 'string') return { command: c, args: [], timeoutMs: 10_000 }
          if (!isPlainObject(c) || typeof c.command !== 'string')
            throw new McshError('MCSH_CONFIG_INVALID', `${origin}: '${where}[${i}]' needs a 'command' string, e.g. { command: 'facter', args: ['--json'] }`)
          const args = c.args ?? []
          if (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))
            throw new McshError('MCSH_CONFIG_INVALID', `${origin}: '${where}[${i}].args' must be a list of strings`)
          const timeoutMs = c.timeoutMs ?? 10_000
          if (typeof timeoutMs !== 'number' || timeoutMs <= 0)
            throw new McshError('MCSH_CONFIG_INVALID', `${origin}: '${where}[${i}].timeoutMs' must be a positive number`)
          return { command: c.command, args, timeoutMs }
        })
        continue
    }
    target[key] = value
  }
}

/** Environment overrides, applied after the file; names are documented in docs/configuration.md. */
export function applyEnv(config: Config, env: NodeJS.ProcessEnv): void {
  const s = (name: string) => {
    const v = env[name]
    return v === undefined || v === '' ? undefined : v
  }
  const identity = s('MCSH_IDENTITY')
  if (identity) config.identity = identity
  const collectives = s('MCSH_COLLECTIVES')
  if (collectives) config.collectives = collectives.split(',').map((c) => c.trim()).filter(Boolean)
  const broker = s('MCSH_BROKER')
  if (broker) config.broker.urls = splitPool(broker)
  const plugin = s('MCSH_SECURITY')
  if (plugin) config.security.plugin = plugin
  const psk = s('MCSH_PSK')
  if (psk) config.security.psk = psk
  for (const [name, key] of [['MCSH_SSL_CA', 'ca'], ['MCSH_SSL_CERT', 'cert'], ['MCSH_SSL_KEY', 'key']] as const) {
    const v = s(name)
    if (v) config.security[key] = v
  }
  const caller = s('MCSH_CALLER_ID')
  if (caller) config.security.callerId = caller
  const level = s('MCSH_LOG_LEVEL')
  if (level) {
    if (!isLogLevel(level)) throw new McshError('MCSH_CONFIG_INVALID', `MCSH_LOG_LEVEL must be one of debug, info, warn, error, silent but is '${level}'`)
    config.logLevel = level
  }
  const logFile = s('MCSH_LOG_FILE')
  if (logFile) config.logFile = logFile
  const agentDirs = s('MCSH_AGENT_DIRS')
  if (agentDirs) config.agentDirs = agentDirs.split(':').filter(Boolean)
}

function finishConfig(config: Config): Readonly<Config> {
  if (config.collectives.length === 0) throw new McshError('MCSH_CONFIG_INVALID', "'collectives' must name at least one collective")
  for (const c of config.collectives)
    if (!/^[A-Za-z0-9_-]+$/.test(c)) throw new McshError('MCSH_CONFIG_INVALID', `collective '${c}' may only contain letters, digits, '_' and '-'`)
  if (!/^[\w.@-]+$/.test(config.identity))
    throw new McshError('MCSH_CONFIG_INVALID', `identity '${config.identity}' may only contain letters, digits, '.', '_', '@' and '-'`)
  if (!isLogLevel(config.logLevel)) throw new McshError('MCSH_CONFIG_INVALID', `'logLevel' must be one of debug, info, warn, error, silent`)
  if (config.authorization.default !== 'allow' && config.authorization.default !== 'deny')
    throw new McshError('MCSH_CONFIG_INVALID', `'authorization.default' must be 'allow' or 'deny', not '${config.authorization.default}'`)
  parseBrokerPool(config.broker.urls)
  return deepFreeze(config)
}

function splitPool(text: string): string[] {
  return text.split(',').map((u) => u.trim()).filter(Boolean)
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v)
    Object.freeze(o)
  }
  return o
}

/** The closest name by edit distance, when close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase())
    if (d < bestDistance) {
      bestDistance = d
      best = c
    }
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return row[b.length] as number
}
