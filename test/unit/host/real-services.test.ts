import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createCommandRunner, findExecutable } from '../../../src/host/real/commands.js'
import { createRealHost } from '../../../src/host/real/index.js'
import { createSystemdServiceProvider, createSysvServiceProvider, detectServiceProvider, mapEnablement } from '../../../src/host/real/services.js'
import { createFakeBin, type FakeBin } from './real-fakes.js'

// State: $STATE/svc-NAME holds the ActiveState; $STATE/enabled-NAME the unit file state.
const FAKE_SYSTEMCTL = String.raw`
name="$2"
f="$STATE/svc-$name"
case "$1" in
  show)
    if [ -e "$f" ]; then echo "ActiveState=$(cat "$f")"; echo "UnitFileState=$(cat "$STATE/enabled-$name" 2>/dev/null || echo enabled)"; echo "LoadState=loaded"
    else echo "ActiveState=inactive"; echo "UnitFileState="; echo "LoadState=not-found"; fi;;
  is-enabled)
    if [ -e "$f" ]; then cat "$STATE/enabled-$name" 2>/dev/null || echo enabled
    else echo "Failed to get unit file state for $name.service: No such file or directory" >&2; exit 1; fi;;
  start|restart|reload)
    case "$name" in broken*) echo "Job for $name.service failed because the control process exited with error code." >&2; echo "See \"systemctl status $name.service\" and \"journalctl -xeu $name.service\" for details." >&2; echo failed > "$f"; exit 1;; esac
    echo active > "$f";;
  stop) echo inactive > "$f";;
esac
`

const FAKE_SERVICE = String.raw`
name="$1"
f="$STATE/svc-$name"
[ -e "$f" ] || { echo "$name: unrecognized service" >&2; exit 1; }
case "$2" in
  status) if [ "$(cat "$f")" = active ]; then echo "$name is running."; exit 0; else echo "$name is not running ... failed!"; exit 3; fi;;
  start|restart|reload) case "$name" in broken*) echo "Starting $name: failed!" >&2; exit 1;; esac; echo active > "$f"; echo "Starting $name.";;
  stop) echo inactive > "$f"; echo "Stopping $name.";;
esac
`

describe('systemd provider against a fake systemctl', () => {
  let bin: FakeBin
  beforeEach(() => {
    bin = createFakeBin()
    bin.add('systemctl', FAKE_SYSTEMCTL)
  })
  afterEach(() => bin.cleanup())
  const seed = async (name: string, state: string, enabled?: string) => {
    const runner = createCommandRunner({ path: '/usr/bin:/bin' })
    await runner.run('sh', ['-c', `echo ${state} > "$0/svc-${name}"${enabled ? `; echo ${enabled} > "$0/enabled-${name}"` : ''}`, bin.state], { timeoutMs: 5_000, maxOutputBytes: 1024 })
  }
  const provider = () => createSystemdServiceProvider({ runner: createCommandRunner({ path: bin.dir }), path: bin.dir })

  it('reads status from systemctl show', async () => {
    await seed('nginx', 'active')
    await seed('cron', 'failed', 'disabled')
    await seed('dbus', 'inactive', 'static')
    await seed('odd', 'activating', 'generated')
    const s = provider()
    expect(await s.status('nginx')).toEqual({ name: 'nginx', status: 'running', enabled: 'enabled' })
    expect(await s.status('cron')).toEqual({ name: 'cron', status: 'stopped', enabled: 'disabled' })
    expect(await s.status('dbus')).toEqual({ name: 'dbus', status: 'stopped', enabled: 'static' })
    expect(await s.status('missing')).toEqual({ name: 'missing', status: 'unknown', enabled: 'unknown' })
    // 'generated' asks is-enabled, which (here) says generated again: still enabled.
    expect(await s.status('odd')).toEqual({ name: 'odd', status: 'unknown', enabled: 'enabled' })
    expect(bin.calls()[0]).toBe('systemctl [show] [nginx] [--property=ActiveState,UnitFileState,LoadState]')
  })

  it('starts, stops, restarts and reloads with systemctl, then re-reads', async () => {
    await seed('nginx', 'inactive')
    const s = provider()
    expect(await s.start('nginx')).toMatchObject({ name: 'nginx', status: 'running', enabled: 'enabled', exitCode: 0 })
    expect(await s.stop('nginx')).toMatchObject({ status: 'stopped', exitCode: 0 })
    expect(await s.restart('nginx')).toMatchObject({ status: 'running' })
    expect(await s.reload('nginx')).toMatchObject({ status: 'running' })
    expect(bin.calls().filter((c) => !c.includes('[show]'))).toEqual([
      'systemctl [start] [nginx]',
      'systemctl [stop] [nginx]',
      'systemctl [restart] [nginx]',
      'systemctl [reload] [nginx]',
    ])
  })

  it('refuses to change a unit that does not exist', async () => {
    await expect(provider().start('missing')).rejects.toMatchObject({ code: 'MCSH_SERVICE_UNKNOWN' })
    expect(bin.calls().filter((c) => !c.includes('[show]'))).toEqual([])
  })

  it('reports a failed start with systemctl stderr', async () => {
    await seed('broken', 'inactive')
    const err = await provider().start('broken').catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'MCSH_SERVICE_FAILED' })
    expect((err as Error).message).toMatch(/systemctl start broken failed \(exit 1\): Job for broken.service failed/)
  })

  it('refuses bad names before running anything', async () => {
    const s = provider()
    for (const bad of ['a b', 'x;reboot', '-H', '', '..', 'a/b', '$(id)']) {
      await expect(s.status(bad)).rejects.toMatchObject({ code: 'MCSH_INVALID_SERVICE' })
      await expect(s.restart(bad)).rejects.toMatchObject({ code: 'MCSH_INVALID_SERVICE' })
    }
    expect(bin.calls()).toEqual([])
  })

  it('is chosen when systemd is PID 1 and systemctl is on PATH', () => {
    expect(detectServiceProvider({ runner: createCommandRunner({ path: bin.dir }), path: bin.dir, systemdBooted: true }).name).toBe('systemd')
    expect(detectServiceProvider({ runner: createCommandRunner({ path: bin.dir }), path: bin.dir, systemdBooted: false }).name).toBe('sysv')
    expect(createRealHost({ path: bin.dir, systemdBooted: true }).services.name).toBe('systemd')
  })
})

