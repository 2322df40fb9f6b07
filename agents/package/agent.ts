import { createHash } from 'node:crypto'
import { onHost, tail } from '../../src/agents/host-errors.js'
import { defineAgent, RpcError, type ActionContext, type ActionOutputs } from '../../src/agents/define.js'
import type { ChangeResult, PackageInfo } from '../../src/host/types.js'
import { Status } from '../../src/protocol/status.js'
import { errorMessage } from '../../src/util/errors.js'

function ensureOf(info: PackageInfo): string {
  if (!info.installed) return 'absent'
  return info.version ?? 'present'
}

function describePackage(info: PackageInfo): ActionOutputs {
  return { name: info.name, ensure: ensureOf(info), status: info.status, installed: info.installed, version: info.version, arch: info.arch }
}

/**
 * md5 of the sorted `name version arch` lines (arch left out when unknown), each ending in a newline:
 * the same as `dpkg-query -W -f '${Package} ${Version} ${Architecture}\n' | LC_ALL=C sort | md5sum`.
 */
export function packageSetMd5(list: ReadonlyArray<{ name: string; version: string; arch: string | null }>): string {
  const lines = list.map((p) => (p.arch ? `${p.name} ${p.version} ${p.arch}` : `${p.name} ${p.version}`))
  lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return createHash('md5').update(lines.map((l) => `${l}\n`).join('')).digest('hex')
}

type Change = 'install' | 'update' | 'uninstall' | 'purge'

/** Runs a change and checks both the tool's exit code and that the package ended where it should. */
async function change(ctx: ActionContext, kind: Change, name: string, run: () => Promise<PackageInfo & ChangeResult>): Promise<ActionOutputs> {
  const result = await onHost(`cannot ${kind} package ${name}`, run)
  if (result.exitCode !== 0)
    throw new RpcError(Status.Aborted, `${kind} of package ${name} failed (${ctx.host.packages.name} exit code ${result.exitCode}): ${tail(result.output)}`)
  const wantInstalled = kind === 'install' || kind === 'update'
  if (result.installed !== wantInstalled)
    throw new RpcError(
      Status.Aborted,
      `${kind} of package ${name} reported success but the package is ${result.installed ? 'still installed' : 'not installed'} (status ${result.status}): ${tail(result.output)}`,
    )
  return { ...describePackage(result), output: result.output }
}

export default defineAgent({
  ddl: 'package',
  actions: {
    status: async ({ package: name }, ctx) => {
      const info = await onHost(`cannot read the status of package ${name}`, () => ctx.host.packages.status(name))
      let count: number | null = null
      let md5: string | null = null
      try {
        const list = await ctx.host.packages.list()
        count = list.length
        md5 = packageSetMd5(list)
      } catch (e) {
        // The package's own status is the answer; the fleet-wide fingerprint is a bonus.
        ctx.logger.warn('cannot list installed packages', { error: errorMessage(e) })
      }
      return { ...describePackage(info), count, md5 }
    },

    install: async ({ package: name, version }, ctx) => {
      const wanted = typeof version === 'string' ? version : undefined
      const before = await onHost(`cannot read the status of package ${name}`, () => ctx.host.packages.status(name))
      if (before.installed && (wanted === undefined || before.version === wanted))
        return { ...describePackage(before), output: `already installed (${ensureOf(before)})` }
      return change(ctx, 'install', name, () => ctx.host.packages.install(name, wanted))
    },

    update: ({ package: name }, ctx) => change(ctx, 'update', name, () => ctx.host.packages.update(name)),

    uninstall: async ({ package: name }, ctx) => {
      const before = await onHost(`cannot read the status of package ${name}`, () => ctx.host.packages.status(name))
      if (!before.installed) return { ...describePackage(before), output: 'not installed' }
      return change(ctx, 'uninstall', name, () => ctx.host.packages.uninstall(name))
    },

    purge: async ({ package: name }, ctx) => {
      const before = await onHost(`cannot read the status of package ${name}`, () => ctx.host.packages.status(name))
      if (!before.installed && before.status === 'absent') return { ...describePackage(before), output: 'not installed' }
      return change(ctx, 'purge', name, () => ctx.host.packages.purge(name))
    },
  },
})
