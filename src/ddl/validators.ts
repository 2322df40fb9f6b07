import { isIP, isIPv4, isIPv6 } from 'node:net'

export interface NamedValidator {
  /** Completes "must be …": "an IPv4 address". */
  expected: string
  test(value: string): boolean
}

const HOSTNAME_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i

function hostnameLabels(value: string): string[] | undefined {
  const name = value.endsWith('.') ? value.slice(0, -1) : value
  if (name.length === 0 || name.length > 253) return undefined
  const labels = name.split('.')
  return labels.every((label) => HOSTNAME_LABEL.test(label)) ? labels : undefined
}

export const NAMED_VALIDATORS: Readonly<Record<string, NamedValidator>> = {
  shellsafe: {
    expected: 'shell safe (no `, $, ;, |, &, >, < or line breaks)',
    test: (value) => !/[`$;|&><\r\n]/.test(value),
  },
  ipv4address: { expected: 'an IPv4 address', test: (value) => isIPv4(value) },
  ipv6address: { expected: 'an IPv6 address', test: (value) => isIPv6(value) },
  ipaddress: { expected: 'an IPv4 or IPv6 address', test: (value) => isIP(value) !== 0 },
  hostname: { expected: 'a hostname', test: (value) => hostnameLabels(value) !== undefined },
  fqdn: {
    expected: 'a fully qualified domain name',
    test: (value) => {
      const labels = hostnameLabels(value)
      // A dotted quad is an address, not a name: the top-level label must not be all digits.
      return labels !== undefined && labels.length >= 2 && !/^\d+$/.test(labels[labels.length - 1] ?? '')
    },
  },
  port: {
    expected: 'a port number (1-65535)',
    test: (value) => /^\d{1,5}$/.test(value) && Number(value) >= 1 && Number(value) <= 65535,
  },
  identity: {
    expected: 'a node identity (letters, digits, _, . and -)',
    test: (value) => /^[\w.-]{1,255}$/.test(value),
  },
  path: {
    expected: 'an absolute path',
    test: (value) => value.startsWith('/') && !value.includes('\0'),
  },
}

export const NAMED_VALIDATOR_NAMES: readonly string[] = Object.keys(NAMED_VALIDATORS)

const compiled = new Map<string, RegExp>()

/** The compiled form of a regex validation; throws SyntaxError for an invalid source. */
function regexFor(source: string): RegExp {
  let re = compiled.get(source)
  if (re === undefined) {
    re = new RegExp(source)
    compiled.set(source, re)
  }
  return re
}

/** undefined if `validation` is a named validator or a valid regex, else why it is not. */
export function checkValidation(validation: string): string | undefined {
  if (Object.hasOwn(NAMED_VALIDATORS, validation)) return undefined
  if (validation === '') return 'expected a named validator or a regular expression but found ""'
  try {
    regexFor(validation)
    return undefined
  } catch (e) {
    return `invalid regular expression /${validation}/ (${(e as Error).message}); named validators are ${NAMED_VALIDATOR_NAMES.join(', ')}`
  }
}

/** Whether `value` passes the validation; `validation` must have passed `checkValidation`. */
export function passesValidation(validation: string, value: string): boolean {
  const named = Object.hasOwn(NAMED_VALIDATORS, validation) ? NAMED_VALIDATORS[validation] : undefined
  if (named !== undefined) return named.test(value)
  return regexFor(validation).test(value)
}

/** Completes "input 'x' must …": "be an IPv4 address", "match /^a+$/". */
export function describeValidation(validation: string): string {
  const named = Object.hasOwn(NAMED_VALIDATORS, validation) ? NAMED_VALIDATORS[validation] : undefined
  return named !== undefined ? `be ${named.expected}` : `match /${validation}/`
}
