import { onHost } from '../../src/agents/host-errors.js'
import { defineAgent, RpcError, type ActionContext } from '../../src/agents/define.js'
import { compileSafeRegex, regexLiteralOf, SafeRegexError, type SafeRegex } from '../../src/filter/index.js'
import type { ProcessInfo } from '../../src/host/types.js'
import { Status } from '../../src/protocol/status.js'

/**
 * `/re/` and `/re/i` are regexes, run on the linear-time engine (patterns come from the network);
 * anything else is a plain substring. A kernel thread has no command line, so its name stands in.
 */
function commandMatcher(pattern: string): (p: ProcessInfo) => boolean {
  const literal = regexLiteralOf(pattern)
  if (literal === undefined) return (p) => subjectOf(p).includes(pattern)
  let re: SafeRegex
  try {
    re = compileSafeRegex(literal.pattern, literal.flags)
  } catch (e) {
    if (e instanceof SafeRegexError) throw new RpcError(Status.InvalidData, `input 'pattern': ${e.message}`)
    throw e
  }
  return (p) => re.test(subjectOf(p))
}

function subjectOf(p: ProcessInfo): string {
  return p.command !== '' ? p.command : `[${p.name}]`
}

interface Selection {
  pattern?: string
  user?: string
  justZombies?: boolean
}

async function select(ctx: ActionContext, s: Selection): Promise<ProcessInfo[]> {
  const matches = s.pattern === undefined ? undefined : commandMatcher(s.pattern)
  const all = await onHost('cannot list processes', () => ctx.host.processes.list())
  return all
    .filter((p) => (s.user === undefined || p.user === s.user) && (!s.justZombies || p.state.startsWith('Z')) && (matches === undefined || matches(p)))
    .sort((a, b) => a.pid - b.pid)
}

const optionalString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

export default defineAgent({
  ddl: 'process',
  actions: {
    list: async ({ pattern, user, just_zombies }, ctx) => {
      const found = await select(ctx, { pattern: optionalString(pattern), user: optionalString(user), justZombies: just_zombies === true })
      const processes = found.map((p) => ({
        pid: p.pid,
        user: p.user,
        name: p.name,
        command: p.command,
        rss_kb: p.rss_kb,
        vsize_kb: p.vsize_kb,
        cpu_seconds: p.cpu_seconds,
        state: p.state,
      }))
      return { processes, count: processes.length }
    },

    find: async ({ pattern, user }, ctx) => {
      if (pattern === '') throw new RpcError(Status.InvalidData, "input 'pattern' must not be empty: give text the command line contains, or a /regex/")
      const found = await select(ctx, { pattern: String(pattern), user: optionalString(user) })
      return { pids: found.map((p) => p.pid), count: found.length }
    },
  },
})
