import { closeSync, fstatSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs'
import type { Stats } from 'node:fs'
import { join } from 'node:path'
import type { NodeInventory } from '../filter/index.js'
import type { Clock } from '../util/clock.js'
import { systemClock } from '../util/clock.js'
import { errorMessage } from '../util/errors.js'
import type { Logger } from '../util/logger.js'
import { silentLogger } from '../util/logger.js'
import { evaluatePolicy, parsePolicy } from './policy.js'
import type { Decision, Effect, Policy } from './policy.js'

export interface AuthorizerOptions {
  policyDir: string
  defaultEffect: Effect
  logger?: Logger
  clock?: Clock
  /** How often, at most, each policy file is stat'ed for changes. Default 1000. */
  reloadCheckMs?: number
  /** Agents allowed when they have no policy file. Default ['rpcutil']. */
  builtinAllow?: string[]
  /**
   * Agents denied unless their own policy file allows the request, whatever the defaults say.
   * Default ['shell']: running commands must be allowed explicitly.
   */
  requirePolicy?: string[]
}

/** Agent names as the wire accepts them; nothing else may become part of a file path. */
const AGENT_NAME = /^[A-Za-z_][\w-]{0,63}$/
const POLICY_SUFFIX = '.policy'
/** A policy is a handful of lines; a bigger file is a mistake, not a policy. */
const MAX_POLICY_BYTES = 1024 * 1024
/** Requests name agents; bound the cache so a stream of odd names cannot grow it without end. */
const MAX_CACHED_AGENTS = 1024

interface Entry {
  agent: string
  file: string
  /** When the file was last stat'ed; undefined before the first look. */
  checkedAtMs: number | undefined
  /** mtime, ctime, size and inode of the version last read; undefined while there is no file. */
  signature: string | undefined
  /** The last policy that parsed: still in force while the file is broken. */
  policy: Policy | undefined
  /** Why the current file (or the stat of it) failed. */
  error: string | undefined
}

function signatureOf(st: Stats): string {
  return `${st.mtimeMs}:${st.ctimeMs}:${st.size}:${st.ino}`
}

/**
 * Per-daemon authorization with MCollective actionpolicy files (`<policyDir>/<agent>.policy`).
 * Policies are parsed once and cached; each file is re-checked at most every `reloadCheckMs`.
 * A file that stops parsing leaves its last good version in force (the error is logged); a file
 * that never parsed denies every request to its agent; a deleted file means the defaults apply.
 */
export class Authorizer {
  private readonly policyDir: string
  private readonly defaultEffect: Effect
  private readonly logger: Logger
  private readonly clock: Clock
  private readonly reloadCheckMs: number
  private readonly builtinAllow: ReadonlySet<string>
  private readonly requirePolicy: ReadonlySet<string>
  private readonly entries = new Map<string, Entry>()

  constructor(o: AuthorizerOptions) {
    this.policyDir = o.policyDir
    this.defaultEffect = o.defaultEffect
    this.logger = o.logger ?? silentLogger
    this.clock = o.clock ?? systemClock
    this.reloadCheckMs = o.reloadCheckMs ?? 1000
    this.builtinAllow = new Set(o.builtinAllow ?? ['rpcutil'])
    this.requirePolicy = new Set(o.requirePolicy ?? ['shell'])
  }

  /** Never throws: any unexpected failure is a denial whose reason carries the error. */
  authorize(agent: string, request: { callerId: string; action: string }, node: NodeInventory): Decision {
    try {
      if (!AGENT_NAME.test(agent)) return { allowed: false, reason: `denied: '${agent}' is not a valid agent name` }
      const entry = this.entryFor(agent)
      if (this.requirePolicy.has(agent)) {
        if (entry.policy === undefined)
          return { allowed: false, reason: `denied: the ${agent} agent runs only where a policy allows it, and there is no ${entry.file}${entry.error ? ` that loads (${entry.error})` : ''}` }
        // The file decides (its rules, then its own `policy default`); the global default never opens it.
        return evaluatePolicy(entry.policy, agent, request, node, 'deny')
      }
      if (entry.policy !== undefined) return evaluatePolicy(entry.policy, agent, request, node, this.defaultEffect)
      if (entry.error !== undefined) {
        return { allowed: false, reason: `denied: the policy file ${entry.file} is broken and no earlier version of it loaded: ${entry.error}` }
      }
      if (this.builtinAllow.has(agent)) {
        return { allowed: true, reason: `allowed: no policy for agent '${agent}', which is allowed without one (builtinAllow)` }
      }
      return evaluatePolicy(undefined, agent, request, node, this.defaultEffect)
    } catch (e) {
      return { allowed: false, reason: `denied: authorization failed: ${errorMessage(e)}` }
    }
  }

  /**
   * Loaded policies and errors, for `mcshd` start-up logs and tests: every `*.policy` file in the
   * directory (loading those not seen yet) and every cached agent whose file is present or broken.
   */
  status(): Array<{ agent: string; file: string; rules: number; error?: string }> {
    const out: Array<{ agent: string; file: string; rules: number; error?: string }> = []
    let names: string[] = []
    try {
      names = readdirSync(this.policyDir)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn(`cannot list the policy directory ${this.policyDir}: ${errorMessage(e)}`)
    }
    for (const name of names.sort()) {
      if (!name.endsWith(POLICY_SUFFIX)) continue
      const agent = name.slice(0, -POLICY_SUFFIX.length)
      if (AGENT_NAME.test(agent)) this.entryFor(agent)
      else out.push({ agent, file: join(this.policyDir, name), rules: 0, error: `ignored: '${agent}' is not a valid agent name` })
    }
    for (const e of this.entries.values()) {
      if (e.signature === undefined && e.error === undefined) continue
      const item: { agent: string; file: string; rules: number; error?: string } = { agent: e.agent, file: e.file, rules: e.policy?.rules.length ?? 0 }
      if (e.error !== undefined) item.error = e.error
      out.push(item)
    }
    return out.sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0))
  }

  private entryFor(agent: string): Entry {
    let entry = this.entries.get(agent)
    if (entry === undefined) {
      if (this.entries.size >= MAX_CACHED_AGENTS) {
        const oldest = this.entries.keys().next()
        if (!oldest.done) this.entries.delete(oldest.value)
      }
      entry = { agent, file: join(this.policyDir, agent + POLICY_SUFFIX), checkedAtMs: undefined, signature: undefined, policy: undefined, error: undefined }
      this.entries.set(agent, entry)
    }
    const now = this.clock.nowMs()
    if (entry.checkedAtMs === undefined || now - entry.checkedAtMs >= this.reloadCheckMs || now < entry.checkedAtMs) {
      entry.checkedAtMs = now
      this.refresh(entry)
    }
    return entry
  }

  private refresh(entry: Entry): void {
    let st: Stats | undefined
    try {
      st = statSync(entry.file, { throwIfNoEntry: false })
    } catch (e) {
      this.fail(entry, `cannot read ${entry.file}: ${errorMessage(e)}`, undefined)
      return
    }
    if (st === undefined) {
      if (entry.signature !== undefined || entry.error !== undefined) {
        this.logger.info(`policy file ${entry.file} removed: the defaults apply to agent '${entry.agent}'`, { agent: entry.agent })
      }
      entry.signature = undefined
      entry.policy = undefined
      entry.error = undefined
      return
    }
    const signature = signatureOf(st)
    if (signature === entry.signature) return
    if (!st.isFile()) {
      this.fail(entry, `${entry.file} is not a regular file`, signature)
      return
    }
    let text: string
    let readSignature = signature
    try {
      const fd = openSync(entry.file, 'r')
      try {
        const fst = fstatSync(fd)
        if (fst.size > MAX_POLICY_BYTES) throw new Error(`the file is ${fst.size} bytes; a policy may have at most ${MAX_POLICY_BYTES}`)
        readSignature = signatureOf(fst)
        text = readFileSync(fd, 'utf8')
      } finally {
        closeSync(fd)
      }
    } catch (e) {
      this.fail(entry, `cannot read ${entry.file}: ${errorMessage(e)}`, signature)
      return
    }
    let policy: Policy
    try {
      policy = parsePolicy(text, entry.file)
    } catch (e) {
      this.fail(entry, errorMessage(e), readSignature)
      return
    }
    entry.signature = readSignature
    entry.policy = policy
    entry.error = undefined
    this.logger.info(`loaded policy ${entry.file}`, { agent: entry.agent, rules: policy.rules.length, ...(policy.defaultEffect ? { default: policy.defaultEffect } : {}) })
    if ((st.mode & 0o002) !== 0) this.logger.warn(`policy file ${entry.file} is writable by every user: anyone on this host can change who may call '${entry.agent}'`, { agent: entry.agent })
  }

  /** Records a broken file: the last good policy, if any, stays in force. Logged once per version. */
  private fail(entry: Entry, message: string, signature: string | undefined): void {
    const again = entry.error === message && entry.signature === signature
    entry.error = message
    entry.signature = signature
    if (again) return
    const consequence =
      entry.policy !== undefined
        ? `keeping the last good policy (${entry.policy.rules.length} rules)`
        : `requests to agent '${entry.agent}' are denied until it is fixed`
    this.logger.error(`policy not loaded: ${message}; ${consequence}`, { agent: entry.agent, file: entry.file })
  }
}
