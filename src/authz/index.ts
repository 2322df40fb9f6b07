export { evaluatePolicy, parsePolicy, PolicySyntaxError } from './policy.js'
export type { Decision, Effect, Policy, PolicyRule } from './policy.js'
export { Authorizer } from './authorizer.js'
export type { AuthorizerOptions } from './authorizer.js'
