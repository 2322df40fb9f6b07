import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NodeView } from '../../../src/agents/define.js'
import { dispatchAction, type ActionResult } from '../../../src/agents/dispatch.js'
import { EXTERNAL_PROTOCOL, jsonErrorPosition, type ExternalAgentOptions } from '../../../src/agents/external.js'
import { loadAgent, loadAgents } from '../../../src/agents/loader.js'
import type { Host } from '../../../src/host/types.js'
import { Status } from '../../../src/protocol/status.js'
import { silentLogger } from '../../../src/util/logger.js'

let root: string

/** An agent folder `NAME/` with a one-action DDL (`run`, plus `echo` taking a `text` input) and the given files. */
function makeAgent(name: string, files: Record<string, { text: string; mode?: number }>, o: { timeout?: number } = {}): string {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, `${name}.ddl.json5`),
    JSON.stringify({
      metadata: { name, description: 'test', author: 'tests', version: '1.0.0', license: 'Apache-2.0', timeout: o.timeout ?? 5 },
      actions: {
        run: { description: 'Runs', inputs: {}, outputs: { value: { description: 'A value', display_as: 'Value', default: 'unset' } } },
        echo: { description: 'Echoes', inputs: { text: { description: 'Text', type: 'string', optional: false }, times: { description: 'Times', type: 'integer', optional: true, default: 2 } }, outputs: {} },
      },
    }),
  )
  for (const [file, { text, mode }] of Object.entries(files)) {
    writeFileSync(join(dir, file), text)
    chmodSync(join(dir, file), mode ?? 0o755)
  }
  return dir
}

/** An executable answering with the script's body run by this very node (absolute, so PATH does not matter). */
function nodeScript(body: string): { text: string } {
  return { text: `#!${process.execPath}\n${body}\n` }
}

const sh = (body: string) => ({ text: `#!/bin/sh\n${body}\n` })

const node: NodeView = {
  identity: 'web001.ams1.example.net',
  collectives: ['mcollective'],
  facts: () => ({ role: 'web', 'os.family': 'debian' }),
  fact: (name) => ({ role: 'web', 'os.family': 'debian' })[name],
  classes: () => [],
  agents: () => [],
  stats: () => ({}),
  version: '0.0.0',
  dataPlugins: [],
}

async function call(dir: string, name: string, action = 'run', data: Record<string, unknown> = {}, options?: ExternalAgentOptions): Promise<ActionResult> {
  const agent = await loadAgent(dir, name, options)
  return dispatchAction(agent, action, data, {
    node,
    host: {} as Host,
    request: { id: 'req-1', callerId: 'cert=alice', sender: 'client1', agent: name, action, collective: 'mcollective' },
    logger: silentLogger,
  })
}

