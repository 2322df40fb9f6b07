import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createCommandRunner, findExecutable } from '../../../src/host/real/commands.js'
import { createRealHost } from '../../../src/host/real/index.js'
import { createDpkgProvider, createRpmProvider, parseDpkgStatus } from '../../../src/host/real/packages.js'
import { createFakeBin, type FakeBin } from './real-fakes.js'

const STATUS_FORMAT = String.raw`-f=${'$'}{Status}\t${'$'}{Version}\t${'$'}{Architecture}\n`
const LIST_FORMAT = String.raw`-f=${'$'}{Package}\t${'$'}{Version}\t${'$'}{Architecture}\t${'$'}{Status}\n`
const RPM_FORMAT = String.raw`%{NAME}\t%{VERSION}-%{RELEASE}\t%{ARCH}\n`

const FAKE_DPKG_QUERY = String.raw`
if [ "$#" -eq 2 ]; then
  for f in "$STATE"/pkg-*; do [ -e "$f" ] || continue; n=${'$'}{f##*/pkg-}; printf '%s\t%s\tamd64\tinstall ok installed\n' "$n" "$(cat "$f")"; done
  for f in "$STATE"/conf-*; do [ -e "$f" ] || continue; n=${'$'}{f##*/conf-}; printf '%s\t1.0\tamd64\tdeinstall ok config-files\n' "$n"; done
  exit 0
fi
name="$3"
if [ -e "$STATE/pkg-$name" ]; then printf 'install ok installed\t%s\tamd64\n' "$(cat "$STATE/pkg-$name")"; exit 0; fi
if [ -e "$STATE/conf-$name" ]; then printf 'deinstall ok config-files\t1.0\tamd64\n'; exit 0; fi
echo "dpkg-query: no packages found matching $name" >&2
exit 1
`

const FAKE_APT_GET = String.raw`
echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND LANG=$LANG LC_ALL=$LC_ALL" >> "$LOG_ENV"
while [ "$1" = -o ]; do shift 2; done
last=""; for a in "$@"; do last="$a"; done
case "$last" in broken*) echo "Reading package lists..."; echo "W: some warning" >&2; echo "E: Unable to locate package $last" >&2; exit 100;; esac
case "$1" in
  install)
    if [ "$4" = --only-upgrade ]; then echo 2.0 > "$STATE/pkg-$last"; echo "Unpacking $last (2.0) ..."
    else
      name=${'$'}{last%%=*}; ver=1.0
      case "$last" in *=*) ver=${'$'}{last#*=};; esac
      echo "$ver" > "$STATE/pkg-$name"; rm -f "$STATE/conf-$name"; echo "Setting up $name ($ver) ..."
    fi;;
  remove) if [ -e "$STATE/pkg-$last" ]; then rm -f "$STATE/pkg-$last"; : > "$STATE/conf-$last"; fi; echo "Removing $last ...";;
  purge) rm -f "$STATE/pkg-$last" "$STATE/conf-$last"; echo "Purging configuration files for $last ...";;
esac
exit 0
`

describe.skipIf(findExecutable('dpkg-query', process.env.PATH) === undefined)('dpkg provider on this machine (read-only)', () => {
  const dpkg = createDpkgProvider({ runner: createCommandRunner(), path: process.env.PATH ?? '' })

  it('reads an installed package', async () => {
    const p = await dpkg.status('dpkg')
    expect(p).toMatchObject({ name: 'dpkg', status: 'installed', installed: true })
    expect(p.version).toMatch(/^\d/)
    expect(p.arch).toMatch(/^[a-z0-9]+$/)
  })

  it('reads an absent package', async () => {
    expect(await dpkg.status('mcsh-no-such-package-xyz')).toEqual({ name: 'mcsh-no-such-package-xyz', status: 'absent', installed: false, version: null, arch: null })
  })

  it('lists installed packages', async () => {
    const list = await dpkg.list()
    expect(list.length).toBeGreaterThan(100)
    expect(list.find((p) => p.name === 'dpkg')).toMatchObject({ name: 'dpkg', version: expect.stringMatching(/^\d/) })
  })

  it('is what createRealHost picks here', () => {
    const host = createRealHost()
    expect(host.simulated).toBe(false)
    expect(host.packages.name).toBe(findExecutable('apt-get', process.env.PATH) ? 'dpkg' : expect.any(String))
  })
})

