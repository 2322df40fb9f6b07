import { join } from 'node:path'
import { loadDdlFile, type ActionDdl, type Ddl } from '../ddl/index.js'
import { packageRoot } from '../util/package-root.js'
import { dataPlugins } from './plugins.js'

let loading: Promise<Map<string, Ddl>> | undefined

/** The DDLs of the built-in data plugins (`src/data/NAME.ddl.json5`): descriptions, query validation, outputs. */
export function dataPluginDdls(): Promise<Map<string, Ddl>> {
  loading ??= (async () => {
    const out = new Map<string, Ddl>()
    for (const name of Object.keys(dataPlugins)) out.set(name, await loadDdlFile(join(packageRoot(), 'src', 'data', `${name}.ddl.json5`)))
    return out
  })()
  return loading
}

export async function dataQueryDdl(name: string): Promise<ActionDdl | undefined> {
  return (await dataPluginDdls()).get(name)?.actions.query
}