/** A zombie counts as dead: orphans are reparented to PID 1, which in a container may never reap them. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\d+ \(.*\) Z /.test(stat)
  } catch {
    return false
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mcsh-external-'))
})
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

describe('external agents: protocol', () => {
  it('sends argv [ACTION], the agent folder as cwd, the JSON request on stdin and a closed environment', async () => {
    process.env.MCSH_TEST_SECRET = 'hunter2'
    try {
      const dir = makeAgent('spy', {
        agent: nodeScript(`
          let input = ''
          process.stdin.on('data', (c) => (input += c)).on('end', () => {
            process.stdout.write(JSON.stringify({ data: { argv: process.argv.slice(2), cwd: process.cwd(), env: process.env, stdin: input } }))
          })`),
      })
      const r = await call(dir, 'spy', 'echo', { text: 'hi' })
      expect(r).toMatchObject({ status: Status.OK, message: 'OK' })
      expect(r.data.argv).toEqual(['echo'])
      expect(r.data.cwd).toBe(dir)
      expect(r.data.env).toEqual({
        PATH: '/usr/local/bin:/usr/bin:/bin',
        LANG: 'C.UTF-8',
        HOME: homedir(),
        MCSH_AGENT: 'spy',
        MCSH_ACTION: 'echo',
        MCSH_REQUEST_ID: 'req-1',
        MCSH_CALLER: 'cert=alice',
        MCSH_IDENTITY: 'web001.ams1.example.net',
      })
      const stdin = r.data.stdin as string
      expect(stdin.endsWith('\n')).toBe(true)
      expect(stdin.trimEnd()).not.toContain('\n')
      expect(JSON.parse(stdin)).toEqual({
        protocol: EXTERNAL_PROTOCOL,
        agent: 'spy',
        action: 'echo',
        inputs: { text: 'hi', times: 2 },
        request: { id: 'req-1', caller: 'cert=alice', sender: 'client1', collective: 'mcollective' },
        node: { identity: 'web001.ams1.example.net', facts: { role: 'web', 'os.family': 'debian' } },
        timeout: 5,
      })
    } finally {
      delete process.env.MCSH_TEST_SECRET
    }
  })

  it('runs an agent loaded from a relative folder', async () => {
    const dir = makeAgent('relative', { agent: sh(`echo '{"data":{"value":"'"$(pwd)"'"}}'`) })
    const cwd = process.cwd()
    process.chdir(root)
    try {
      const agent = await loadAgent('relative', 'relative')
      process.chdir(cwd)
      const r = await dispatchAction(agent, 'run', {}, { node, host: {} as Host, request: { id: 'r', callerId: 'c', sender: 's', agent: 'relative', action: 'run', collective: 'm' }, logger: silentLogger })
      expect(r).toMatchObject({ status: Status.OK, data: { value: dir } })
    } finally {
      process.chdir(cwd)
    }
  })

  it('takes HOME from the options', async () => {
    const dir = makeAgent('home', { agent: sh('printf \'{"data":{"value":"%s"}}\' "$HOME"') })
    expect((await call(dir, 'home', 'run', {}, { home: '/var/lib/mcsh' })).data).toEqual({ value: '/var/lib/mcsh' })
  })

  it('defaults statuscode and statusmsg and fills output defaults', async () => {
    const dir = makeAgent('plain', { 'agent.sh': sh(`echo '{"data":{}}'`) })
    expect(await call(dir, 'plain')).toMatchObject({ status: Status.OK, message: 'OK', data: { value: 'unset' } })
  })

  it('answers a failing statuscode with its message and its data', async () => {
    const dir = makeAgent('failing', { agent: sh(`echo '{"statuscode":1,"statusmsg":"disk is 97% full","data":{"value":97}}'`) })
    expect(await call(dir, 'failing')).toMatchObject({ status: Status.Aborted, message: 'disk is 97% full', data: { value: 97 } })
  })

  it('lets a failing statuscode come without data or message', async () => {
    const dir = makeAgent('bare', { agent: sh(`echo '{"statuscode":4}'`) })
    expect(await call(dir, 'bare')).toMatchObject({ status: Status.InvalidData, message: 'Invalid Data', data: {} })
  })

  it('uses a valid answer even when the process exits non-zero', async () => {
    const dir = makeAgent('exit2', { agent: sh(`echo '{"statuscode":1,"statusmsg":"nope","data":{}}'; exit 2`) })
    expect(await call(dir, 'exit2')).toMatchObject({ status: Status.Aborted, message: 'nope' })
  })

  it('does not mind an agent that never reads its (large) request', async () => {
    const dir = makeAgent('deaf', { agent: sh(`echo '{"data":{"value":"ok"}}'`) })
    const agent = await loadAgent(dir, 'deaf')
    const big = { ...node, facts: () => ({ blob: 'x'.repeat(512 * 1024) }) }
    const r = await dispatchAction(agent, 'run', {}, { node: big, host: {} as Host, request: { id: 'r', callerId: 'c', sender: 's', agent: 'deaf', action: 'run', collective: 'm' }, logger: silentLogger })
    expect(r).toMatchObject({ status: Status.OK, data: { value: 'ok' } })
  })

  it('answers as soon as the agent exits even when something it started keeps stdout open', async () => {
    const dir = makeAgent('daemonizes', { agent: sh(`sleep 5 &\necho '{"data":{"value":"ok"}}'`) })
    const started = Date.now()
    expect(await call(dir, 'daemonizes')).toMatchObject({ status: Status.OK, data: { value: 'ok' } })
    expect(Date.now() - started).toBeLessThan(2000)
  })
})

describe('external agents: failures', () => {
  it('reports a crash with the exit code and the last line of stderr', async () => {
    const dir = makeAgent('crash', { agent: sh(`echo 'starting' >&2\necho 'Traceback: KeyError path' >&2\nexit 3`) })
    expect(await call(dir, 'crash')).toMatchObject({ status: Status.UnknownError, message: 'crash#run: agent exited with code 3: Traceback: KeyError path', data: {} })
  })

  it('reports a crash without stderr and a death by signal', async () => {
    const quiet = makeAgent('quiet', { agent: sh('exit 1') })
    expect((await call(quiet, 'quiet')).message).toBe('quiet#run: agent exited with code 1 and printed nothing on stderr')
    const killed = makeAgent('killed', { agent: sh('echo "about to die" >&2; kill -SEGV $$') })
    expect((await call(killed, 'killed')).message).toBe('killed#run: agent was killed by SIGSEGV: about to die')
  })

  it('times out a hanging agent with status 1 and kills its whole process group', async () => {
    const pidFile = join(root, 'hang.pid')
    const dir = makeAgent('hang', { agent: sh(`sleep 30 &\necho $! > ${pidFile}\nwait`) }, { timeout: 1 })
    const started = Date.now()
    const r = await call(dir, 'hang')
    expect(r).toMatchObject({ status: Status.Aborted, message: 'action hang#run timed out after 1 s' })
    expect(Date.now() - started).toBeLessThan(2500)
    const pid = Number(readFileSync(pidFile, 'utf8'))
    for (let i = 0; i < 20 && alive(pid); i++) await sleep(50)
    expect(alive(pid)).toBe(false)
  })

  it('follows SIGTERM with SIGKILL for an agent that ignores it', async () => {
    const pidFile = join(root, 'stubborn.pid')
    const dir = makeAgent('stubborn', { agent: sh(`trap '' TERM\necho $$ > ${pidFile}\nwhile :; do sleep 1; done`) }, { timeout: 1 })
    const r = await call(dir, 'stubborn', 'run', {}, { limits: { killGraceMs: 300 } })
    expect(r.status).toBe(Status.Aborted)
    const pid = Number(readFileSync(pidFile, 'utf8'))
    await sleep(200)
    expect(alive(pid)).toBe(true)
    for (let i = 0; i < 40 && alive(pid); i++) await sleep(50)
    expect(alive(pid)).toBe(false)
  })

  it('reports garbage on stdout with the position and the start of what was printed', async () => {
    const words = makeAgent('garbage', { agent: sh('echo "hello world"') })
    expect(await call(words, 'garbage')).toMatchObject({ status: Status.UnknownError, message: 'garbage#run: agent printed invalid JSON at position 0: "hello world"' })
    const comma = makeAgent('comma', { agent: sh(`echo '{"data":{},}'`) })
    expect((await call(comma, 'comma')).message).toBe('comma#run: agent printed invalid JSON at position 11: "{\\"data\\":{},}"')
    const chatty = makeAgent('chatty', { agent: sh(`echo 'debug: looking at /'\necho '{"data":{}}'`) })
    expect((await call(chatty, 'chatty')).message).toMatch(/^chatty#run: agent printed invalid JSON at position 0: "debug: looking at \/\\n\{/)
    const long = makeAgent('long', { agent: sh(`printf '{"data":{"value":"%s"}} trailing' "$(printf 'a%.0s' $(seq 1 100))"`) })
    expect((await call(long, 'long')).message).toMatch(/at position 122: "\{\\"data\\":\{\\"value\\":\\"a+"…$/)
  })

  it('reports empty output, non-object answers and malformed fields', async () => {
    const cases: Array<[string, string, string]> = [
      ['silent', 'true', 'silent#run: agent printed nothing on stdout; expected one JSON object'],
      ['array', `echo '[1,2]'`, 'array#run: agent printed an array, not a JSON object { "statuscode", "statusmsg", "data" }'],
      ['nodata', `echo '{"statuscode":0}'`, 'nodata#run: agent answered statuscode 0 without a "data" object'],
      ['baddata', `echo '{"data":[1]}'`, 'baddata#run: agent answered a "data" that is an array, not an object'],
      ['badcode', `echo '{"statuscode":9,"data":{}}'`, 'badcode#run: agent answered statuscode 9; expected an integer from 0 to 5'],
      ['badmsg', `echo '{"statuscode":1,"statusmsg":7,"data":{}}'`, 'badmsg#run: agent answered a statusmsg that is not a string'],
    ]
    for (const [name, body, message] of cases) {
      const dir = makeAgent(name, { agent: sh(body) })
      expect(await call(dir, name)).toMatchObject({ status: Status.UnknownError, message })
    }
  })

  it('stops an agent that prints more than 1 MiB', async () => {
    const dir = makeAgent('huge', { agent: sh(`head -c 5000000 /dev/zero | tr '\\000' a\necho done`) })
    const r = await call(dir, 'huge')
    expect(r).toMatchObject({ status: Status.UnknownError, message: 'huge#run: agent printed more than 1 MiB on stdout' })
  })

  it('keeps only the end of a flood on stderr', async () => {
    const dir = makeAgent('noisy', { agent: sh(`head -c 300000 /dev/zero | tr '\\000' x >&2\necho >&2\necho 'the real error' >&2\nexit 1`) })
    expect((await call(dir, 'noisy')).message).toBe('noisy#run: agent exited with code 1: the real error')
  })

  it('reports an agent that cannot be executed with its errno', async () => {
    const missingInterpreter = makeAgent('nointerp', { agent: { text: '#!/nonexistent/interpreter\n' } })
    expect(await call(missingInterpreter, 'nointerp')).toMatchObject({
      status: Status.UnknownError,
      message: 'nointerp#run: agent cannot be executed: ENOENT: no such file, or the interpreter named on its #! line is missing',
    })
    const revoked = makeAgent('revoked', { agent: sh(`echo '{"data":{}}'`) })
    const agent = await loadAgent(revoked, 'revoked')
    chmodSync(join(revoked, 'agent'), 0o644)
    const r = await dispatchAction(agent, 'run', {}, { node, host: {} as Host, request: { id: 'r', callerId: 'c', sender: 's', agent: 'revoked', action: 'run', collective: 'm' }, logger: silentLogger })
    expect(r).toMatchObject({ status: Status.UnknownError, message: 'revoked#run: agent cannot be executed: EACCES: permission denied (is it executable? chmod +x)' })
  })

  it('still validates inputs before running anything', async () => {
    const dir = makeAgent('strict', { agent: sh('echo should not run >&2; exit 1') })
    expect(await call(dir, 'strict', 'echo', {})).toMatchObject({ status: Status.MissingData })
    expect(await call(dir, 'strict', 'nope', {})).toMatchObject({ status: Status.UnknownAction })
  })
})

describe('loading external agents', () => {
  it('refuses an agent file without the execute bit, saying how to fix it', async () => {
    const dir = makeAgent('noexec', { agent: { ...sh('true'), mode: 0o644 } })
    await expect(loadAgent(dir, 'noexec')).rejects.toMatchObject({ code: 'MCSH_AGENT_NOT_EXECUTABLE', message: expect.stringContaining(`chmod +x ${join(dir, 'agent')}`) })
  })

  it('prefers agent.js to an executable, and finds agent.py, agent.sh and agent.rb', async () => {
    const both = makeAgent('both', {
      'agent.js': { text: `export default { ddl: 'both', actions: { run: () => ({ value: 'in-process' }) } }\n`, mode: 0o644 },
      agent: sh(`echo '{"data":{"value":"external"}}'`),
    })
    expect((await call(both, 'both')).data).toEqual({ value: 'in-process' })
    for (const file of ['agent.py', 'agent.sh', 'agent.rb']) {
      const name = `ext_${file.slice(6)}`
      const dir = makeAgent(name, { [file]: sh(`echo '{"data":{"value":"${file}"}}'`) })
      const agent = await loadAgent(dir, name)
      expect(agent.origin).toBe(join(dir, file))
      expect((await call(dir, name)).data).toEqual({ value: file })
    }
  })

  it('names every accepted implementation when there is none', async () => {
    const dir = makeAgent('empty', {})
    await expect(loadAgent(dir, 'empty')).rejects.toMatchObject({ code: 'MCSH_AGENT_NO_IMPL', message: expect.stringContaining('agent.js or agent.mjs, or an executable agent, agent.py, agent.sh, agent.rb') })
  })

  it('loads external agents with loadAgents and skips a broken one', async () => {
    const dir = mkdtempSync(join(root, 'dir-'))
    const saved = root
    root = dir
    try {
      makeAgent('good', { agent: sh(`echo '{"data":{}}'`) })
      makeAgent('bad', { agent: { ...sh('true'), mode: 0o600 } })
      const agents = await loadAgents({ dirs: [dir], includeBuiltin: false })
      expect([...agents.keys()]).toEqual(['good'])
    } finally {
      root = saved
    }
  })
})

describe('jsonErrorPosition', () => {
  const parseError = (s: string): unknown => {
    try {
      JSON.parse(s)
    } catch (e) {
      return e
    }
    throw new Error(`${s} is valid`)
  }

  it("takes V8's position when its message has one, else finds it by scanning", () => {
    expect(jsonErrorPosition('garbage', parseError('garbage'))).toBe(0)
    expect(jsonErrorPosition('{"a": tru}', parseError('{"a": tru}'))).toBe(6)
    expect(jsonErrorPosition('{"a": 1', parseError('{"a": 1'))).toBe(7)
    expect(jsonErrorPosition('[1, 2] 3', parseError('[1, 2] 3'))).toBe(7)
  })

  it('scans', () => {
    expect(jsonErrorPosition('garbage')).toBe(0)
    expect(jsonErrorPosition('{"a": tru}')).toBe(6)
    expect(jsonErrorPosition('{"a": 1')).toBe(7)
    expect(jsonErrorPosition('{"a": "b\\x"}')).toBe(9)
    expect(jsonErrorPosition('{"a": "tab\there"}')).toBe(10)
    expect(jsonErrorPosition('[1, 2] 3')).toBe(7)
    expect(jsonErrorPosition('{"a": [1, {"b": -}]}')).toBe(16)
    expect(jsonErrorPosition('{a: 1}')).toBe(1)
    expect(jsonErrorPosition('{"a": "\\u00e9", "b": [true, false, null, 1.5e3, -0.5, {}, []]}')).toBeUndefined()
  })
})
