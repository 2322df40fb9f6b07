export const INPUT_TYPES = ['string', 'number', 'integer', 'boolean', 'list', 'array', 'hash'] as const
export type InputType = (typeof INPUT_TYPES)[number]

/** Output types are informational (help, renderers); `list` makes no sense for a reply value. */
export const OUTPUT_TYPES = ['string', 'number', 'integer', 'boolean', 'array', 'hash'] as const
export type OutputType = (typeof OUTPUT_TYPES)[number]

export const DISPLAY_MODES = ['always', 'ok', 'failed'] as const
export type DisplayMode = (typeof DISPLAY_MODES)[number]

export const AGGREGATE_FUNCTIONS = ['summary', 'average', 'sum', 'min', 'max'] as const
export type AggregateFunction = (typeof AGGREGATE_FUNCTIONS)[number]

/** Agent, action, input and output names. */
export const NAME_PATTERN = /^[a-z][a-z0-9_]*$/

export interface Ddl {
  metadata: DdlMetadata
  actions: Record<string, ActionDdl>
  /** File path, or `'<inline>'` (or whatever origin the caller gave) for DDLs not read from disk. */
  source: string
}

export interface DdlMetadata {
  name: string
  description: string
  author: string
  version: string
  license: string
  url?: string
  timeoutSeconds: number
}

export interface ActionDdl {
  name: string
  /** The agent the action belongs to; set by `parseDdl`, used in messages ("run `help rpcutil get_fact`"). */
  agent?: string
  description: string
  display: DisplayMode
  inputs: Record<string, InputDdl>
  outputs: Record<string, OutputDdl>
  aggregate: AggregateDdl[]
}

export interface InputDdl {
  name: string
  prompt: string
  description: string
  type: InputType
  /** A named validator (see `NAMED_VALIDATORS`) or a regular expression source; strings and array elements only. */
  validation?: string
  optional: boolean
  default?: unknown
  /** Maximum length in characters of a string (or of each array element); 0 means unlimited. */
  maxlength: number
  /** The allowed values of a `list` input. */
  list?: unknown[]
  /** Redact the value in audit logs and error messages. */
  secret?: boolean
}

export interface OutputDdl {
  name: string
  description: string
  displayAs: string
  default?: unknown
  type?: string
}

export interface AggregateDdl {
  function: AggregateFunction
  /** The output the function reads (the single entry of `args` in the file). */
  output: string
  /** printf-like format for the result (see `formatValue`). */
  format?: string
}

export interface AggregateResult {
  function: AggregateFunction
  output: string
  displayAs: string
  /** average/sum/min/max; null for summary, or when no reply carried a numeric value. */
  value: number | null
  /** summary only: sorted by count descending, then value ascending. */
  counts?: Array<{ value: string; count: number }>
  /** "average: 12.50", or for summary one aligned "value = count" line per value. */
  formatted: string
}
