export { emptyFilter } from './types.js'
export type { FactOperator, FactTerm, Filter, NodeInventory } from './types.js'
export {
  FilterSyntaxError,
  formatFilterError,
  formatCompound,
  formatLiteral,
  formatRegex,
  parseCompound,
  regexLiteralOf,
  MAX_COMPOUND_DEPTH,
} from './compound.js'
export type {
  AndExpression,
  CompoundExpression,
  DataComparison,
  FactComparison,
  Literal,
  NameTerm,
  NotExpression,
  OrExpression,
  RegexLiteral,
  TextLiteral,
} from './compound.js'
export {
  addFilterTerm,
  combineFilters,
  FACT_OPERATORS,
  FILTER_LIMITS,
  filterIsEmpty,
  parseAgentTerm,
  parseClassTerm,
  parseFactTerm,
  parseIdentityTerm,
  parseWithFilter,
  validateFilter,
} from './parse.js'
export type { FilterTermKind } from './parse.js'
export { compileCompound, compileFilter, evaluateCompound, matchFilter } from './match.js'
export type { CompiledFilter, MatchContext } from './match.js'
export {
  cachedSafeRegex,
  compileSafeRegex,
  MAX_PROGRAM_STATES,
  MAX_REPEAT,
  MAX_SUBJECT_LENGTH,
  SafeRegexError,
} from './safe-regex.js'
export type { SafeRegex } from './safe-regex.js'
export { describeFilter, summarizeFilter } from './describe.js'
