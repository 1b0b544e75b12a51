import { describe, expect, test } from 'vitest'
import { connect } from '../../src/client.js'
import { type FoldableEvent, foldRun, initialRunState, type RunState } from '../../src/fold.js'
import { createStreamManager, executionCatalog } from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'
import { startServer } from '../helpers/http.js'

// Deep-frozen, so that a fold that changes its arguments throws instead of passing.
function frozen<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const inner of Object.values(value)) frozen(inner)
  }
  return value
}

const fold = (state: RunState, ...events: FoldableEvent[]): RunState =>
  events.reduce((next, event) => foldRun(frozen(next), frozen(event)), state)

const ev = (id: number, type: string, data: unknown, stream = 'workflow:w1'): FoldableEvent => ({
  id: String(id),
  type,
  data,
  stream,
})

describe('foldRun', () => {
  test('starts PENDING with nothing streamed', () => {
    expect(initialRunState).toMatchObject({
      status: 'PENDING',
      done: false,
      text: '',
      toolCalls: [],
    })
  })

  test('workflow_start names the run and makes a pending run RUNNING', () => {
    const state = fold(
      initialRunState,
      ev(1, 'workflow_start', { workflow_id: 'wf', execution_id: 'x1' }),
    )
    expect(state).toMatchObject({ workflowId: 'wf', executionId: 'x1', status: 'RUNNING' })
    // A later start does not undo a status already given.
    const failed = { ...initialRunState, status: 'FAILED' as const }
    expect(
      fold(failed, ev(1, 'workflow_start', { workflow_id: 'wf', execution_id: 'x1' })).status,
    ).toBe('FAILED')
  })

  test('workflow_status sets status, step and usage, keeping the step and usage it does not give', () => {
    const usage = { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 }
    const state = fold(
      initialRunState,
      ev(1, 'workflow_status', { status: 'RUNNING', step: 'plan', usage }),
      ev(2, 'workflow_status', { status: 'WAITING' }),
    )
    expect(state).toMatchObject({ status: 'WAITING', step: 'plan', usage })
  })

  test('agent_status and task_status are the run status only on the agent or task stream itself', () => {
    const onWorkflow = fold(
      initialRunState,
      ev(1, 'workflow_status', { status: 'RUNNING' }),
      ev(2, 'agent_status', { status: 'FAILED' }),
      ev(3, 'task_status', { status: 'CANCELED' }),
    )
    expect(onWorkflow).toMatchObject({
      status: 'RUNNING',
      agentStatus: 'FAILED',
      taskStatus: 'CANCELED',
    })
    expect(
      fold(initialRunState, ev(1, 'agent_status', { status: 'RUNNING' }, 'agent:a1')),
    ).toMatchObject({ status: 'RUNNING', agentStatus: 'RUNNING' })
    expect(
      fold(initialRunState, ev(1, 'task_status', { status: 'PAUSED' }, 'task:t1')),
    ).toMatchObject({
      status: 'PAUSED',
      taskStatus: 'PAUSED',
    })
    // Without a stream name (a plain server), the status stays the run's.
    const { stream: _, ...nameless } = ev(1, 'agent_status', { status: 'RUNNING' })
    expect(fold(initialRunState, nameless).status).toBe('PENDING')
  })

  test('llm_chunk appends its text in order, including a plain-text payload', () => {
    const state = fold(
      initialRunState,
      ev(1, 'llm_chunk', { text: 'Hel' }),
      ev(2, 'llm_chunk', { text: 'lo ü🌍\n' }),
      ev(3, 'llm_chunk', 'plain'),
    )
    expect(state.text).toBe('Hello ü🌍\nplain')
  })

  test('an empty llm_chunk changes nothing', () => {
    expect(foldRun(initialRunState, ev(1, 'llm_chunk', { text: '' }))).toBe(initialRunState)
  })

  test('tool_call adds a call with its args, keyed by the event id', () => {
    const state = fold(
      initialRunState,
      ev(4, 'tool_call', { tool_name: 'search', args: { q: 'sse' } }),
      { type: 'tool_call', data: { tool_name: 'fetch', args: {} } },
    )
    expect(state.toolCalls).toEqual([
      { id: '4', tool_name: 'search', args: { q: 'sse' }, status: 'running' },
      { id: '1', tool_name: 'fetch', args: {}, status: 'running' },
    ])
  })

  test('tool_result ends the call it names by call_id, whatever the order', () => {
    const state = fold(
      initialRunState,
      ev(1, 'tool_call', { tool_name: 'search', args: { q: 'a' }, call_id: 'c1' }),
      ev(2, 'tool_call', { tool_name: 'search', args: { q: 'b' }, call_id: 'c2' }),
      ev(3, 'tool_result', { tool_name: 'search', call_id: 'c2', output: ['b1'], duration_ms: 12 }),
      ev(4, 'tool_result', {
        tool_name: 'search',
        call_id: 'c1',
        error: { message: 'timed out', code: 'timeout' },
      }),
    )
    expect(state.toolCalls).toEqual([
      {
        id: '1',
        tool_name: 'search',
        args: { q: 'a' },
        call_id: 'c1',
        status: 'failed',
        output: undefined,
        error: { message: 'timed out', code: 'timeout' },
        durationMs: undefined,
      },
      {
        id: '2',
        tool_name: 'search',
        args: { q: 'b' },
        call_id: 'c2',
        status: 'done',
        output: ['b1'],
        error: undefined,
        durationMs: 12,
      },
    ])
  })

  test('a tool_result without call_id ends the earliest running call of its tool', () => {
    const state = fold(
      initialRunState,
      ev(1, 'tool_call', { tool_name: 'fetch', args: { n: 1 } }),
      ev(2, 'tool_call', { tool_name: 'search', args: {} }),
      ev(3, 'tool_call', { tool_name: 'fetch', args: { n: 2 } }),
      ev(4, 'tool_result', { tool_name: 'fetch', output: 'one' }),
      ev(5, 'tool_result', { tool_name: 'fetch', output: 'two' }),
    )
    expect(state.toolCalls.map((call) => [call.id, call.status, call.output])).toEqual([
      ['1', 'done', 'one'],
      ['2', 'running', undefined],
      ['3', 'done', 'two'],
    ])
  })

  test('a tool_result that matches no running call changes nothing', () => {
    const before = fold(initialRunState, ev(1, 'tool_call', { tool_name: 'a', args: {} }))
    expect(foldRun(before, ev(2, 'tool_result', { tool_name: 'b', output: 1 }))).toBe(before)
    expect(foldRun(before, ev(3, 'tool_result', { tool_name: 'a', call_id: 'x' }))).toBe(before)
  })

  test('structured_delta keeps the latest partial output', () => {
    const state = fold(
      initialRunState,
      ev(1, 'structured_delta', { partial: { a: 1 } }),
      ev(2, 'structured_delta', { partial: { a: 1, b: [2] } }),
    )
    expect(state.partial).toEqual({ a: 1, b: [2] })
  })

  test('complete ends the run with its status, result, output, usage and duration', () => {
    const usage = { model: 'm', prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 }
    const state = fold(
      initialRunState,
      ev(1, 'llm_chunk', { text: 'hi' }),
      ev(2, 'complete', {
        status: 'SUCCESS',
        result: { n: 1 },
        output: 'hi',
        usage,
        duration_ms: 12,
      }),
    )
    expect(state).toMatchObject({
      status: 'SUCCESS',
      done: true,
      result: { n: 1 },
      output: 'hi',
      usage,
      durationMs: 12,
      text: 'hi',
      error: undefined,
    })
  })

  test('error ends the run with its status and error', () => {
    const error = { message: 'quota', code: 'E_QUOTA', details: { left: 0 } }
    const state = fold(initialRunState, ev(1, 'error', { status: 'FAILED', error }))
    expect(state).toMatchObject({ status: 'FAILED', done: true, error })
  })

  test('an event the execution catalog does not define returns the same state', () => {
    const state = fold(initialRunState, ev(1, 'llm_chunk', { text: 'a' }))
    expect(foldRun(state, ev(2, 'thought', { text: 'hmm' }))).toBe(state)
  })

  test('never changes the state it is given', () => {
    const before = frozen(fold(initialRunState, ev(1, 'tool_call', { tool_name: 't', args: {} })))
    const after = foldRun(before, ev(2, 'tool_call', { tool_name: 'u', args: {} }))
    expect(before.toolCalls).toHaveLength(1)
    expect(after.toolCalls).toHaveLength(2)
    expect(initialRunState.toolCalls).toEqual([])
  })

  test('folds a run read through a real server and client', async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    const handler = createNodeHandler(manager, { heartbeatMs: 1000, onError: () => {} })
    const server = await startServer(handler)
    try {
      const stream = manager.stream('workflow:fold')
      stream.emit('workflow_start', { workflow_id: 'wf', execution_id: 'fold' })
      stream.emit('workflow_status', { status: 'RUNNING', step: 'answer' })
      stream.emit('llm_chunk', { text: 'a' })
      stream.emit('tool_call', { tool_name: 'search', args: { q: 1 } })
      stream.emit('llm_chunk', { text: 'b' })
      stream.emit('complete', { status: 'SUCCESS', output: 'ab' })
      let run = initialRunState
      const url = `${server.url}/api/v0/executions/workflows/fold/stream`
      for await (const event of connect(url, { catalog: executionCatalog, reconnect: false })) {
        run = foldRun(run, event)
      }
      expect(run).toMatchObject({
        status: 'SUCCESS',
        done: true,
        workflowId: 'wf',
        step: 'answer',
        text: 'ab',
        output: 'ab',
        toolCalls: [{ id: '4', tool_name: 'search', args: { q: 1 } }],
      })
    } finally {
      handler.close()
      await server.close()
      await manager.close()
    }
  })
})
