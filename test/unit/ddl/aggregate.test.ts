import { describe, expect, it } from 'vitest'
import { computeAggregates, formatValue, parseDdl } from '../../../src/ddl/index.js'
import type { ActionDdl } from '../../../src/ddl/index.js'

function actionWith(aggregate: unknown[]): ActionDdl {
  const ddl = parseDdl(
    {
      metadata: { name: 'agg', description: 'a', author: 'a', version: '1', license: 'MIT', timeout: 1 },
      actions: {
        stats: {
          description: 's',
          outputs: {
            size: { description: 'Size', display_as: 'Size (MB)' },
            status: { description: 'Status', display_as: 'Status' },
          },
          aggregate,
        },
      },
    },
    '<inline>',
  )
  return ddl.actions.stats as ActionDdl
}

const ok = (data: Record<string, unknown>): { ok: boolean; data: Record<string, unknown> } => ({ ok: true, data })

describe('formatValue', () => {
  it('handles the printf subset', () => {
    expect(formatValue('%s', 'abc')).toBe('abc')
    expect(formatValue('%s', 1.5)).toBe('1.5')
    expect(formatValue('%d', 12.9)).toBe('12')
    expect(formatValue('%i', -12.9)).toBe('-12')
    expect(formatValue('%d', '42')).toBe('42')
    expect(formatValue('%f', 1.5)).toBe('1.500000')
    expect(formatValue('%.2f MB', 12.345)).toBe('12.35 MB')
    expect(formatValue('%.0f', 2.5)).toBe('3')
    expect(formatValue('100%% of %d', 3)).toBe('100% of 3')
  })

  it('handles width and flags', () => {
    expect(formatValue('[%5s]', 'ab')).toBe('[   ab]')
    expect(formatValue('[%-5s]', 'ab')).toBe('[ab   ]')
    expect(formatValue('[%05d]', -42)).toBe('[-0042]')
    expect(formatValue('[%8.2f]', 3.14159)).toBe('[    3.14]')
  })

  it('prints non-numbers as they are for numeric conversions, and copies unknown sequences', () => {
    expect(formatValue('%d items', 'many')).toBe('many items')
    expect(formatValue('%x', 1)).toBe('%x')
  })
})

describe('computeAggregates', () => {
  it('summarizes by count descending, then value, counting array elements', () => {
    const action = actionWith([{ function: 'summary', args: ['status'] }])
    const [result] = computeAggregates(action, [
      ok({ status: 'running' }),
      ok({ status: 'stopped' }),
      ok({ status: 'running' }),
      ok({ status: 'failed' }),
      ok({ status: ['stopped', 'running'] }),
      ok({ status: 3 }),
    ])
    expect(result).toMatchObject({ function: 'summary', output: 'status', displayAs: 'Status', value: null })
    expect(result?.counts).toEqual([
      { value: 'running', count: 3 },
      { value: 'stopped', count: 2 },
      { value: '3', count: 1 },
      { value: 'failed', count: 1 },
    ])
    expect(result?.formatted).toBe(['running = 3', 'stopped = 2', '      3 = 1', ' failed = 1'].join('\n'))
  })

  it('applies a format to summary labels', () => {
    const action = actionWith([{ function: 'summary', args: ['size'], format: '%s MB' }])
    expect(computeAggregates(action, [ok({ size: 10 }), ok({ size: 5 }), ok({ size: 10 })])[0]?.formatted).toBe('10 MB = 2\n 5 MB = 1')
  })

  it('computes average, sum, min and max', () => {
    const action = actionWith(['average', 'sum', 'min', 'max'].map((fn) => ({ function: fn, args: ['size'] })))
    const results = computeAggregates(action, [ok({ size: 10 }), ok({ size: 15 }), ok({ size: '5' }), ok({ size: 20 })])
    expect(results.map((r) => [r.function, r.value, r.formatted])).toEqual([
      ['average', 12.5, 'average: 12.50'],
      ['sum', 50, 'sum: 50'],
      ['min', 5, 'min: 5'],
      ['max', 20, 'max: 20'],
    ])
    expect(results[0]?.displayAs).toBe('Size (MB)')
  })

  it('prints non-integral results with two decimals, or with the given format', () => {
    const action = actionWith([
      { function: 'sum', args: ['size'] },
      { function: 'max', args: ['size'], format: '%.1f MB' },
      { function: 'average', args: ['size'], format: '%d' },
    ])
    expect(computeAggregates(action, [ok({ size: 1.25 }), ok({ size: 2.5 })]).map((r) => r.formatted)).toEqual([
      'sum: 3.75',
      'max: 2.5 MB',
      'average: 1',
    ])
  })

  it('ignores failed replies and skips missing, null and non-numeric values', () => {
    const action = actionWith([
      { function: 'average', args: ['size'] },
      { function: 'summary', args: ['status'] },
    ])
    const [average, summary] = computeAggregates(action, [
      ok({ size: 4, status: 'up' }),
      { ok: false, data: { size: 1000, status: 'down' } },
      ok({ status: 'up' }),
      ok({ size: null, status: null }),
      ok({ size: 'n/a' }),
      ok({ size: 8 }),
    ])
    expect(average?.value).toBe(6)
    expect(summary?.counts).toEqual([{ value: 'up', count: 2 }])
  })

  it('reports no values when nothing qualifies', () => {
    const action = actionWith([
      { function: 'sum', args: ['size'] },
      { function: 'summary', args: ['status'] },
    ])
    const results = computeAggregates(action, [{ ok: false, data: { size: 1, status: 'x' } }])
    expect(results).toEqual([
      { function: 'sum', output: 'size', displayAs: 'Size (MB)', value: null, formatted: 'sum: no values' },
      { function: 'summary', output: 'status', displayAs: 'Status', value: null, counts: [], formatted: 'no values' },
    ])
  })

  it('handles many replies', () => {
    const action = actionWith([{ function: 'min', args: ['size'] }, { function: 'max', args: ['size'] }])
    const replies = Array.from({ length: 200_000 }, (_, i) => ok({ size: i }))
    expect(computeAggregates(action, replies).map((r) => r.value)).toEqual([0, 199_999])
  })
})
