import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createProcProvider, parseStat } from '../../../src/host/real/processes.js'

describe('processes from /proc', () => {
  it('finds this test process with its command, parent, user and start time', async () => {
    const list = await createProcProvider().list()
    expect(list.length).toBeGreaterThan(1)
    const me = list.find((p) => p.pid === process.pid)
    expect(me).toBeDefined()
    const cmdline = readFileSync('/proc/self/cmdline', 'utf8').replace(/\0+$/, '').split('\0')
    expect(me).toMatchObject({
      pid: process.pid,
      ppid: process.ppid,
      user: userInfo().username,
      name: readFileSync('/proc/self/comm', 'utf8').trim(),
      command: cmdline.join(' '),
      state: expect.stringMatching(/^[RSD]$/),
    })
    expect(me?.command).toContain(process.argv[1] ?? 'node')
    expect(me?.rss_kb).toBeGreaterThan(1000)
    expect(me?.vsize_kb).toBeGreaterThan(me?.rss_kb ?? 0)
    expect(me?.cpu_seconds).toBeGreaterThan(0)
    const startedMs = Date.parse(me?.started ?? '')
    expect(startedMs).toBeLessThanOrEqual(Date.now() + 1000)
    expect(startedMs).toBeGreaterThan(Date.now() - process.uptime() * 1000 - 5000)
  })

  it('finds a child by its command line', async () => {
    const child = spawn('sleep', ['31.25'], { stdio: 'ignore' })
    try {
      const list = await createProcProvider().list()
      expect(list.find((p) => p.pid === child.pid)).toMatchObject({ ppid: process.pid, name: 'sleep', command: 'sleep 31.25' })
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('shows kernel threads as [name] and skips processes that vanish mid-read', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mcsh-proc-'))
    try {
      writeFileSync(join(root, 'stat'), 'cpu 1 2 3\nbtime 1700000000\n')
      const passwd = join(root, 'passwd')
      writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\n')
      const proc = (pid: number, stat: string, uid: number, cmdline: string | undefined, rssKb?: number) => {
        mkdirSync(join(root, String(pid)))
        writeFileSync(join(root, String(pid), 'stat'), stat)
        writeFileSync(join(root, String(pid), 'status'), `Name:\tx\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\n${rssKb !== undefined ? `VmRSS:\t ${rssKb} kB\n` : ''}`)
        if (cmdline !== undefined) writeFileSync(join(root, String(pid), 'cmdline'), cmdline)
      }
      //                pid comm        state ppid pgrp sess tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime prio nice threads itreal starttime vsize rss
      proc(2, '2 (kthreadd) S 0 0 0 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 10 0 0', 0, '')
      proc(40, '40 (we (ird) name) R 1 40 40 0 -1 0 0 0 0 0 250 150 0 0 20 0 1 0 500 104857600 100', 33, 'nginx: worker\0process\0', 2048)
      mkdirSync(join(root, '41')) // exited between readdir and read: no files
      writeFileSync(join(root, 'self'), '')
      const list = await createProcProvider({ procRoot: root, passwdFile: passwd }).list()
      expect(list).toEqual([
        { pid: 2, ppid: 0, user: 'root', name: 'kthreadd', command: '[kthreadd]', state: 'S', rss_kb: 0, vsize_kb: 0, cpu_seconds: 0.07, started: new Date((1_700_000_000 + 0.1) * 1000).toISOString() },
        { pid: 40, ppid: 1, user: 'www-data', name: 'we (ird) name', command: 'nginx: worker process', state: 'R', rss_kb: 2048, vsize_kb: 102400, cpu_seconds: 4, started: new Date((1_700_000_000 + 5) * 1000).toISOString() },
      ])
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('parses a stat line whose name holds spaces and parentheses', () => {
    expect(parseStat('7 (a) b) S 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 3 4096 1')).toMatchObject({ name: 'a) b', state: 'S', ppid: 1, utimeTicks: 1, stimeTicks: 2, starttimeTicks: 3, vsizeBytes: 4096 })
  })
})
