import { readFileSync } from 'node:fs'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commandFactSource } from '../../../src/facts/command-source.js'
import { isMcshError } from '../../../src/util/errors.js'

let dir: string

async function script(name: string, body: string): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, `#!/bin/sh\n${body}\n`)
  await chmod(path, 0o755)
  return path
}

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return true
  }
  // An exited process nobody has reaped yet (orphans in a container whose init does not reap) is gone too.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return true
  }
}

async function waitGone(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs
  while (Date.now() < deadline) {
    if (isGone(pid)) return true
    await new Promise((r) => setTimeout(r, 20))
  }
  return isGone(pid)
}

async function readPid(path: string): Promise<number> {
  const deadline = Date.now() + 2_000
  while (Date.now() < deadline) {
    const text = await readFile(path, 'utf8').catch(() => '')
    if (/^\d+\s*$/.test(text)) return Number(text)
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`no pid in ${path}`)
}

async function loadError(load: () => Promise<unknown>): Promise<Error> {
  try {
    await load()
  } catch (e) {
    return e as Error
  }
  throw new Error('expected the load to fail')
}

beforeAll(async () => {
  dir = await mkdtemp(join(os.tmpdir(), 'mcsh-command-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe.skipIf(process.platform === 'win32')('commandFactSource', () => {
  it('runs the command without a shell, passing args and env, and flattens its JSON', async () => {
    const path = await script('facts.sh', `printf '{"os":{"family":"%s"},"arg":"%s","list":[1,2],"none":null}' "$FAMILY" "$1"`)
    const source = commandFactSource(path, ['$HOME;echo'], { env: { FAMILY: 'debian' } })
    expect(source.name).toBe(`command:${path} $HOME;echo`)
    expect(await source.load()).toEqual({ 'os.family': 'debian', arg: '$HOME;echo', list: '1,2' })
  })

  it('reads large output completely', async () => {
    const source = commandFactSource(process.execPath, [
      '-e',
      'const o={};for(let i=0;i<20000;i++)o["k"+i]="v".repeat(50);process.stdout.write(JSON.stringify(o))',
    ])
    const facts = await source.load()
    expect(Object.keys(facts)).toHaveLength(20000)
    expect(facts.k19999).toBe('v'.repeat(50))
  })

  it('kills a command that runs past the timeout, with what it started', async () => {
    const path = await script('slow.sh', `sleep 30 &\necho $! > "$1"\necho $$ > "$2"\nwait`)
    const childPidFile = join(dir, 'slow.child')
    const pidFile = join(dir, 'slow.pid')
    const started = Date.now()
    const err = await loadError(() => commandFactSource(path, [childPidFile, pidFile], { timeoutMs: 400 }).load())
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(isMcshError(err, 'MCSH_FACTS_COMMAND_TIMEOUT')).toBe(true)
    expect(err.message).toContain(path)
    expect(err.message).toContain('timed out after 400 ms')
    expect(await waitGone(await readPid(pidFile), 3_000)).toBe(true)
    expect(await waitGone(await readPid(childPidFile), 3_000)).toBe(true)
  })

  it('sends SIGKILL when SIGTERM is ignored', async () => {
    const path = await script('stubborn.sh', `trap '' TERM\necho $$ > "$1"\nwhile :; do sleep 1; done`)
    const pidFile = join(dir, 'stubborn.pid')
    const started = Date.now()
    const err = await loadError(() => commandFactSource(path, [pidFile], { timeoutMs: 300, killGraceMs: 300 }).load())
    expect(Date.now() - started).toBeGreaterThanOrEqual(550)
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(isMcshError(err, 'MCSH_FACTS_COMMAND_TIMEOUT')).toBe(true)
    expect(await waitGone(await readPid(pidFile), 3_000)).toBe(true)
  })

  it('reports the exit code and the first line of stderr', async () => {
    const path = await script('fail.sh', `echo '{"partial":1}'\necho >&2\necho "facter: cannot resolve things" >&2\necho "more detail" >&2\nexit 3`)
    const err = await loadError(() => commandFactSource(path, ['--json']).load())
    expect(isMcshError(err, 'MCSH_FACTS_COMMAND_FAILED')).toBe(true)
    expect(err.message).toBe(`facts command \`${path} --json\` exited with code 3: facter: cannot resolve things`)
  })

  it('reports invalid JSON with its position', async () => {
    const path = await script('garbage.sh', `echo '{"ok": 1,'\necho '  "bad": nope}'`)
    const err = await loadError(() => commandFactSource(path, []).load())
    expect(isMcshError(err, 'MCSH_FACTS_COMMAND_INVALID_JSON')).toBe(true)
    expect(err.message).toContain(path)
    expect(err.message).toMatch(/printed invalid JSON at line 2, column 11/)

    const plain = await script('plain.sh', `echo 'command not found: facter'`)
    const err2 = await loadError(() => commandFactSource(plain, []).load())
    expect(err2.message).toMatch(/invalid JSON at line 1, column 1 .*output began "command not found: facter"/)
  })

  it('rejects empty output and JSON that is not an object', async () => {
    const empty = await script('empty.sh', 'true')
    expect((await loadError(() => commandFactSource(empty, []).load())).message).toContain('printed nothing')
    const list = await script('list.sh', `echo '[1,2]'`)
    expect((await loadError(() => commandFactSource(list, []).load())).message).toContain('not an object')
  })

  it('kills a command printing more than maxOutputBytes', async () => {
    const started = Date.now()
    const err = await loadError(() => commandFactSource('yes', ['"padding",'], { maxOutputBytes: 64 * 1024, timeoutMs: 5_000 }).load())
    expect(Date.now() - started).toBeLessThan(4_000)
    expect(isMcshError(err, 'MCSH_FACTS_COMMAND_OUTPUT_TOO_LARGE')).toBe(true)
    expect(err.message).toContain('printed more than 65536 bytes')
  })

  it('says when the command cannot be found', async () => {
    const err = await loadError(() => commandFactSource(join(dir, 'no-such-facter'), ['--json']).load())
    expect(isMcshError(err, 'MCSH_FACTS_COMMAND_FAILED')).toBe(true)
    expect(err.message).toContain('could not be started: not found')
  })
})