describe('dpkg provider against fake dpkg-query and apt-get', () => {
  let bin: FakeBin
  beforeEach(() => {
    bin = createFakeBin()
    bin.add('dpkg-query', FAKE_DPKG_QUERY)
    bin.add('apt-get', FAKE_APT_GET)
  })
  afterEach(() => bin.cleanup())
  const provider = (changeTimeoutMs?: number) =>
    createDpkgProvider({ runner: createCommandRunner({ path: bin.dir }), path: bin.dir, ...(changeTimeoutMs ? { changeTimeoutMs } : {}) })

  it('installs, with and without a version, and re-reads the status', async () => {
    const dpkg = provider()
    const r = await dpkg.install('nginx')
    expect(r).toMatchObject({ name: 'nginx', status: 'installed', installed: true, version: '1.0', arch: 'amd64', exitCode: 0 })
    expect(r.output).toContain('Setting up nginx (1.0) ...')
    const v = await dpkg.install('redis-server', '5:7.0.11-1')
    expect(v).toMatchObject({ installed: true, version: '5:7.0.11-1' })
    expect(bin.calls()).toEqual([
      'apt-get [-o] [Dpkg::Options::=--force-confdef] [-o] [Dpkg::Options::=--force-confold] [-o] [DPkg::Lock::Timeout=60] [install] [-y] [-q] [nginx]',
      `dpkg-query [-W] [${STATUS_FORMAT}] [nginx]`,
      'apt-get [-o] [Dpkg::Options::=--force-confdef] [-o] [Dpkg::Options::=--force-confold] [-o] [DPkg::Lock::Timeout=60] [install] [-y] [-q] [redis-server=5:7.0.11-1]',
      `dpkg-query [-W] [${STATUS_FORMAT}] [redis-server]`,
    ])
    expect(bin.envLines()).toEqual(['DEBIAN_FRONTEND=noninteractive LANG=C LC_ALL=C', 'DEBIAN_FRONTEND=noninteractive LANG=C LC_ALL=C'])
  })

  it('updates only an installed package', async () => {
    const dpkg = provider()
    await expect(dpkg.update('nginx')).rejects.toMatchObject({ code: 'MCSH_PACKAGE_ABSENT' })
    await dpkg.install('nginx')
    expect(await dpkg.update('nginx')).toMatchObject({ installed: true, version: '2.0', exitCode: 0 })
    expect(bin.calls().filter((c) => c.startsWith('apt-get'))).toEqual(['apt-get [-o] [Dpkg::Options::=--force-confdef] [-o] [Dpkg::Options::=--force-confold] [-o] [DPkg::Lock::Timeout=60] [install] [-y] [-q] [nginx]', 'apt-get [-o] [Dpkg::Options::=--force-confdef] [-o] [Dpkg::Options::=--force-confold] [-o] [DPkg::Lock::Timeout=60] [install] [-y] [-q] [--only-upgrade] [nginx]'])
  })

  it('uninstalls (config files stay) and purges', async () => {
    const dpkg = provider()
    await dpkg.install('nginx')
    expect(await dpkg.uninstall('nginx')).toMatchObject({ status: 'config-files', installed: false, exitCode: 0 })
    expect((await dpkg.list()).map((p) => p.name)).toEqual([])
    expect(await dpkg.purge('nginx')).toMatchObject({ status: 'absent', installed: false, version: null, exitCode: 0 })
    expect(bin.calls().filter((c) => c.startsWith('apt-get'))).toEqual([
      'apt-get [-o] [Dpkg::Options::=--force-confdef] [-o] [Dpkg::Options::=--force-confold] [-o] [DPkg::Lock::Timeout=60] [install] [-y] [-q] [nginx]',
      'apt-get [-o] [Dpkg::Options::=--force-confdef] [-o] [Dpkg::Options::=--force-confold] [-o] [DPkg::Lock::Timeout=60] [remove] [-y] [-q] [nginx]',
      'apt-get [-o] [Dpkg::Options::=--force-confdef] [-o] [Dpkg::Options::=--force-confold] [-o] [DPkg::Lock::Timeout=60] [purge] [-y] [-q] [nginx]',
    ])
  })

  it('lists installed packages only, with the exact query', async () => {
    const dpkg = provider()
    await dpkg.install('zsh')
    await dpkg.install('bash', '5.2')
    await dpkg.install('old')
    await dpkg.uninstall('old')
    expect(await dpkg.list()).toEqual([
      { name: 'bash', version: '5.2', arch: 'amd64' },
      { name: 'zsh', version: '1.0', arch: 'amd64' },
    ])
    expect(bin.calls().at(-1)).toBe(`dpkg-query [-W] [${LIST_FORMAT}]`)
  })

  it('turns a failing apt-get into an error with its last stderr lines', async () => {
    const err = await provider().install('broken-pkg').catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'MCSH_PACKAGE_FAILED' })
    expect((err as Error).message).toMatch(/apt-get (-o \S+ )+install -y -q broken-pkg failed \(exit 100\): W: some warning\nE: Unable to locate package broken-pkg/)
  })

  it('times out a hanging apt-get', async () => {
    bin.add('apt-get', 'sleep 30')
    const err = await provider(300).install('nginx').catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'MCSH_PACKAGE_FAILED' })
    expect((err as Error).message).toMatch(/timed out after 0.3 s/)
  })

  it('refuses bad names and versions before running anything', async () => {
    const dpkg = provider()
    for (const bad of ['-rf', 'a b', 'x;reboot', '$(id)', '', 'a/b', '*']) {
      await expect(dpkg.status(bad)).rejects.toMatchObject({ code: 'MCSH_INVALID_PACKAGE' })
      await expect(dpkg.install(bad)).rejects.toMatchObject({ code: 'MCSH_INVALID_PACKAGE' })
    }
    await expect(dpkg.install('nginx', '1.0 --allow-downgrades')).rejects.toMatchObject({ code: 'MCSH_INVALID_PACKAGE' })
    await expect(dpkg.install('nginx', '-1')).rejects.toMatchObject({ code: 'MCSH_INVALID_PACKAGE' })
    expect(bin.calls()).toEqual([])
  })

  it('runs changes one at a time', async () => {
    bin.add('apt-get', `[ -e "$STATE/lock" ] && { echo "E: Could not get lock" >&2; exit 100; }\n: > "$STATE/lock"; sleep 0.2; rm -f "$STATE/lock"\n${FAKE_APT_GET}`)
    const dpkg = provider()
    const all = await Promise.all(['a', 'b', 'c'].map((n) => dpkg.install(n)))
    expect(all.map((r) => r.installed)).toEqual([true, true, true])
  })

  it('is chosen by createRealHost when dpkg-query and apt-get are on PATH', () => {
    expect(createRealHost({ path: bin.dir }).packages.name).toBe('dpkg')
  })
})

