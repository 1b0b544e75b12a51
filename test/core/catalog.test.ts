import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import {
  defineCatalog,
  EventValidationError,
  executionCatalog,
  isRunstreamError,
  mergeCatalogs,
  orchestrationCatalog,
} from '../../src/index.js'

// One valid payload per built-in event, with every optional member filled in.
const executionSamples = {
  workflow_start: { workflow_id: 'wf_research', execution_id: 'exec_42' },
  workflow_status: {
    status: 'RUNNING',
    step: 'plan',
    usage: {
      provider: 'openai',
      model: 'gpt-x',
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
    },
  },
  agent_status: { status: 'WAITING' },
  task_status: { status: 'PAUSED' },
  llm_chunk: { text: 'Hel\nlo 🚀' },
  tool_call: {
    tool_name: 'search',
    args: { q: 'sse', limit: 3, nested: { ok: true } },
    call_id: 'call_1',
  },
  tool_result: {
    tool_name: 'search',
    call_id: 'call_1',
    output: { hits: ['a'] },
    error: { message: 'partial', code: 'partial' },
    duration_ms: 12.5,
  },
  structured_delta: { partial: { title: 'Dra', tags: ['a'] } },
  complete: {
    status: 'SUCCESS',
    result: { answer: 42 },
    output: 'done',
    usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    duration_ms: 1234,
  },
  error: {
    status: 'FAILED',
    error: { message: 'tool timed out', code: 'TOOL_TIMEOUT', details: { tool: 'search' } },
  },
} as const

const orchestrationSamples = {
  task_started: { task_id: 't1', description: 'Find sources' },
  task_completed: { task_id: 't1', success: true, output: { sources: 3 } },
  reflection: { done: false, gaps: ['no 2024 data'], new_tasks: ['search 2024 reports'] },
  thought: { text: 'I should look at the SSE spec first.' },
} as const

describe('built-in catalogs', () => {
  it('defines exactly the documented execution events, with complete and error terminal', () => {
    expect([...executionCatalog.names].sort()).toEqual(Object.keys(executionSamples).sort())
    expect(executionCatalog.terminal).toEqual(['complete', 'error'])
    expect(executionCatalog.isTerminal('complete')).toBe(true)
    expect(executionCatalog.isTerminal('llm_chunk')).toBe(false)
  })

  it('defines exactly the documented orchestration events, none terminal', () => {
    expect([...orchestrationCatalog.names].sort()).toEqual(Object.keys(orchestrationSamples).sort())
    expect(orchestrationCatalog.terminal).toEqual([])
  })

  for (const [catalog, samples] of [
    [executionCatalog, executionSamples],
    [orchestrationCatalog, orchestrationSamples],
  ] as const) {
    for (const [type, data] of Object.entries(samples)) {
      it(`survives a JSON round trip: ${type}`, () => {
        const first = catalog.validate(type, data)
        expect(first.ok).toBe(true)
        if (!first.ok) return
        const again = catalog.validate(type, JSON.parse(JSON.stringify(first.data)))
        expect(again).toEqual({ ok: true, data: first.data })
        expect(first.data).toEqual(data)
      })
    }
  }

  it('accepts every documented status and refuses others', () => {
    for (const status of [
      'PENDING',
      'RUNNING',
      'SUCCESS',
      'FAILED',
      'TIMED_OUT',
      'CANCELED',
      'WAITING',
      'PAUSED',
    ]) {
      expect(executionCatalog.validate('task_status', { status }).ok).toBe(true)
    }
    const bad = executionCatalog.validate('task_status', { status: 'DONE' })
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.error.message).toMatch(/expected one of "PENDING"/)
  })
})

describe('defineCatalog', () => {
  const catalog = defineCatalog(
    { step: z.object({ n: z.number().int() }), end: z.object({ ok: z.boolean().default(true) }) },
    { terminal: ['end'] },
  )

  it('returns parsed output, with defaults applied', () => {
    expect(catalog.validate('end', {})).toEqual({ ok: true, data: { ok: true } })
  })

  it('names the event, the path and the problem of an invalid payload', () => {
    const result = catalog.validate('step', { n: 1.5 }, 'workflow:exec_1')
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.error).toBeInstanceOf(EventValidationError)
    expect(isRunstreamError(result.error, 'validation_failed')).toBe(true)
    expect(result.error.eventType).toBe('step')
    expect(result.error.stream).toBe('workflow:exec_1')
    expect(result.error.issues[0]?.path).toEqual(['n'])
    expect(result.error.message).toMatch(/"step" on stream "workflow:exec_1": n: /)
  })

  it('lists the defined events when the type is unknown', () => {
    const result = catalog.validate('stpe', { n: 1 })
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.error.code).toBe('unknown_event')
    expect(result.error.message).toContain('step, end')
  })

  it('does not treat inherited object keys as events', () => {
    expect(catalog.has('toString')).toBe(false)
    expect(catalog.validate('__proto__', {}).ok).toBe(false)
  })

  it('refuses a terminal event it does not define', () => {
    // @ts-expect-error 'finish' is not an event of this catalog
    expect(() => defineCatalog({ a: z.string() }, { terminal: ['finish'] })).toThrow(TypeError)
  })

  it('merges catalogs and refuses a name defined twice', () => {
    const merged = mergeCatalogs(executionCatalog, orchestrationCatalog)
    expect(merged.names).toHaveLength(14)
    expect(merged.terminal).toEqual(['complete', 'error'])
    expect(() => mergeCatalogs(executionCatalog, executionCatalog)).toThrow(/defined in both/)
  })
})

describe('isRunstreamError', () => {
  it('recognises errors by code, not by class, and ignores other errors with a code', () => {
    const foreign = Object.assign(new Error('x'), { code: 'validation_failed' })
    expect(isRunstreamError(foreign, 'validation_failed')).toBe(true)
    expect(isRunstreamError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(false)
    expect(isRunstreamError('validation_failed')).toBe(false)
  })
})
