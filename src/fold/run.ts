import type { executionCatalog } from '../catalogs/execution.js'
import type { ClientEvent } from '../client/events.js'
import type { EventData } from '../core/catalog.js'

type Execution = typeof executionCatalog

/** An event of the execution catalog, as a client yields it: a union discriminated on `type`. */
export type RunEvent = ClientEvent<Execution>

/** The state of an execution (`RUNNING`, `SUCCESS`, …): the execution catalog's `status`. */
export type ExecutionStatus = EventData<Execution, 'workflow_status'>['status']

/** Token usage as the execution catalog carries it (`workflow_status`, `complete`). */
export type RunUsage = NonNullable<EventData<Execution, 'complete'>['usage']>

/** What an `error` event says went wrong: `{ message, code?, details? }`. */
export type RunError = EventData<Execution, 'error'>['error']

/** How a tool call ended: a `tool_result` event's payload. */
export type ToolResult = EventData<Execution, 'tool_result'>

/**
 * One tool call of the run: a `tool_call` event's `{ tool_name, args, call_id? }`, the event's
 * `id`, and, once its `tool_result` arrived, how it ended.
 */
export type ToolCall = EventData<Execution, 'tool_call'> & {
  /** The id of the `tool_call` event (its position when the server sent no id): a stable list key. */
  readonly id: string
  /** `running` until its `tool_result`; then `failed` when the result has an `error`, else `done`. */
  readonly status: 'running' | 'done' | 'failed'
  /** The `tool_result`'s `output`. */
  readonly output?: unknown
  /** The `tool_result`'s `error`. */
  readonly error?: ToolResult['error']
  /** The `tool_result`'s `duration_ms`. */
  readonly durationMs?: number | undefined
}

/**
 * What a run view shows, folded from an execution stream by {@link foldRun}. Every key is
 * always present; `undefined` means no event has said it yet.
 */
export interface RunState {
  /**
   * The run's status: `PENDING` until an event says otherwise; `RUNNING` from `workflow_start`;
   * then that of `workflow_status`, `complete` and `error`, and of `agent_status` /
   * `task_status` on the agent's or task's own stream (`agent:…`, `task:…`).
   */
  readonly status: ExecutionStatus
  /** Whether a terminal event (`complete` or `error`) arrived. */
  readonly done: boolean
  /** `workflow_start`'s `workflow_id`. */
  readonly workflowId: string | undefined
  /** `workflow_start`'s `execution_id`. */
  readonly executionId: string | undefined
  /** The current step: the last `workflow_status` that named one. */
  readonly step: string | undefined
  /** The status of the last `agent_status`: the agent working now. */
  readonly agentStatus: ExecutionStatus | undefined
  /** The status of the last `task_status`: the task running now. */
  readonly taskStatus: ExecutionStatus | undefined
  /** The text streamed so far: every `llm_chunk`'s `text`, in order. */
  readonly text: string
  /** Every `tool_call`, in order, each with its result once its `tool_result` arrived. */
  readonly toolCalls: readonly ToolCall[]
  /** The last `structured_delta`'s `partial`: the structured output so far. */
  readonly partial: unknown
  /** Token usage: the last given by `workflow_status` or `complete`. */
  readonly usage: RunUsage | undefined
  /** `complete`'s `result`. */
  readonly result: unknown
  /** `complete`'s `output`. */
  readonly output: unknown
  /** `complete`'s `duration_ms`. */
  readonly durationMs: number | undefined
  /** `error`'s `error`: what ended the run. */
  readonly error: RunError | undefined
}

/** The state before any event: {@link foldRun}'s starting point. */
export const initialRunState: RunState = {
  status: 'PENDING',
  done: false,
  workflowId: undefined,
  executionId: undefined,
  step: undefined,
  agentStatus: undefined,
  taskStatus: undefined,
  text: '',
  toolCalls: [],
  partial: undefined,
  usage: undefined,
  result: undefined,
  output: undefined,
  durationMs: undefined,
  error: undefined,
}

