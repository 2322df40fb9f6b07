import { McshError } from '../util/errors.js'
import { checkFormat } from './aggregate.js'
import { problemWith } from './inputs.js'
import { didYouMean } from './suggest.js'
import {
  AGGREGATE_FUNCTIONS,
  DISPLAY_MODES,
  INPUT_TYPES,
  NAME_PATTERN,
  OUTPUT_TYPES,
  type ActionDdl,
  type AggregateDdl,
  type Ddl,
  type DdlMetadata,
  type InputDdl,
  type InputType,
  type OutputDdl,
} from './types.js'
import { checkValidation } from './validators.js'

type Obj = Record<string, unknown>

const TOP_KEYS = ['metadata', 'actions']
const METADATA_KEYS = ['name', 'description', 'author', 'version', 'license', 'url', 'timeout']
const ACTION_KEYS = ['description', 'display', 'inputs', 'outputs', 'aggregate']
const INPUT_KEYS = ['prompt', 'description', 'type', 'validation', 'optional', 'default', 'maxlength', 'list', 'secret']
const OUTPUT_KEYS = ['description', 'display_as', 'default', 'type']
const AGGREGATE_KEYS = ['function', 'args', 'format']
const NAME_RULE = `must match ${NAME_PATTERN.source} (lower case letters, digits and _, starting with a letter)`

/**
 * Checks a parsed DDL file and normalizes it (snake_case file keys become camelCase fields, defaults
 * filled in). Collects every problem and throws one McshError('MCSH_DDL_INVALID') listing them, one
 * per line, each as `<origin>: <path in the file>: <what is wrong and what is expected>`.
 */
export function parseDdl(source: unknown, origin: string): Ddl {
  const checker = new Checker()
  const ddl = checker.ddl(source, origin)
  if (checker.problems.length > 0 || ddl === undefined) {
    throw new McshError('MCSH_DDL_INVALID', checker.problems.map((p) => `${origin}: ${p}`).join('\n'))
  }
  return ddl
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`
  const part = /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key)
  if (path === '') return part
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${part}` : `${path}[${part}]`
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object' && value !== null) return 'an object'
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 60 ? `${text.slice(0, 60)}…` : text
}

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

class Checker {
  readonly problems: string[] = []

  private fail(path: string, message: string): undefined {
    this.problems.push(`${path === '' ? '(top level)' : path}: ${message}`)
    return undefined
  }

  private expected(path: string, what: string, found: unknown, suggestion = ''): undefined {
    if (found === undefined) return this.fail(path, `missing; expected ${what}`)
    return this.fail(path, `expected ${what} but found ${describe(found)}${suggestion}`)
  }

  private object(path: string, value: unknown, keys: readonly string[], what: string): Obj | undefined {
    if (!isObj(value)) return this.expected(path, what, value)
    for (const key of Object.keys(value)) {
      if (keys.includes(key)) continue
      const hint = didYouMean(key, keys)
      this.fail(join(path, key), hint === '' ? `unknown key; expected one of ${keys.join(', ')}` : `unknown key${hint}`)
    }
    return value
  }

  /** Checks the names of a map's entries; returns the entries whose names are valid. */
  private named(path: string, value: unknown, kind: string): Array<[string, unknown]> | undefined {
    if (value === undefined) return []
    if (!isObj(value)) return this.expected(path, `an object of ${kind}s keyed by name`, value)
    return Object.entries(value).filter(([name]) => {
      if (NAME_PATTERN.test(name)) return true
      this.fail(join(path, name), `${kind} name ${NAME_RULE}`)
      return false
    })
  }

  private text(path: string, obj: Obj, key: string, required: boolean): string | undefined {
    const value = obj[key]
    if (value === undefined && !required) return undefined
    if (typeof value !== 'string' || value.trim() === '') return this.expected(join(path, key), 'a non-empty string', value)
    return value
  }

  private flag(path: string, obj: Obj, key: string): boolean {
    const value = obj[key]
    if (value === undefined) return false
    if (typeof value !== 'boolean') {
      this.expected(join(path, key), 'true or false', value)
      return false
    }
    return value
  }

