import { closest } from '../config/load.js'
import { McshError } from '../util/errors.js'

export interface OptionSpec {
  name: string
  short?: string
  aliases?: string[]
  kind: 'flag' | 'value' | 'list'
  valueName?: string
  help: string
}

export type ParsedOptions = Record<string, string | boolean | string[] | undefined>

export interface Parsed {
  options: ParsedOptions
  positionals: string[]
}

/**
 * GNU-style options anywhere among the words (`--limit 5`, `--limit=5`, `-F os=linux`, `-Fos=linux`);
 * `--` ends options. Unknown options are refused with a suggestion.
 */
export function parseOptions(words: readonly string[], specs: readonly OptionSpec[], command: string): Parsed {
  const options: ParsedOptions = {}
  const positionals: string[] = []
  const byLong = new Map<string, OptionSpec>()
  const byShort = new Map<string, OptionSpec>()
  for (const s of specs) {
    byLong.set(s.name, s)
    for (const a of s.aliases ?? []) byLong.set(a, s)
    if (s.short) byShort.set(s.short, s)
  }
  const take = (spec: OptionSpec, value: string | undefined, shown: string, i: number): number => {
    if (spec.kind === 'flag') {
      if (value !== undefined) throw new McshError('MCSH_USAGE', `option ${shown} of '${command}' takes no value`)
      options[spec.name] = true
      return i
    }
    let v = value
    let next = i
    if (v === undefined) {
      next = i + 1
      v = words[next]
      if (v === undefined) throw new McshError('MCSH_USAGE', `option ${shown} of '${command}' needs a value (${spec.valueName ?? 'VALUE'})`)
    }
    if (spec.kind === 'list') options[spec.name] = [...((options[spec.name] as string[] | undefined) ?? []), v]
    else options[spec.name] = v
    return next
  }
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string
    if (w === '--') {
      positionals.push(...words.slice(i + 1))
      break
    }
    if (w.startsWith('--') && w.length > 2) {
      const eq = w.indexOf('=')
      const name = eq === -1 ? w.slice(2) : w.slice(2, eq)
      const spec = byLong.get(name)
      if (!spec) throw unknown(`--${name}`, [...byLong.keys()].map((k) => `--${k}`), command)
      i = take(spec, eq === -1 ? undefined : w.slice(eq + 1), `--${name}`, i)
      continue
    }
    if (w.startsWith('-') && w.length > 1 && !/^-\d/.test(w)) {
      const spec = byShort.get(w[1] as string)
      if (!spec) throw unknown(w.slice(0, 2), [...byShort.keys()].map((k) => `-${k}`), command)
      i = take(spec, w.length > 2 ? w.slice(2) : undefined, `-${w[1]}`, i)
      continue
    }
    positionals.push(w)
  }
  return { options, positionals }
}

function unknown(option: string, known: string[], command: string): McshError {
  const hint = closest(option, known)
  return new McshError('MCSH_USAGE', `unknown option ${option} for '${command}'${hint ? ` (did you mean ${hint}?)` : ''}; see 'help ${command}'`)
}

export function formatOptionHelp(specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => {
    const names = [s.short ? `-${s.short}` : '', `--${s.name}`, ...(s.aliases ?? []).map((a) => `--${a}`)].filter(Boolean).join(', ')
    return [`${names}${s.kind === 'flag' ? '' : ` ${s.valueName ?? 'VALUE'}`}`, s.help] as const
  })
  const width = Math.min(34, Math.max(...rows.map(([n]) => n.length)) + 2)
  return rows.map(([n, h]) => `  ${n.padEnd(width)}${h}`).join('\n')
}

export function numberOption(options: ParsedOptions, name: string, o: { min?: number; integer?: boolean } = {}): number | undefined {
  const raw = options[name]
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || (o.integer && !Number.isInteger(n)) || (o.min !== undefined && n < o.min))
    throw new McshError('MCSH_USAGE', `--${name} must be ${o.integer ? 'a whole number' : 'a number'}${o.min !== undefined ? ` of at least ${o.min}` : ''}, not '${String(raw)}'`)
  return n
}
