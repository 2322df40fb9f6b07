import { createInterface } from 'node:readline'
import type { CommandRegistry } from '../commands/registry.js'
import { runCommand, splitCommands } from '../commands/run.js'
import type { Session } from '../commands/session.js'
import { ExitCode } from '../commands/result.js'
import { printOutcome, stdoutTarget } from '../cli/output.js'
import { stderrProgress } from '../cli/mcsh.js'

/** The interactive shell: one connection for the whole session, Ctrl-C cancels a running command. */
export async function runShell(o: { session: Session; registry: CommandRegistry; banner?: string }): Promise<number> {
  const out = stdoutTarget({ json: false })
  if (o.banner) out.write(o.banner)
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true, historySize: 1000 })
  let running: AbortController | undefined
  rl.on('SIGINT', () => {
    if (running) running.abort()
    else {
      rl.write(null, { ctrl: true, name: 'u' })
      process.stdout.write('\n')
      rl.prompt()
    }
  })
  rl.setPrompt(`${o.session.collective} > `)
  rl.prompt()
  for await (const line of rl) {
    for (const command of splitCommands(line)) {
      if (command === 'exit' || command === 'quit') {
        rl.close()
        return ExitCode.OK
      }
      running = new AbortController()
      const outcome = await runCommand(command, { session: o.session, registry: o.registry, signal: running.signal, progress: stderrProgress() })
      running = undefined
      printOutcome(outcome, out)
    }
    rl.prompt()
  }
  return ExitCode.OK
}
