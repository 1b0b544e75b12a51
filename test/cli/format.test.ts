import { describe, expect, it } from 'vitest'
import { formatEvent, isFailure, summarize } from '../../src/cli/format.js'
import { paint } from '../../src/cli/io.js'
import type { StreamEvent } from '../../src/client.js'

const event = (type: string, data: unknown, id = '7'): StreamEvent => ({ id, type, data })

describe('tail output', () => {
  it.each([
    [event('llm_chunk', { text: 'Hel\nlo' }), '"Hel\\nlo"'],
    [event('tool_call', { tool_name: 'search', args: { q: 'sse', n: 3 } }), 'search(q="sse", n=3)'],
    [event('workflow_status', { status: 'RUNNING', step: 'plan' }), 'RUNNING · step plan'],
    [event('task_started', { task_id: 't1', description: 'Find sources' }), 't1  Find sources'],
    [
      event('task_completed', { task_id: 't1', success: false, output: 'timed out' }),
      't1  ✗ timed out',
    ],
    [
      event('reflection', { done: false, gaps: ['x'], new_tasks: ['y', 'z'] }),
      '1 gap(s), 2 new task(s)',
    ],
    [event('reflection', { done: true, gaps: [], new_tasks: [] }), 'done'],
    [
      event('complete', { status: 'SUCCESS', duration_ms: 12_345, usage: { total_tokens: 99 } }),
      'SUCCESS · in 12.3 s · 99 tokens',
    ],
    [
      event('error', { status: 'FAILED', error: { message: 'boom', code: 'x' } }),
      'FAILED: boom (x)',
    ],
    [event('custom', { any: ['thing'] }), '{"any":["thing"]}'],
    [event('message', 'plain   text\nhere'), 'plain text here'],
  ])('summarizes %j as one short line', (input, expected) => {
    expect(summarize(input)).toBe(expected)
  })

  it('tells failed terminal events from successful ones', () => {
    expect(isFailure(event('error', { status: 'FAILED', error: { message: 'x' } }))).toBe(true)
    expect(isFailure(event('complete', { status: 'TIMED_OUT' }))).toBe(true)
    expect(isFailure(event('complete', { status: 'CANCELED' }))).toBe(true)
    expect(isFailure(event('complete', { status: 'SUCCESS' }))).toBe(false)
    expect(isFailure(event('done', 'bye'))).toBe(false)
  })

  it('cuts the payload to the terminal width with an ellipsis', () => {
    const long = event('llm_chunk', { text: 'x'.repeat(200) })
    const line = formatEvent(long, paint(false), 80, new Date(2026, 0, 1, 9, 5, 3, 7))
    expect(line).toHaveLength(80)
    expect(line.startsWith('09:05:03.007     #7  llm_chunk        "xxx')).toBe(true)
    expect(line.endsWith('x…')).toBe(true)
  })

  it('colors only when asked', () => {
    const line = formatEvent(
      event('error', { status: 'FAILED', error: { message: 'x' } }),
      paint(true),
      120,
    )
    expect(line).toContain('\u001b[31merror')
    expect(formatEvent(event('error', {}), paint(false), 120)).not.toContain('\u001b[')
  })
})
