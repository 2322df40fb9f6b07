import { PassThrough } from 'node:stream'
import { createInterface, type Interface } from 'node:readline'
import type { CommandRegistry } from '../commands/registry.js'
import { ExitCode } from '../commands/result.js'
import { discoverScope } from '../commands/scope.js'
import type { Session } from '../commands/session.js'
import { packageVersion } from '../util/package-root.js'
import { complete } from './completion/complete.js'
import { sessionSources } from './completion/sources.js'
import { describeError } from './errors.js'
import { Executor } from './executor.js'
import { HistoryFile } from './history-file.js'
import { HistorySearch } from './history-search.js'
import { renderPrompt } from './prompt.js'
import { stdioTerminal } from './terminal.js'

const CTRL_C = 0x03
const CTRL_R = 0x12

/**
 * The interactive shell. One broker connection for the whole session; Ctrl-C stops waiting for a
 * running command (keeping the replies that came) and clears the line at the prompt; Ctrl-D leaves;
 * Ctrl-R searches the history. The shell never dies on an error. This is the only module that puts
 * the terminal in raw mode.
 */
export async function runShell(o: { session: Session; registry: CommandRegistry; banner?: string; historyPath?: string }): Promise<number> {
  const { session, registry } = o
  const term = stdioTerminal()
  const executor = new Executor(session, registry, term, { interactive: true })
  const history = new HistoryFile(o.historyPath)
  session.history.push(...history.load())
  const sources = sessionSources(session, registry)

  // readline reads from `input`; raw keys pass through here first, so Ctrl-C during a command and
  // Ctrl-R at the prompt are ours.
  const input = new PassThrough()
  const rl: Interface = createInterface({
    input,
    output: process.stdout,
    terminal: true,
    historySize: history.maxEntries,
    history: [...session.history].reverse(),
    removeHistoryDuplicates: true,
    tabSize: 4,
    completer: (line: string, callback: (err: Error | null, result: [string[], string]) => void) => {
      complete(line, sources)
        .then((c) => callback(null, [c.candidates, c.fragment]))
        .catch(() => callback(null, [[], line]))
    },
  })
  let running: AbortController | undefined
  const typeahead: Buffer[] = []
  const search = new HistorySearch(rl, () => renderPrompt(session, term.color))
  const onData = (chunk: Buffer) => {
    if (running) {
      if (chunk.includes(CTRL_C)) {
        running.abort()
        process.stderr.write('\r\x1b[2K^C stopping the wait: replies so far are kept\n')
      } else typeahead.push(chunk)
      return
    }
    if (search.active) {
      const rest = search.feed(chunk.toString('utf8'))
      if (rest) onData(Buffer.from(rest, 'utf8'))
      return
    }
    const at = chunk.indexOf(CTRL_R)
    if (at === -1) return void input.write(chunk)
    if (at > 0) input.write(chunk.subarray(0, at))
    search.start()
    if (at + 1 < chunk.length) onData(chunk.subarray(at + 1))
  }
  // The shell never dies on an error: anything that escapes is reported and the prompt comes back.
  const onStray = (e: unknown) => term.err(describeError(e instanceof Error ? e : new Error(String(e)), term.color))
  process.on('unhandledRejection', onStray)
  process.on('uncaughtException', onStray)
  const stdin = process.stdin
  stdin.setRawMode?.(true)
  stdin.on('data', onData)
  stdin.resume()

  rl.on('SIGINT', () => {
    // Ctrl-C at the prompt: drop the line, stay in the shell.
    rl.write(null, { ctrl: true, name: 'e' })
    rl.write(null, { ctrl: true, name: 'u' })
    process.stdout.write('^C\n')
    rl.setPrompt(renderPrompt(session, term.color))
    rl.prompt()
  })

  term.out(
    o.banner ??
      `mcsh ${packageVersion()} — collective ${session.collective}. 'help' lists commands; Tab completes; Ctrl-R searches history; Ctrl-C stops a wait; Ctrl-D leaves.`,
  )
  try {
    const client = await session.connectedClient()
    term.err(`connected to ${client.connector.currentUrl ?? 'the broker'}`)
    if (!session.staticNodes) await discoverScope({ session, signal: new AbortController().signal })
  } catch (e) {
    term.err(describeError(e as Error, term.color))
  }

  const closed = new Promise<void>((resolve) => rl.once('close', resolve))
  const prompt = () => {
    rl.setPrompt(renderPrompt(session, term.color))
    rl.prompt()
  }
  const lines = (async () => {
    prompt()
    for await (const line of rl) {
      if (line.trim()) {
        history.append(line)
        session.history.push(line)
        running = new AbortController()
        try {
          await executor.runLine(line, running.signal)
        } catch (e) {
          term.err(describeError(e as Error, term.color))
        } finally {
          running = undefined
        }
        if (executor.exitRequested !== undefined) break
        for (const chunk of typeahead.splice(0)) onData(chunk)
      }
      prompt()
    }
  })()
  await Promise.race([lines, closed])
  stdin.off('data', onData)
  process.off('unhandledRejection', onStray)
  process.off('uncaughtException', onStray)
  stdin.setRawMode?.(false)
  stdin.pause()
  rl.close()
  if (executor.exitRequested === undefined) process.stdout.write('\n')
  return executor.exitRequested ?? ExitCode.OK
}
