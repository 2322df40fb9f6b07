import { readdir, readFile } from 'node:fs/promises'
import type { ProcessInfo, ProcessProvider } from '../types.js'

/** Clock ticks a second for /proc/PID/stat times: USER_HZ, 100 on every Linux architecture we run on. */
const CLK_TCK = 100
/** Reads this many processes at a time. */
const BATCH = 64
const NAMES_TTL_MS = 60_000

export interface ProcessProviderOptions {
  /** Default /proc. */
  procRoot?: string
  /** Default /etc/passwd. */
  passwdFile?: string
  now?: () => number
}

/**
 * Maps ids to names from a passwd- or group-style file (name:x:id:…), re-read at most once a
 * minute; an unknown id is returned as its number.
 */
export function createIdNames(file: string, now: () => number = Date.now): (id: number) => Promise<string> {
  let cache: { at: number; names: Map<number, string> } | undefined
  let loading: Promise<Map<number, string>> | undefined
  const load = async (): Promise<Map<number, string>> => {
    const names = new Map<number, string>()
    try {
      for (const line of (await readFile(file, 'utf8')).split('\n')) {
        const [name, , id] = line.split(':')
        if (name && id !== undefined && /^\d+$/.test(id) && !names.has(Number(id))) names.set(Number(id), name)
      }
    } catch {
      // No file: every id is shown as its number.
    }
    return names
  }
  return async (id) => {
    if (cache === undefined || now() - cache.at > NAMES_TTL_MS) {
      loading ??= load().finally(() => (loading = undefined))
      const names = await loading
      cache = { at: now(), names }
    }
    return cache.names.get(id) ?? String(id)
  }
}

export interface StatFields {
  name: string
  state: string
  ppid: number
  utimeTicks: number
  stimeTicks: number
  starttimeTicks: number
  vsizeBytes: number
}

/** Parses /proc/PID/stat; the command name is in parentheses and may itself hold spaces and parentheses. */
export function parseStat(text: string): StatFields | undefined {
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  if (open < 0 || close < open) return undefined
  // Fields after the name, numbered from 3 (state) as in proc(5).
  const f = text.slice(close + 2).trim().split(/\s+/)
  const n = (field: number) => Number(f[field - 3] ?? 0)
  return {
    name: text.slice(open + 1, close),
    state: f[0] ?? '?',
    ppid: n(4),
    utimeTicks: n(14),
    stimeTicks: n(15),
    starttimeTicks: n(22),
    vsizeBytes: n(23),
  }
}

function statusField(status: string, key: string): string | undefined {
  const m = new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(status)
  return m?.[1]
}

/** The process exited while we read it, or is hidden from us (hidepid): leave it out. */
const gone = (e: unknown) => ['ENOENT', 'ESRCH', 'EACCES', 'EPERM'].includes(String((e as NodeJS.ErrnoException).code))

/** Processes from /proc; one that exits while being read, or that we may not read, is left out. */
export function createProcProvider(o: ProcessProviderOptions = {}): ProcessProvider {
  const procRoot = o.procRoot ?? '/proc'
  const userName = createIdNames(o.passwdFile ?? '/etc/passwd', o.now)
  let bootSeconds: number | undefined

  const readBoot = async (): Promise<number | undefined> => {
    if (bootSeconds !== undefined) return bootSeconds
    try {
      const m = /^btime\s+(\d+)/m.exec(await readFile(`${procRoot}/stat`, 'utf8'))
      if (m?.[1]) bootSeconds = Number(m[1])
    } catch {
      // No boot time: started stays null.
    }
    return bootSeconds
  }

  const readOne = async (pid: number, boot: number | undefined): Promise<ProcessInfo | undefined> => {
    try {
      const dir = `${procRoot}/${pid}`
      const [statText, status, cmdline] = await Promise.all([
        readFile(`${dir}/stat`, 'utf8'),
        readFile(`${dir}/status`, 'utf8'),
        readFile(`${dir}/cmdline`).catch((e: unknown) => {
          if (gone(e)) throw e
          return Buffer.alloc(0)
        }),
      ])
      const stat = parseStat(statText)
      if (!stat) return undefined
      const uid = Number((statusField(status, 'Uid') ?? '').split(/\s+/)[1] ?? NaN)
      const kb = (key: string) => Number(/^(\d+)/.exec(statusField(status, key) ?? '')?.[1] ?? 0)
      const args = cmdline.toString('utf8').replace(/\0+$/, '').replace(/\0/g, ' ').trim()
      return {
        pid,
        ppid: stat.ppid,
        user: Number.isFinite(uid) ? await userName(uid) : '?',
        name: stat.name,
        command: args === '' ? `[${stat.name}]` : args,
        state: stat.state,
        rss_kb: kb('VmRSS'),
        vsize_kb: Math.round(stat.vsizeBytes / 1024),
        cpu_seconds: Math.round(((stat.utimeTicks + stat.stimeTicks) / CLK_TCK) * 100) / 100,
        started: boot === undefined ? null : new Date((boot + stat.starttimeTicks / CLK_TCK) * 1000).toISOString(),
      }
    } catch (e) {
      if (gone(e)) return undefined
      throw e
    }
  }

  return {
    name: 'proc',
    list: async () => {
      const boot = await readBoot()
      const pids = (await readdir(procRoot))
        .filter((d) => /^\d+$/.test(d))
        .map(Number)
        .sort((a, b) => a - b)
      const list: ProcessInfo[] = []
      for (let i = 0; i < pids.length; i += BATCH) {
        const batch = await Promise.all(pids.slice(i, i + BATCH).map((pid) => readOne(pid, boot)))
        for (const p of batch) if (p) list.push(p)
      }
      return list
    },
  }
}
