import { onHost } from '../../src/agents/host-errors.js'
import { defineAgent, RpcError, type ActionContext, type ActionOutputs } from '../../src/agents/define.js'
import type { FileInfo } from '../../src/host/types.js'
import { Status } from '../../src/protocol/status.js'

function describeFile(path: string, info: FileInfo, hashes: boolean): ActionOutputs {
  const out: ActionOutputs = {
    name: path,
    present: info.present,
    type: info.type,
    size: info.size,
    mode: info.mode,
    owner: info.owner,
    group: info.group,
    mtime: info.mtime,
  }
  if (hashes) {
    out.md5 = info.md5
    out.sha256 = info.sha256
  }
  return out
}

function statusOf(ctx: ActionContext, path: string, hashes: boolean): Promise<FileInfo> {
  return onHost(`cannot inspect ${path}`, () => ctx.host.files.status(path, { hashes }))
}

export default defineAgent({
  ddl: 'filemgr',
  actions: {
    status: async ({ file, hashes }, ctx) => {
      const withHashes = hashes !== false
      return describeFile(file, await statusOf(ctx, file, withHashes), withHashes)
    },

    touch: async ({ file }, ctx) => {
      const before = await statusOf(ctx, file, false)
      const after = await onHost(`cannot touch ${file}`, () => ctx.host.files.touch(file))
      if (!after.present) throw new RpcError(Status.Aborted, `touched ${file} but it does not exist afterwards`)
      return { ...describeFile(file, after, false), output: before.present ? 'touched' : 'created' }
    },

    remove: async ({ file }, ctx) => {
      const before = await statusOf(ctx, file, false)
      if (!before.present) return { name: file, present: false, output: 'not present' }
      // Removing whole trees from a fleet-wide command is too easy to get wrong.
      if (before.type === 'directory') throw new RpcError(Status.Aborted, `cannot remove ${file}: it is a directory, and filemgr removes files only`)
      const after = await onHost(`cannot remove ${file}`, () => ctx.host.files.remove(file))
      if (after.present) throw new RpcError(Status.Aborted, `removed ${file} but it still exists`)
      return { name: file, present: false, output: 'removed' }
    },
  },
})
