export { dataPlugins, type DataPlugin, type DataContext, type DataValue } from './plugins.js'
export { dataCalls, resolveDataLookups, type DataCall } from './resolve.js'
export { dataPluginDdls, dataQueryDdl } from './ddl.js'