/**
 * An event to fold: any event a client yields (`connect()`, `createStreamClient`, or an
 * `EventSource` message turned into `{ type, data, id }`). Events the execution catalog does
 * not define leave the state as it is, so a stream of a merged catalog folds as well.
 */
export interface FoldableEvent {
  /** The event name. */
  readonly type: string
  /** The payload: that of the execution catalog's schema for `type` (pass the catalog to the client to have it validated). */
  readonly data?: unknown
  /** The event id. */
  readonly id?: string
  /** The stream's name (`workflow:…`, `agent:…`, `task:…`), when known. */
  readonly stream?: string | undefined
}

/**
 * Folds one event of an execution stream into the state of a run view. Pure: returns a new
 * state (or `state` itself for an event it ignores) and never changes its arguments, so the same
 * logic serves React (`useRun`), Vue, Svelte and plain pages.
 *
 * An `llm_chunk` whose payload is a string (a plain-text stream) adds that string to `text`.
 *
 * @param state - the state so far ({@link initialRunState} at first)
 * @param event - the next event
 * @example
 * ```ts
 * import { connect } from 'runstream/client'
 * import { foldRun, initialRunState } from 'runstream/fold'
 *
 * let run = initialRunState
 * for await (const event of connect('/api/v0/executions/workflows/exec_42/stream')) {
 *   run = foldRun(run, event)
 *   document.title = `${run.status} · ${run.text.length} characters`
 * }
 * ```
 */
export function foldRun(state: RunState, event: FoldableEvent): RunState {
  const known = event as RunEvent
  switch (known.type) {
    case 'workflow_start':
      return {
        ...state,
        workflowId: known.data.workflow_id,
        executionId: known.data.execution_id,
        status: state.status === 'PENDING' ? 'RUNNING' : state.status,
      }
    case 'workflow_status': {
      const { status, step, usage } = known.data
      return { ...state, status, step: step ?? state.step, usage: usage ?? state.usage }
    }
    case 'agent_status':
      return {
        ...state,
        agentStatus: known.data.status,
        status: ownStream(event, 'agent:') ? known.data.status : state.status,
      }
    case 'task_status':
      return {
        ...state,
        taskStatus: known.data.status,
        status: ownStream(event, 'task:') ? known.data.status : state.status,
      }
    case 'llm_chunk': {
      const data: unknown = known.data
      const text = typeof data === 'string' ? data : known.data.text
      return text ? { ...state, text: state.text + text } : state
    }
    case 'tool_call':
      return {
        ...state,
        toolCalls: [
          ...state.toolCalls,
          { ...known.data, id: event.id || String(state.toolCalls.length), status: 'running' },
        ],
      }
    case 'tool_result':
      return withResult(state, known.data)
    case 'structured_delta':
      return { ...state, partial: known.data.partial }
    case 'complete': {
      const { status, result, output, usage, duration_ms } = known.data
      return {
        ...state,
        status,
        done: true,
        result,
        output,
        usage: usage ?? state.usage,
        durationMs: duration_ms,
      }
    }
    case 'error':
      return { ...state, status: known.data.status, done: true, error: known.data.error }
    default:
      return state
  }
}

// Whether the event came on the stream of the agent or task it describes (`agent:…`), where its
// status is the run's own rather than that of one step of a workflow.
const ownStream = (event: FoldableEvent, prefix: string): boolean =>
  event.stream?.startsWith(prefix) === true

/**
 * The state with `result` applied to its call: the running call with the result's `call_id`,
 * or, when the result names none, the earliest running call of the same tool. A result that
 * matches no call leaves the state as it is.
 */
function withResult(state: RunState, result: ToolResult): RunState {
  const calls = state.toolCalls
  const index = calls.findIndex((call) =>
    result.call_id === undefined
      ? call.status === 'running' && call.tool_name === result.tool_name
      : call.call_id === result.call_id,
  )
  const call = calls[index]
  if (call === undefined) return state
  const ended: ToolCall = {
    ...call,
    status: result.error === undefined ? 'done' : 'failed',
    output: result.output,
    error: result.error,
    durationMs: result.duration_ms,
  }
  return { ...state, toolCalls: calls.map((each, i) => (i === index ? ended : each)) }
}
