import { describe, expect, it } from 'vitest'
import { applyLimit, parseLimit } from '../../../src/client/limit.js'
import { parseOptions, type OptionSpec } from '../../../src/commands/options.js'
import { quoteWord, splitCommands, tokenize } from '../../../src/commands/tokenize.js'

describe('splitCommands', () => {
  it('splits at ; outside quotes and drops comments', () => {
    expect(splitCommands('ping; rpc a b msg="x; y" ;discover # later; not')).toEqual(['ping', 'rpc a b msg="x; y"', 'discover'])
    expect(splitCommands("echo 'a#b'; x")).toEqual(["echo 'a#b'", 'x'])
    expect(() => splitCommands('rpc a b msg="open')).toThrow(/unterminated double quote/)
  })
})

describe('tokenize', () => {
  it('handles quotes and escapes like a shell', () => {
    expect(tokenize(`rpc service status service="my svc" note='it''s' a\\ b`)).toEqual(['rpc', 'service', 'status', 'service=my svc', 'note=its', 'a b'])
    expect(tokenize(`x "a \\"q\\" b" ''`)).toEqual(['x', 'a "q" b', ''])
  })
  it('round-trips through quoteWord', () => {
    const words = ['rpc', 'x', "it's", 'a b', 'os=~/^lin/', '']
    expect(tokenize(words.map(quoteWord).join(' '))).toEqual(words)
  })
})

describe('parseOptions', () => {
  const specs: OptionSpec[] = [
    { name: 'fact', short: 'F', kind: 'list', help: '' },
    { name: 'limit', kind: 'value', help: '' },
    { name: 'json', short: 'j', kind: 'flag', help: '' },
  ]
  it('takes long, short, attached and repeated forms anywhere', () => {
    expect(parseOptions(['a', '-F', 'os=linux', '--limit=5', '-Frole=web', 'b', '-j', '--', '-F'], specs, 'x')).toEqual({
      options: { fact: ['os=linux', 'role=web'], limit: '5', json: true },
      positionals: ['a', 'b', '-F'],
    })
  })
  it('refuses unknown options with a suggestion and missing values', () => {
    expect(() => parseOptions(['--limt', '3'], specs, 'rpc')).toThrow(/unknown option --limt for 'rpc' \(did you mean --limit\?\)/)
    expect(() => parseOptions(['--limit'], specs, 'rpc')).toThrow(/--limit of 'rpc' needs a value/)
    expect(() => parseOptions(['--json=1'], specs, 'rpc')).toThrow(/takes no value/)
  })
})

describe('limits', () => {
  const nodes = Array.from({ length: 10 }, (_, i) => `n${i}`)
  it('parses counts and percentages', () => {
    expect(parseLimit('3')).toEqual({ count: 3, method: 'first' })
    expect(parseLimit('25%', 'random')).toEqual({ percent: 25, method: 'random' })
    expect(() => parseLimit('0')).toThrow(/at least 1/)
    expect(() => parseLimit('150%')).toThrow(/at most 100/)
    expect(() => parseLimit('many')).toThrow(/give a node count/)
  })
  it('takes the first or a seeded random sample', () => {
    expect(applyLimit(nodes, { count: 3, method: 'first' })).toEqual(['n0', 'n1', 'n2'])
    expect(applyLimit(nodes, { percent: 25, method: 'first' })).toEqual(['n0', 'n1', 'n2'])
    const a = applyLimit(nodes, { count: 4, method: 'random', seed: 9 })
    expect(a).toHaveLength(4)
    expect(applyLimit(nodes, { count: 4, method: 'random', seed: 9 })).toEqual(a)
    expect(applyLimit(nodes, { count: 50, method: 'first' })).toEqual(nodes)
  })
})
