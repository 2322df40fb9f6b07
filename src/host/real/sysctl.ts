import { readFile } from 'node:fs/promises'
import { McshError, errorMessage } from '../../util/errors.js'
import type { SysctlProvider } from '../types.js'

const SYSCTL_NAME = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]*$/

export function checkSysctlName(name: string): string {
  if (typeof name !== 'string' || name.length > 256 || name.includes('..') || name.includes('/') || !SYSCTL_NAME.test(name))
    throw new McshError('MCSH_INVALID_SYSCTL', `invalid kernel parameter name '${String(name)}': dotted names like vm.swappiness only`)
  return name
}

/** Kernel parameters from /proc/sys: `vm.swappiness` is /proc/sys/vm/swappiness. */
export function createProcSysctlProvider(o: { root?: string } = {}): SysctlProvider {
  const root = o.root ?? '/proc/sys'
  return {
    get: async (rawName) => {
      const name = checkSysctlName(rawName)
      try {
        return (await readFile(`${root}/${name.replace(/\./g, '/')}`, 'utf8')).trim()
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        // A directory (`vm`) is a group of parameters, not one.
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined
        throw new McshError('MCSH_SYSCTL', `cannot read kernel parameter ${name}: ${errorMessage(e)}`, { cause: e })
      }
    },
  }
}
