import { describe, expectTypeOf, test } from 'vitest'
import type { ReadyState, RunstreamError } from '../../src/client.js'
import { foldRun, initialRunState, type RunState, type ToolCall } from '../../src/fold.js'
import { executionCatalog, mergeCatalogs, orchestrationCatalog } from '../../src/index.js'
import { useRun, useStream, useStreams } from '../../src/react.js'

describe('the React hooks and the fold take their types from the catalog', () => {
  test('useStream types its events from the catalog given', () => {
    const { events, last, readyState, error, lastEventId } = useStream('/s', {
      catalog: executionCatalog,
    })
    for (const event of events) {
      if (event.type === 'llm_chunk') expectTypeOf(event.data).toEqualTypeOf<{ text: string }>()
    }
    expectTypeOf(last?.type).toEqualTypeOf<
      | 'workflow_start'
      | 'workflow_status'
      | 'agent_status'
      | 'task_status'
      | 'llm_chunk'
      | 'tool_call'
      | 'tool_result'
      | 'structured_delta'
      | 'complete'
      | 'error'
      | undefined
    >()
    expectTypeOf(readyState).toEqualTypeOf<ReadyState>()
    expectTypeOf(error).toEqualTypeOf<RunstreamError | undefined>()
    expectTypeOf(lastEventId).toEqualTypeOf<string | undefined>()
    // Without a catalog: any name, unknown data.
    expectTypeOf(useStream('/s').last?.data).toBeUnknown()
    // @ts-expect-error the hook owns the connection's life
    useStream('/s', { signal: new AbortController().signal })
  })

  test('useRun returns the folded run beside the connection state', () => {
    const { run, readyState } = useRun('agent', 'a1', { baseUrl: 'https://x' })
    expectTypeOf(run).toEqualTypeOf<RunState>()
    expectTypeOf(run.toolCalls).toEqualTypeOf<readonly ToolCall[]>()
    expectTypeOf(run.status).toEqualTypeOf<
      'PENDING' | 'RUNNING' | 'SUCCESS' | 'FAILED' | 'TIMED_OUT' | 'CANCELED' | 'WAITING' | 'PAUSED'
    >()
    expectTypeOf(run.error).toEqualTypeOf<
      { message: string; code?: string | undefined; details?: unknown } | undefined
    >()
    expectTypeOf(readyState).toEqualTypeOf<ReadyState>()
    // @ts-expect-error not a route of the server
    useRun('job', 'j1')
  })

  test('foldRun takes the events of a catalog merged with the execution catalog', () => {
    const merged = mergeCatalogs(executionCatalog, orchestrationCatalog)
    const { last } = useStream('/s', { catalog: merged })
    if (last) expectTypeOf(foldRun(initialRunState, last)).toEqualTypeOf<RunState>()
    expectTypeOf<ToolCall['status']>().toEqualTypeOf<'running' | 'done' | 'failed'>()
    expectTypeOf<ToolCall['call_id']>().toEqualTypeOf<string | undefined>()
    expectTypeOf<ToolCall['args']>().toEqualTypeOf<Record<string, unknown>>()
  })

  test('useStreams types its events from the catalog, each with its stream', () => {
    const { events, lastEventId } = useStreams('/api/v0', ['task:a'], {
      catalog: executionCatalog,
    })
    const first = events[0]
    if (first?.type === 'llm_chunk') expectTypeOf(first.data).toEqualTypeOf<{ text: string }>()
    expectTypeOf(first?.stream).toEqualTypeOf<string | undefined>()
    expectTypeOf(lastEventId).toEqualTypeOf<string | undefined>()
    // @ts-expect-error the hook owns the connection's life
    useStreams('/api/v0', ['task:a'], { signal: new AbortController().signal })
  })
})
