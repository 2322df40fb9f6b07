import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

export const repoRoot = join(import.meta.dirname, '..', '..')
export const mcshBin = join(repoRoot, 'bin', 'mcsh.js')
export const mcshdBin = join(repoRoot, 'bin', 'mcshd.js')

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a bin to completion with a bound; the child is killed if it overstays. */
export function run(bin: string, args: string[], o: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, NO_COLOR: '1', MCSH_CONFIG: '', HOME: process.env.HOME ?? '/tmp', ...o.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${bin} ${args.join(' ')} did not finish within ${o.timeoutMs ?? 20_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, o.timeoutMs ?? 20_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(o.input ?? '')
  })
}

/** Starts a long-running bin; `stop()` sends SIGTERM and waits (then SIGKILL) for it to exit. */
export function start(bin: string, args: string[], o: { env?: Record<string, string> } = {}): { child: ChildProcess; output: () => string; stop(): Promise<number | null> } {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '1', ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (d) => (output += d))
  child.stderr?.on('data', (d) => (output += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}