describe('dpkg status words', () => {
  it('maps them', () => {
    expect(parseDpkgStatus('x', 'install ok half-installed\t1.0\tamd64\n')).toMatchObject({ status: 'half-installed', installed: false, version: '1.0' })
    expect(parseDpkgStatus('x', 'install ok triggers-pending\t1.0\tamd64\n')).toMatchObject({ status: 'triggers-pending', installed: true })
    expect(parseDpkgStatus('x', 'unknown ok not-installed\t\t\n')).toEqual({ name: 'x', status: 'absent', installed: false, version: null, arch: null })
    expect(parseDpkgStatus('x', 'deinstall ok config-files\t1.0\ti386\ninstall ok installed\t1.1\tamd64\n')).toMatchObject({ status: 'installed', version: '1.1', arch: 'amd64' })
  })
})

const FAKE_RPM = String.raw`
if [ "$1" = -qa ]; then
  for f in "$STATE"/pkg-*; do [ -e "$f" ] || continue; n=${'$'}{f##*/pkg-}; printf '%s\t%s\tx86_64\n' "$n" "$(cat "$f")"; done
  printf 'gpg-pubkey\t3228467c-613798eb\t(none)\n'
  exit 0
fi
name="$4"
if [ -e "$STATE/pkg-$name" ]; then printf '%s\t%s\tx86_64\n' "$name" "$(cat "$STATE/pkg-$name")"; exit 0; fi
echo "package $name is not installed"
exit 1
`

