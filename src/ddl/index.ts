export type {
  ActionDdl,
  AggregateDdl,
  AggregateFunction,
  AggregateResult,
  Ddl,
  DdlMetadata,
  DisplayMode,
  InputDdl,
  InputType,
  OutputDdl,
  OutputType,
} from './types.js'
export { AGGREGATE_FUNCTIONS, DISPLAY_MODES, INPUT_TYPES, NAME_PATTERN, OUTPUT_TYPES } from './types.js'
export { loadDdlFile, parseDdlText } from './load.js'
export { parseDdl } from './schema.js'
export { InputError, coerceInputs, problemWith, validateInputs } from './inputs.js'
export { checkFormat, computeAggregates, formatValue } from './aggregate.js'
export { NAMED_VALIDATORS, NAMED_VALIDATOR_NAMES, checkValidation, describeValidation, passesValidation } from './validators.js'
export type { NamedValidator } from './validators.js'
export { closestMatch } from './suggest.js'
