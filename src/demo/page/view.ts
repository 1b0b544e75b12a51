import type { ClientEvent } from '../../client/events.js'
import type { DemoCatalog } from '../catalog.js'

/** The run's state as the page shows it. */
export type RunStatus = 'waiting' | 'running' | 'succeeded' | 'failed' | 'canceled'

/** A task's state as the page shows it. */
export type TaskState = 'running' | 'done' | 'failed'

/** One tool call, as shown under its task. */
export interface ToolView {
  readonly name: string
  /** The arguments, as short `key=value` text. */
  readonly summary: string
  /** The call's id, which its `tool_result` names. */
  readonly callId: string | undefined
  /** `running` until its `tool_result`, then `done` or `failed`. */
  state: 'running' | 'done' | 'failed'
}

/** One task of the run. */
export interface TaskView {
  readonly id: string
  readonly description: string
  /** Which planning round it belongs to: 1 for the first plan, 2 after the first reflection… */
  readonly round: number
  /** Whether a reflection asked for it (rather than the first plan or the final answer). */
  readonly added: boolean
  state: TaskState
  /** The LLM text streamed while the task ran. */
  text: string
  readonly tools: ToolView[]
  output: string | undefined
}

/** One reflection step. */
export interface ReflectionView {
  readonly done: boolean
  readonly gaps: readonly string[]
  readonly newTasks: readonly string[]
}

/** Everything the page renders, built from the events by {@link applyEvent}. */
export interface RunView {
  executionId: string | undefined
  workflowId: string | undefined
  status: RunStatus
  step: string | undefined
  readonly tasks: TaskView[]
  readonly reflections: ReflectionView[]
  /** The planner's and the agents' latest thought. */
  thought: string | undefined
  /** The task the next `llm_chunk` belongs to: the last started one that has not finished. */
  activeTaskId: string | undefined
  totalTokens: number | undefined
  durationMs: number | undefined
  /** The final answer (`complete`'s output). */
  answer: string | undefined
  /** Why the run failed (`error`'s message). */
  failure: string | undefined
  /** How many events were applied, and the id of the last one. */
  eventCount: number
  lastEventId: string | undefined
}

/** The view before the first event. */
export function emptyView(): RunView {
  return {
    executionId: undefined,
    workflowId: undefined,
    status: 'waiting',
    step: undefined,
    tasks: [],
    reflections: [],
    thought: undefined,
    activeTaskId: undefined,
    totalTokens: undefined,
    durationMs: undefined,
    answer: undefined,
    failure: undefined,
    eventCount: 0,
    lastEventId: undefined,
  }
}

/**
 * Applies one event of a workflow stream to the view, in place. Text deltas go to the running
 * task: the workflow stream interleaves nothing, since the simulated agents run one at a time.
 */
export function applyEvent(view: RunView, event: ClientEvent<DemoCatalog>): void {
  view.eventCount++
  if (event.id !== '') view.lastEventId = event.id
  switch (event.type) {
    case 'workflow_start':
      view.executionId = event.data.execution_id
      view.workflowId = event.data.workflow_id
      view.status = 'running'
      break
    case 'workflow_status':
      if (event.data.step !== undefined) view.step = event.data.step
      if (event.data.usage !== undefined) view.totalTokens = event.data.usage.total_tokens
      if (view.status === 'waiting') view.status = 'running'
      break
    case 'thought':
      view.thought = event.data.text
      break
    case 'task_started': {
      const { description } = event.data
      view.tasks.push({
        id: event.data.task_id,
        description,
        round: view.reflections.length + 1,
        added: view.reflections.some((r) => r.newTasks.includes(description)),
        state: 'running',
        text: '',
        tools: [],
        output: undefined,
      })
      view.activeTaskId = event.data.task_id
      break
    }
    case 'llm_chunk': {
      const task = activeTask(view)
      if (task !== undefined) task.text += event.data.text
      break
    }
    case 'tool_call': {
      activeTask(view)?.tools.push({
        name: event.data.tool_name,
        summary: summarizeArgs(event.data.args),
        callId: event.data.call_id,
        state: 'running',
      })
      break
    }
    case 'tool_result': {
      const { call_id, error } = event.data
      const tool = view.tasks
        .flatMap((task) => task.tools)
        .find((each) => each.callId !== undefined && each.callId === call_id)
      if (tool !== undefined) tool.state = error === undefined ? 'done' : 'failed'
      break
    }
    case 'task_completed': {
      const task = view.tasks.find((t) => t.id === event.data.task_id)
      if (task !== undefined) {
        task.state = event.data.success ? 'done' : 'failed'
        task.output = typeof event.data.output === 'string' ? event.data.output : undefined
      }
      if (view.activeTaskId === event.data.task_id) view.activeTaskId = undefined
      break
    }
    case 'reflection':
      view.reflections.push({
        done: event.data.done,
        gaps: event.data.gaps,
        newTasks: event.data.new_tasks,
      })
      break
    case 'complete':
      view.status = event.data.status === 'SUCCESS' ? 'succeeded' : 'failed'
      view.answer = typeof event.data.output === 'string' ? event.data.output : undefined
      if (event.data.usage !== undefined) view.totalTokens = event.data.usage.total_tokens
      if (event.data.duration_ms !== undefined) view.durationMs = event.data.duration_ms
      view.activeTaskId = undefined
      break
    case 'error':
      view.status = event.data.status === 'CANCELED' ? 'canceled' : 'failed'
      view.failure = event.data.error.message
      for (const task of view.tasks) if (task.state === 'running') task.state = 'failed'
      view.activeTaskId = undefined
      break
    default:
      // agent_status, task_status, structured_delta: nothing the page shows.
      break
  }
}

/** Whether the run has ended, one way or another. */
export function isFinished(view: RunView): boolean {
  return view.status === 'succeeded' || view.status === 'failed' || view.status === 'canceled'
}

function activeTask(view: RunView): TaskView | undefined {
  if (view.activeTaskId === undefined) return undefined
  return view.tasks.find((t) => t.id === view.activeTaskId)
}

// `query="agent framework…"`, `clients=200 proxy="nginx"`: short enough for a chip.
function summarizeArgs(args: Record<string, unknown>): string {
  const text = Object.entries(args)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(' ')
  return text.length > 80 ? `${text.slice(0, 79)}…` : text
}