describe('sysv provider against a fake service command', () => {
  let bin: FakeBin
  beforeEach(() => {
    bin = createFakeBin()
    bin.add('service', FAKE_SERVICE)
  })
  afterEach(() => bin.cleanup())
  const seed = async (name: string, state: string) => {
    await createCommandRunner({ path: '/usr/bin:/bin' }).run('sh', ['-c', `echo ${state} > "$0/svc-${name}"`, bin.state], { timeoutMs: 5_000, maxOutputBytes: 1024 })
  }

  it('reads status from the exit code of service NAME status and changes with service NAME VERB', async () => {
    await seed('nginx', 'inactive')
    const host = createRealHost({ path: bin.dir })
    const s = host.services
    expect(s.name).toBe('sysv')
    expect(await s.status('nginx')).toEqual({ name: 'nginx', status: 'stopped', enabled: 'unknown' })
    expect(await s.start('nginx')).toMatchObject({ name: 'nginx', status: 'running', enabled: 'unknown', exitCode: 0, output: 'Starting nginx.' })
    expect(await s.reload('nginx')).toMatchObject({ status: 'running' })
    expect(await s.stop('nginx')).toMatchObject({ status: 'stopped' })
    expect(await s.restart('nginx')).toMatchObject({ status: 'running' })
    expect(await s.status('missing')).toEqual({ name: 'missing', status: 'unknown', enabled: 'unknown' })
    expect(bin.calls()).toEqual([
      'service [nginx] [status]',
      'service [nginx] [start]',
      'service [nginx] [status]',
      'service [nginx] [reload]',
      'service [nginx] [status]',
      'service [nginx] [stop]',
      'service [nginx] [status]',
      'service [nginx] [restart]',
      'service [nginx] [status]',
      'service [missing] [status]',
    ])
  })

  it('reports unknown services and failures', async () => {
    await seed('broken', 'inactive')
    const s = createSysvServiceProvider({ runner: createCommandRunner({ path: bin.dir }), path: bin.dir })
    await expect(s.start('missing')).rejects.toMatchObject({ code: 'MCSH_SERVICE_UNKNOWN' })
    await expect(s.start('broken')).rejects.toThrow(/service broken start failed \(exit 1\): Starting broken: failed!/)
  })

  it('takes enablement from systemctl is-enabled when systemctl is installed', async () => {
    bin.add('systemctl', FAKE_SYSTEMCTL)
    await seed('nginx', 'active')
    const s = createSysvServiceProvider({ runner: createCommandRunner({ path: bin.dir }), path: bin.dir })
    expect(await s.status('nginx')).toEqual({ name: 'nginx', status: 'running', enabled: 'enabled' })
    expect(bin.calls()).toContain('systemctl [is-enabled] [nginx]')
  })

  it('runs /etc/init.d-style scripts directly when there is no service command', async () => {
    const init = createFakeBin()
    try {
      init.add('app', 'case "$1" in status) exit 3;; start) echo started;; esac')
      const s = createSysvServiceProvider({ runner: createCommandRunner({ path: bin.dir }), path: '/nonexistent', initDir: init.dir })
      expect(await s.status('app')).toEqual({ name: 'app', status: 'stopped', enabled: 'unknown' })
      expect(await s.start('app')).toMatchObject({ exitCode: 0, output: 'started' })
      await expect(s.start('nothere')).rejects.toMatchObject({ code: 'MCSH_SERVICE_UNKNOWN' })
      expect(init.calls()).toEqual(['app [status]', 'app [start]', 'app [status]'])
    } finally {
      init.cleanup()
    }
  })
})

describe('on this machine (read-only)', () => {
  it('picks a provider and reads a status without changing anything', async () => {
    const host = createRealHost()
    expect(['systemd', 'sysv']).toContain(host.services.name)
    if (findExecutable('service', process.env.PATH) === undefined && host.services.name === 'sysv') return
    const s = await host.services.status('mcsh-no-such-service')
    expect(s).toEqual({ name: 'mcsh-no-such-service', status: 'unknown', enabled: 'unknown' })
  })

  it('maps is-enabled words', () => {
    expect(['enabled', 'alias', 'static', 'disabled', 'masked', 'bad', ''].map(mapEnablement)).toEqual(['enabled', 'enabled', 'static', 'disabled', 'disabled', 'unknown', 'unknown'])
  })
})