  private oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[]): T | undefined {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T
    const hint = typeof value === 'string' ? didYouMean(value, allowed) : ''
    return this.expected(path, `one of ${allowed.join(', ')}`, value, hint)
  }

  ddl(source: unknown, origin: string): Ddl | undefined {
    const top = this.object('', source, TOP_KEYS, 'an object with metadata and actions')
    if (top === undefined) return undefined
    const metadata = this.metadata(top.metadata)
    const actions: Record<string, ActionDdl> = {}
    const entries = this.named('actions', top.actions, 'action')
    if (top.actions === undefined) this.expected('actions', 'an object with at least one action', undefined)
    else if (isObj(top.actions) && Object.keys(top.actions).length === 0) this.fail('actions', 'expected at least one action but found none')
    for (const [name, value] of entries ?? []) {
      const action = this.action(join('actions', name), name, value, metadata?.name)
      if (action !== undefined) actions[name] = action
    }
    if (metadata === undefined) return undefined
    return { metadata, actions, source: origin }
  }

  private metadata(value: unknown): DdlMetadata | undefined {
    const path = 'metadata'
    const obj = this.object(path, value, METADATA_KEYS, 'an object with name, description, author, version, license and timeout')
    if (obj === undefined) return undefined
    const before = this.problems.length
    let name = this.text(path, obj, 'name', true)
    if (name !== undefined && !NAME_PATTERN.test(name)) name = this.fail(join(path, 'name'), `agent name ${NAME_RULE} but found ${describe(name)}`)
    const description = this.text(path, obj, 'description', true)
    const author = this.text(path, obj, 'author', true)
    const version = this.text(path, obj, 'version', true)
    const license = this.text(path, obj, 'license', true)
    const url = this.text(path, obj, 'url', false)
    const timeout = obj.timeout
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
      this.expected(join(path, 'timeout'), 'a number of seconds greater than 0', timeout)
    }
    if (this.problems.length > before || name === undefined || description === undefined || author === undefined
      || version === undefined || license === undefined || typeof timeout !== 'number') return undefined
    return { name, description, author, version, license, ...(url === undefined ? {} : { url }), timeoutSeconds: timeout }
  }

  private action(path: string, name: string, value: unknown, agent: string | undefined): ActionDdl | undefined {
    const obj = this.object(path, value, ACTION_KEYS, 'an object with a description and the inputs, outputs and aggregate of the action')
    if (obj === undefined) return undefined
    const description = this.text(path, obj, 'description', true)
    const display = obj.display === undefined ? 'always' : this.oneOf(join(path, 'display'), obj.display, DISPLAY_MODES)
    const inputs: Record<string, InputDdl> = {}
    for (const [inputName, inputValue] of this.named(join(path, 'inputs'), obj.inputs, 'input') ?? []) {
      const input = this.input(join(join(path, 'inputs'), inputName), inputName, inputValue)
      if (input !== undefined) inputs[inputName] = input
    }
    const outputs: Record<string, OutputDdl> = {}
    const outputEntries = this.named(join(path, 'outputs'), obj.outputs, 'output')
    for (const [outputName, outputValue] of outputEntries ?? []) {
      const output = this.output(join(join(path, 'outputs'), outputName), outputName, outputValue)
      if (output !== undefined) outputs[outputName] = output
    }
    const declaredOutputs = (outputEntries ?? []).map(([n]) => n)
    const aggregate: AggregateDdl[] = []
    const aggregatePath = join(path, 'aggregate')
    if (obj.aggregate !== undefined && !Array.isArray(obj.aggregate)) {
      this.expected(aggregatePath, 'a list of { function, args } entries', obj.aggregate)
    }
    for (const [i, entry] of (Array.isArray(obj.aggregate) ? (obj.aggregate as unknown[]) : []).entries()) {
      const spec = this.aggregate(join(aggregatePath, i), entry, name, declaredOutputs)
      if (spec !== undefined) aggregate.push(spec)
    }
    if (description === undefined || display === undefined) return undefined
    return { name, ...(agent === undefined ? {} : { agent }), description, display, inputs, outputs, aggregate }
  }

  private input(path: string, name: string, value: unknown): InputDdl | undefined {
    const obj = this.object(path, value, INPUT_KEYS, 'an object with at least description and type')
    if (obj === undefined) return undefined
    const before = this.problems.length
    const description = this.text(path, obj, 'description', true)
    const prompt = this.text(path, obj, 'prompt', false) ?? description
    const type = this.oneOf<InputType>(join(path, 'type'), obj.type, INPUT_TYPES)
    const optional = this.flag(path, obj, 'optional')
    const secret = this.flag(path, obj, 'secret')
    const stringLike = type === 'string' || type === 'array'

    let validation: string | undefined
    if (obj.validation !== undefined) {
      if (typeof obj.validation !== 'string') {
        this.expected(join(path, 'validation'), 'a named validator or a regular expression', obj.validation)
      } else if (type !== undefined && !stringLike) {
        this.fail(join(path, 'validation'), `only applies to string and array inputs, not ${type}`)
      } else {
        const problem = checkValidation(obj.validation)
        if (problem !== undefined) this.fail(join(path, 'validation'), problem)
        else validation = obj.validation
      }
    }

    let maxlength = 0
    if (obj.maxlength !== undefined) {
      if (!Number.isSafeInteger(obj.maxlength) || (obj.maxlength as number) < 0) {
        this.expected(join(path, 'maxlength'), 'a whole number of characters (0 for unlimited)', obj.maxlength)
      } else if (type !== undefined && !stringLike) {
        this.fail(join(path, 'maxlength'), `only applies to string and array inputs, not ${type}`)
      } else {
        maxlength = obj.maxlength as number
      }
    }

    let list: unknown[] | undefined
    if (type === 'list') {
      const scalars = Array.isArray(obj.list) && obj.list.every((v) => ['string', 'number', 'boolean'].includes(typeof v))
      if (!scalars || (obj.list as unknown[]).length === 0) {
        this.expected(join(path, 'list'), 'a non-empty list of the allowed values (strings, numbers or booleans)', obj.list)
      } else {
        list = obj.list as unknown[]
      }
    } else if (obj.list !== undefined && type !== undefined) {
      this.fail(join(path, 'list'), `only applies to inputs of type list, not ${type}`)
    }

    if (this.problems.length > before || description === undefined || prompt === undefined || type === undefined) return undefined
    const input: InputDdl = { name, prompt, description, type, optional, maxlength, secret }
    if (validation !== undefined) input.validation = validation
    if (list !== undefined) input.list = list
    if (obj.default !== undefined) {
      const problem = problemWith(input, obj.default)
      if (problem !== undefined) return this.fail(join(path, 'default'), `the default ${problem}`)
      input.default = obj.default
    }
    return input
  }

  private output(path: string, name: string, value: unknown): OutputDdl | undefined {
    const obj = this.object(path, value, OUTPUT_KEYS, 'an object with description and display_as')
    if (obj === undefined) return undefined
    const description = this.text(path, obj, 'description', true)
    const displayAs = this.text(path, obj, 'display_as', true)
    const type = obj.type === undefined ? undefined : this.oneOf(join(path, 'type'), obj.type, OUTPUT_TYPES)
    if (description === undefined || displayAs === undefined || (obj.type !== undefined && type === undefined)) return undefined
    const output: OutputDdl = { name, description, displayAs }
    if (Object.hasOwn(obj, 'default')) output.default = obj.default
    if (type !== undefined) output.type = type
    return output
  }

  private aggregate(path: string, value: unknown, action: string, outputs: string[]): AggregateDdl | undefined {
    const obj = this.object(path, value, AGGREGATE_KEYS, 'an object with function and args')
    if (obj === undefined) return undefined
    const fn = this.oneOf(join(path, 'function'), obj.function, AGGREGATE_FUNCTIONS)
    let output: string | undefined
    const args = obj.args
    if (!Array.isArray(args) || args.length !== 1 || typeof args[0] !== 'string') {
      this.expected(join(path, 'args'), 'a list holding the name of one output, e.g. [\'value\']', args)
    } else if (!outputs.includes(args[0])) {
      const known = outputs.length === 0 ? 'it declares no outputs' : `outputs: ${outputs.join(', ')}`
      this.fail(join(join(path, 'args'), 0), `"${args[0]}" is not an output of ${action} (${known})${didYouMean(args[0], outputs)}`)
    } else {
      output = args[0]
    }
    let format: string | undefined
    if (obj.format !== undefined) {
      if (typeof obj.format !== 'string') {
        this.expected(join(path, 'format'), 'a printf-like format such as "%.2f MB"', obj.format)
      } else {
        const problem = checkFormat(obj.format)
        if (problem !== undefined) this.fail(join(path, 'format'), problem)
        else format = obj.format
      }
    }
    if (fn === undefined || output === undefined || (obj.format !== undefined && format === undefined)) return undefined
    return format === undefined ? { function: fn, output } : { function: fn, output, format }
  }
}
