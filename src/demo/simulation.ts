import { isRunstreamError } from '../core/errors.js'
import type { StreamHandle, StreamManager } from '../core/manager.js'
import type { DemoCatalog } from './catalog.js'
import {
  FAILURE,
  FINAL_TASK,
  FIRST_REFLECTION,
  FIRST_ROUND,
  PLAN_THOUGHT,
  type ScriptedTask,
  type ScriptedTool,
  WORKFLOW_ID,
} from './scenario.js'

/**
 * How a simulated run ends. `canceled`: its signal was aborted (it was stopped, or the demo
 * server stopped).
 */
export type RunOutcome = 'succeeded' | 'failed' | 'canceled'

/** Options of {@link runSimulation}. */
export interface SimulationOptions {
  /** Where the events go. */
  manager: StreamManager<DemoCatalog>
  /** The execution id: events go to `workflow:<id>`, and each task's to `task:<id>-t<n>`. */
  executionId: string
  /** Whether the run succeeds or fails (a tool times out in the second round). */
  fail?: boolean
  /**
   * Multiplies every pause: `1` plays a run in about 25 seconds, `0.02` in well under one.
   * `0` emits everything at once.
   * @defaultValue 1
   */
  pace?: number
  /** The random source that picks chunk sizes and pauses. @defaultValue `Math.random` */
  random?: () => number
  /**
   * Aborting it ends the run at once with an `error` event of status `CANCELED` (a run's signal,
   * aborted by `cancelRun` from any process, says so in its message).
   */
  signal?: AbortSignal
}

interface RunningTask {
  readonly id: string
  readonly handle: StreamHandle<DemoCatalog>
}

/**
 * Plays one simulated agent run into the manager: a workflow plans three tasks, agents stream
 * their text as `llm_chunk` deltas and call tools, a reflection adds a task, a writer answers,
 * and the run ends with `complete` (or `error` when `fail` is set). Resolves when the terminal
 * event was emitted.
 */
