import { parseCompound, type CompoundExpression, type MatchContext } from '../filter/index.js'
import type { Filter } from '../filter/types.js'
import { validateInputs } from '../ddl/index.js'
import { errorMessage } from '../util/errors.js'
import { dataQueryDdl } from './ddl.js'
import { dataPlugins, type DataContext, type DataPlugin, type DataValue } from './plugins.js'

export interface DataCall {
  name: string
  args: string[]
}

const callsBySource = new Map<string, DataCall[]>()

/** The data plugin calls in a filter's compound expressions (cached by source text). */
export function dataCalls(filter: Filter): DataCall[] {
  const out: DataCall[] = []
  for (const source of filter.compound) {
    let calls = callsBySource.get(source)
    if (!calls) {
      calls = []
      try {
        collect(parseCompound(source), calls)
      } catch {
        // a bad compound is reported by the matcher
      }
      if (callsBySource.size > 1000) callsBySource.clear()
      callsBySource.set(source, calls)
    }
    out.push(...calls)
  }
  return out
}

function collect(e: CompoundExpression, out: DataCall[]): void {
  switch (e.kind) {
    case 'and':
    case 'or':
      for (const t of e.terms) collect(t, out)
      return
    case 'not':
      collect(e.term, out)
      return
    case 'data':
      if (!out.some((c) => c.name === e.name && c.args.join('\0') === e.args.join('\0'))) out.push({ name: e.name, args: e.args })
      return
    default:
      return
  }
}

/**
 * Runs the filter's data queries (in parallel, each bounded by `timeoutMs`) and returns the matcher's
 * synchronous lookup. A failing, slow or unknown query answers undefined, so its term is false: a
 * node that cannot tell does not act.
 */
export async function resolveDataLookups(filter: Filter, ctx: DataContext, o: { timeoutMs: number; onError?: (call: DataCall, message: string) => void }): Promise<MatchContext | undefined> {
  const calls = dataCalls(filter)
  if (calls.length === 0) return undefined
  const results = new Map<string, { plugin: DataPlugin; values: Record<string, DataValue> } | undefined>()
  await Promise.all(
    calls.map(async (call) => {
      const key = `${call.name}\0${call.args.join('\0')}`
      const plugin = (dataPlugins as Record<string, DataPlugin | undefined>)[call.name]
      if (!plugin || call.args.length !== 1) {
        o.onError?.(call, plugin ? `${call.name}() takes one argument` : `no data plugin '${call.name}'; available: ${Object.keys(dataPlugins).join(', ')}`)
        results.set(key, undefined)
        return
      }
      let timer: NodeJS.Timeout | undefined
      try {
        const ddl = await dataQueryDdl(call.name)
        if (ddl) validateInputs(ddl, { query: call.args[0] })
        const values = await Promise.race([
          plugin.query(call.args[0] as string, ctx),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${o.timeoutMs} ms`)), o.timeoutMs))),
        ])
        results.set(key, { plugin, values })
      } catch (e) {
        o.onError?.(call, errorMessage(e))
        results.set(key, undefined)
      } finally {
        clearTimeout(timer)
      }
    }),
  )
  return {
    dataLookup(name, args, field) {
      const r = results.get(`${name}\0${args.join('\0')}`)
      if (!r) return undefined
      const v = r.values[field ?? r.plugin.defaultField]
      return v === null ? undefined : v
    },
  }
}
