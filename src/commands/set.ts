import { parseLimit } from '../client/limit.js'
import { closest } from '../config/load.js'
import { McshError } from '../util/errors.js'
import type { TextResult } from './result.js'
import { OUTPUT_FORMATS, type OutputFormat, type Settings } from './session.js'
import type { Command } from './types.js'

interface SettingSpec {
  help: string
  values?: readonly string[]
  show(s: Settings): string
  apply(s: Settings, value: string): void
}

const off = (v: string) => ['off', 'none', 'default', '0'].includes(v)

function seconds(name: string, value: string, min = 0): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n < min) throw usage(`${name} must be a number of seconds of at least ${min}, not '${value}'`)
  return n
}

export const settingSpecs: Record<string, SettingSpec> = {
  timeout: {
    help: "seconds to wait for replies ('default': the DDL's timeout plus the grace)",
    show: (s) => (s.timeoutMs === undefined ? 'default' : `${s.timeoutMs / 1000}`),
    apply: (s, v) => {
      s.timeoutMs = v === 'default' ? undefined : seconds('timeout', v, 0.001) * 1000
    },
  },
  'discovery-timeout': {
    help: 'longest discovery wait in seconds (it ends sooner once replies stop)',
    show: (s) => `${s.discoveryTimeoutMs / 1000}`,
    apply: (s, v) => {
      s.discoveryTimeoutMs = seconds('discovery-timeout', v, 0.001) * 1000
    },
  },
  'discovery-window': {
    help: 'discovery ends this many seconds after the last reply',
    show: (s) => `${s.discoveryWindowMs / 1000}`,
    apply: (s, v) => {
      s.discoveryWindowMs = seconds('discovery-window', v, 0.001) * 1000
    },
  },
  batch: {
    help: "call this many nodes at a time ('off' for all at once)",
    show: (s) => (s.batchSize === undefined ? 'off' : String(s.batchSize)),
    apply: (s, v) => {
      if (off(v)) s.batchSize = undefined
      else {
        const n = Number(v)
        if (!Number.isInteger(n) || n < 1) throw usage(`batch must be a whole number of at least 1 or 'off', not '${v}'`)
        s.batchSize = n
      }
    },
  },
  'batch-sleep': {
    help: 'seconds between batches',
    show: (s) => `${s.batchSleepMs / 1000}`,
    apply: (s, v) => {
      s.batchSleepMs = seconds('batch-sleep', v) * 1000
    },
  },
  limit: {
    help: "call only N nodes or P% of them ('off' for all); 'random' after the number for a sample",
    show: (s) => (s.limit === undefined ? 'off' : `${s.limit.count ?? `${s.limit.percent}%`}${s.limit.method === 'random' ? ' random' : ''}`),
    apply: (s, v) => {
      if (off(v)) s.limit = undefined
      else {
        const [amount, method] = v.split(/\s+/)
        if (method !== undefined && method !== 'random' && method !== 'first') throw usage(`limit method must be 'first' or 'random', not '${method}'`)
        s.limit = parseLimit(amount ?? '', method === 'random' ? 'random' : 'first')
      }
    },
  },
  output: {
    help: "result format: text, json, jsonl, csv or yaml ('default': text on a terminal, JSON otherwise)",
    values: [...OUTPUT_FORMATS, 'default'],
    show: (s) => s.output ?? 'default',
    apply: (s, v) => {
      if (v === 'default') s.output = undefined
      else if ((OUTPUT_FORMATS as readonly string[]).includes(v)) s.output = v as OutputFormat
      else throw usage(`output must be one of ${OUTPUT_FORMATS.join(', ')} or default, not '${v}'`)
    },
  },
  'node-set-max-age': {
    help: 'seconds a discovered node set is trusted before an RPC discovers again',
    show: (s) => `${s.nodeSetMaxAgeMs / 1000}`,
    apply: (s, v) => {
      s.nodeSetMaxAgeMs = seconds('node-set-max-age', v) * 1000
    },
  },
  errexit: {
    help: 'on: a script stops at the first command that fails',
    values: ['on', 'off'],
    show: (s) => (s.errexit ? 'on' : 'off'),
    apply: (s, v) => {
      if (v !== 'on' && v !== 'off') throw usage(`errexit is 'on' or 'off', not '${v}'`)
      s.errexit = v === 'on'
    },
  },
}

export const setCommand: Command = {
  name: 'set',
  summary: 'change a setting (timeout, discovery-timeout, batch, batch-sleep, limit, output, errexit…); alone, list them',
  usage: 'set [NAME VALUE]',
  options: [],
  details: Object.entries(settingSpecs)
    .map(([k, v]) => `  ${k.padEnd(18)}${v.help}`)
    .join('\n'),
  needsBroker: false,
  async run(args, { session }): Promise<TextResult> {
    const [name, ...rest] = args
    const list = (): TextResult => {
      const entries = Object.entries(settingSpecs).map(([k, spec]) => [k, spec.show(session.settings)] as const)
      return { kind: 'text', text: entries.map(([k, v]) => `${k.padEnd(18)}${v}`).join('\n'), data: { settings: Object.fromEntries(entries) } }
    }
    if (!name) return list()
    const spec = settingSpecs[name]
    if (!spec) {
      const hint = closest(name, Object.keys(settingSpecs))
      throw usage(`unknown setting '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}; settings: ${Object.keys(settingSpecs).join(', ')}`)
    }
    if (rest.length === 0) throw usage(`'set ${name}' needs a value: ${spec.help}`)
    spec.apply(session.settings, rest.join(' '))
    const value = spec.show(session.settings)
    return { kind: 'text', text: `${name} = ${value}`, data: { [name]: value } }
  },
}

function usage(message: string): McshError {
  return new McshError('MCSH_USAGE', message)
}