export async function runSimulation(options: SimulationOptions): Promise<RunOutcome> {
  const { manager, executionId, signal } = options
  const pace = options.pace ?? 1
  const random = options.random ?? Math.random
  if (!(pace >= 0 && Number.isFinite(pace))) {
    throw new TypeError(`runSimulation: \`pace\` must be a finite number ≥ 0, got ${pace}.`)
  }
  const workflow = manager.stream(`workflow:${executionId}`)
  const started = Date.now()
  const usage = { prompt_tokens: 0, completion_tokens: 0 }
  let taskCount = 0
  let toolCount = 0
  let current: RunningTask | undefined

  try {
    workflow.emit('workflow_start', { workflow_id: WORKFLOW_ID, execution_id: executionId })
    workflow.emit('workflow_status', { status: 'RUNNING', step: 'plan' })
    await pause(500)
    workflow.emit('thought', { text: PLAN_THOUGHT })
    await pause(700)

    const outputs: string[] = []
    workflow.emit('workflow_status', { status: 'RUNNING', step: 'research' })
    for (const task of FIRST_ROUND) outputs.push(await runTask(task))

    workflow.emit('workflow_status', { status: 'RUNNING', step: 'reflect' })
    await pause(900)
    workflow.emit('reflection', {
      done: false,
      gaps: [...FIRST_REFLECTION.gaps],
      new_tasks: [FIRST_REFLECTION.task.description],
    })
    await pause(600)

    workflow.emit('workflow_status', { status: 'RUNNING', step: 'research' })
    if (options.fail === true) {
      await failTask(FIRST_REFLECTION.task)
      workflow.emit('workflow_status', { status: 'FAILED', step: 'research', usage: totals() })
      workflow.emit('error', {
        status: 'FAILED',
        error: { message: FAILURE.message, code: FAILURE.code },
      })
      return 'failed'
    }
    outputs.push(await runTask(FIRST_REFLECTION.task))

    workflow.emit('workflow_status', { status: 'RUNNING', step: 'reflect' })
    await pause(900)
    workflow.emit('reflection', { done: true, gaps: [], new_tasks: [] })
    await pause(500)

    workflow.emit('workflow_status', { status: 'RUNNING', step: 'answer' })
    const answer = await runTask(FINAL_TASK)
    workflow.emit('workflow_status', { status: 'SUCCESS', step: 'done', usage: totals() })
    workflow.emit('complete', {
      status: 'SUCCESS',
      output: answer,
      result: { findings: outputs },
      usage: totals(),
      duration_ms: Date.now() - started,
    })
    return 'succeeded'
  } catch (error) {
    if (!signal?.aborted) throw error
    const canceled = {
      status: 'CANCELED' as const,
      error: {
        // Stopped from the page (a cancel, from any process), or the demo server stopping.
        message: isRunstreamError(signal.reason, 'run_canceled')
          ? 'Stopped before it finished.'
          : 'The demo server stopped before the run finished.',
        code: 'canceled',
      },
    }
    current?.handle.emit('error', canceled)
    workflow.emit('error', canceled)
    return 'canceled'
  }

  async function runTask(task: ScriptedTask): Promise<string> {
    const stream = begin(task)
    await speak(stream, task.text, task.tool)
    workflow.emit('task_completed', { task_id: stream.id, success: true, output: task.output })
    stream.handle.emit('task_status', { status: 'SUCCESS' })
    stream.handle.emit('complete', { status: 'SUCCESS', output: task.output })
    current = undefined
    await pause(300)
    return task.output
  }

  async function failTask(task: ScriptedTask): Promise<void> {
    const stream = begin(task)
    // Half the text, then a tool that never answers.
    const words = task.text.split(' ')
    await speak(stream, words.slice(0, Math.ceil(words.length / 2)).join(' '), undefined)
    const call = callTool(stream, FAILURE.tool)
    const started = Date.now()
    await pause(2500)
    endTool(stream, call, {
      error: { message: FAILURE.message, code: FAILURE.code },
      duration_ms: Date.now() - started,
    })
    workflow.emit('thought', { text: FAILURE.thought })
    workflow.emit('task_completed', { task_id: stream.id, success: false, output: FAILURE.message })
    stream.handle.emit('task_status', { status: 'FAILED' })
    stream.handle.emit('error', {
      status: 'FAILED',
      error: { message: FAILURE.message, code: FAILURE.code },
    })
    current = undefined
  }

  function begin(task: ScriptedTask): RunningTask {
    taskCount++
    const id = `${executionId}-t${taskCount}`
    const handle = manager.stream(`task:${id}`)
    current = { id, handle }
    workflow.emit('task_started', { task_id: id, description: task.description })
    handle.emit('task_started', { task_id: id, description: task.description })
    handle.emit('task_status', { status: 'RUNNING' })
    workflow.emit('agent_status', { status: 'RUNNING' })
    usage.prompt_tokens += 250 + Math.floor(random() * 400)
    return { id, handle }
  }

  // Streams `text` as deltas of one to three words, calling the tool halfway through.
  async function speak(task: RunningTask, text: string, tool: ScriptedTool | undefined) {
    const chunks = chunk(text)
    const toolAt = tool === undefined ? -1 : Math.floor(chunks.length / 2)
    for (const [index, piece] of chunks.entries()) {
      if (index === toolAt && tool !== undefined) {
        const call = callTool(task, tool)
        const started = Date.now()
        await pause(900)
        endTool(task, call, { output: `${tool.name} returned`, duration_ms: Date.now() - started })
      }
      // The workflow stream carries everything; the task's own stream only its part.
      workflow.emit('llm_chunk', { text: piece })
      task.handle.emit('llm_chunk', { text: piece })
      usage.completion_tokens += piece.trim().split(/\s+/).length
      await pause(35 + random() * 60)
    }
  }

  /** Emits a tool call on the workflow's and the task's streams; returns the call to end. */
  function callTool(task: RunningTask, tool: ScriptedTool) {
    toolCount += 1
    const data = { tool_name: tool.name, args: { ...tool.args }, call_id: `call_${toolCount}` }
    workflow.emit('tool_call', data)
    task.handle.emit('tool_call', data)
    return data
  }

  /** Emits how a tool call ended, on the same two streams. */
  function endTool(
    task: RunningTask,
    call: { tool_name: string; call_id: string },
    end: { output?: string; error?: { message: string; code: string }; duration_ms: number },
  ): void {
    const data = { tool_name: call.tool_name, call_id: call.call_id, ...end }
    workflow.emit('tool_result', data)
    task.handle.emit('tool_result', data)
  }

  function chunk(text: string): string[] {
    const words = text.match(/\S+\s*/g) ?? []
    const out: string[] = []
    for (let i = 0; i < words.length; ) {
      const size = 1 + Math.floor(random() * 3)
      out.push(words.slice(i, i + size).join(''))
      i += size
    }
    return out
  }

  function totals() {
    return {
      provider: 'simulated',
      model: 'demo-1',
      prompt_tokens: usage.prompt_tokens,
      completion_tokens: usage.completion_tokens,
      total_tokens: usage.prompt_tokens + usage.completion_tokens,
    }
  }

  function pause(ms: number): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    const wait = ms * pace
    return new Promise((resolve, reject) => {
      const done = () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      const timer = setTimeout(done, wait)
      const onAbort = () => {
        clearTimeout(timer)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }
}
