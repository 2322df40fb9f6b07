import type { NodeView } from '../agents/define.js'
import type { FactValue } from '../facts/types.js'
import type { Host } from '../host/types.js'

export type DataValue = FactValue | null

export interface DataContext {
  host: Host
  node: NodeView
}

/** A named query a compound filter can use: `fstat('/etc/hosts').size > 0`. */
export interface DataPlugin {
  name: string
  /** The field compared when the filter names none: `sysctl('vm.swappiness') < 10`. */
  defaultField: string
  query(arg: string, ctx: DataContext): Promise<Record<string, DataValue>>
}

export const fstat: DataPlugin = {
  name: 'fstat',
  defaultField: 'present',
  async query(path, { host }) {
    const f = await host.files.status(path, { hashes: true })
    return {
      present: f.present,
      type: f.type,
      size: f.size,
      mode: f.mode,
      owner: f.owner,
      group: f.group,
      mtime_seconds: f.mtime ? Math.floor(Date.parse(f.mtime) / 1000) : null,
      md5: f.md5,
    }
  },
}

export const sysctl: DataPlugin = {
  name: 'sysctl',
  defaultField: 'value',
  async query(name, { host }) {
    const raw = await host.sysctl.get(name)
    if (raw === undefined) return { value: null }
    const n = Number(raw)
    return { value: raw.trim() !== '' && Number.isFinite(n) ? n : raw }
  },
}

export const agent: DataPlugin = {
  name: 'agent',
  defaultField: 'present',
  async query(name, { node }) {
    const a = node.agents().find((x) => x.agent === name)
    return a
      ? { present: true, version: a.version, description: a.description, author: a.author, license: a.license, timeout: a.timeout }
      : { present: false, version: null, description: null, author: null, license: null, timeout: null }
  },
}

export const fact: DataPlugin = {
  name: 'fact',
  defaultField: 'value',
  async query(name, { node }) {
    return { value: node.fact(name) ?? null }
  },
}

export const dataPlugins = { fstat, sysctl, agent, fact } satisfies Record<string, DataPlugin>

export type DataPluginName = keyof typeof dataPlugins