const FAKE_DNF = String.raw`
name="$3"
case "$name" in broken*) echo "Error: Unable to find a match: $name" >&2; exit 1;; esac
case "$2" in
  install) ver=1.0-1.el9; base="$name"; case "$name" in *-[0-9]*) base=${'$'}{name%%-[0-9]*}; ver=${'$'}{name#"$base"-};; esac; echo "$ver" > "$STATE/pkg-$base";;
  upgrade) echo 2.0-1.el9 > "$STATE/pkg-$name";;
  remove) rm -f "$STATE/pkg-$name";;
esac
echo "Complete!"
`

describe('rpm provider against fake rpm and dnf/yum', () => {
  let bin: FakeBin
  beforeEach(() => {
    bin = createFakeBin()
    bin.add('rpm', FAKE_RPM)
    bin.add('dnf', FAKE_DNF)
  })
  afterEach(() => bin.cleanup())
  const provider = () => createRpmProvider({ runner: createCommandRunner({ path: bin.dir }), path: bin.dir })

  it('reads status with rpm -q and changes with dnf', async () => {
    const rpm = provider()
    expect(await rpm.status('nginx')).toEqual({ name: 'nginx', status: 'absent', installed: false, version: null, arch: null })
    expect(await rpm.install('nginx')).toMatchObject({ status: 'installed', installed: true, version: '1.0-1.el9', arch: 'x86_64', exitCode: 0, output: 'Complete!' })
    expect(await rpm.install('redis', '7.0.11-1.el9')).toMatchObject({ installed: true, version: '7.0.11-1.el9' })
    expect(await rpm.update('nginx')).toMatchObject({ version: '2.0-1.el9' })
    expect(await rpm.list()).toEqual([
      { name: 'gpg-pubkey', version: '3228467c-613798eb', arch: null },
      { name: 'nginx', version: '2.0-1.el9', arch: 'x86_64' },
      { name: 'redis', version: '7.0.11-1.el9', arch: 'x86_64' },
    ])
    expect(await rpm.uninstall('nginx')).toMatchObject({ status: 'absent', installed: false, exitCode: 0 })
    expect(await rpm.purge('redis')).toMatchObject({ status: 'absent', installed: false, exitCode: 0 })
    const calls = bin.calls()
    expect(calls[0]).toBe(`rpm [-q] [--qf] [${RPM_FORMAT}] [nginx]`)
    expect(calls.filter((c) => c.startsWith('dnf'))).toEqual([
      'dnf [-y] [install] [nginx]',
      'dnf [-y] [install] [redis-7.0.11-1.el9]',
      'dnf [-y] [upgrade] [nginx]',
      'dnf [-y] [remove] [nginx]',
      'dnf [-y] [remove] [redis]',
    ])
    expect(calls).toContain(`rpm [-qa] [--qf] [${RPM_FORMAT}]`)
  })

  it('uses yum when there is no dnf, and reports its errors', async () => {
    bin.cleanup()
    bin = createFakeBin()
    bin.add('rpm', FAKE_RPM)
    bin.add('yum', FAKE_DNF)
    const rpm = provider()
    expect(await rpm.install('nginx')).toMatchObject({ installed: true })
    expect(bin.calls()).toContain('yum [-y] [install] [nginx]')
    await expect(rpm.install('broken')).rejects.toThrow(/yum -y install broken failed \(exit 1\): Error: Unable to find a match: broken/)
  })

  it('says so when neither dnf nor yum is there', async () => {
    bin.cleanup()
    bin = createFakeBin()
    bin.add('rpm', FAKE_RPM)
    await expect(provider().install('nginx')).rejects.toThrow(/neither dnf nor yum is installed/)
  })

  it('is chosen by createRealHost when rpm and dnf are on PATH', () => {
    expect(createRealHost({ path: bin.dir }).packages.name).toBe('rpm')
  })
})

describe('no package manager', () => {
  it('says so on use', async () => {
    const bin = createFakeBin()
    try {
      const host = createRealHost({ path: bin.dir })
      expect(host.packages.name).toBe('none')
      await expect(host.packages.status('nginx')).rejects.toMatchObject({ code: 'MCSH_NO_PACKAGE_MANAGER' })
    } finally {
      bin.cleanup()
    }
  })
})
