export type { Config, SecurityConfig, FactCommandConfig } from './types.js'
export { defaultConfig, defaultCallerId } from './defaults.js'
export { loadConfig, applyConfigText, applyEnv, closest } from './load.js'
export { parseBrokerUrl, parseBrokerPool, type BrokerAddress } from './broker-url.js'
