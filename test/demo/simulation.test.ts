import { describe, expect, it } from 'vitest'
import { demoCatalog } from '../../src/demo/catalog.js'
import { applyEvent, emptyView } from '../../src/demo/page/view.js'
import { FAILURE, FINAL_TASK, FIRST_REFLECTION, FIRST_ROUND } from '../../src/demo/scenario.js'
import { runSimulation } from '../../src/demo/simulation.js'
import { createStreamManager, type EventRecord, type RunstreamError } from '../../src/index.js'

/** Plays one run with no pauses and returns what each stream holds; `onEvent` sees each emit. */
async function play(
  options: {
    fail?: boolean
    signal?: AbortSignal
    pace?: number
    onEvent?: (envelope: EventRecord['envelope']) => void
  } = {},
) {
  const errors: RunstreamError[] = []
  const { onEvent, ...simulation } = options
  const manager = createStreamManager({
    catalog: demoCatalog,
    onError: (e) => errors.push(e),
    ...(onEvent === undefined
      ? {}
      : {
          transports: [{ name: 'watch', send: (record: EventRecord) => onEvent(record.envelope) }],
        }),
  })
  let seed = 1
  const random = () => {
    seed = (seed * 16_807) % 2_147_483_647
    return seed / 2_147_483_647
  }
  const outcome = await runSimulation({
    manager,
    executionId: 'e1',
    pace: 0,
    random,
    ...simulation,
  })
  await manager.flush()
  const read = async (stream: string): Promise<EventRecord[]> => [
    ...(await manager.store.read(stream, { limit: 10_000 })).events,
  ]
  return { outcome, errors, read, workflow: await read('workflow:e1') }
}

const types = (records: EventRecord[]) => records.map((r) => r.envelope.type)

describe('the simulated orchestration', () => {
  it('plans, runs tasks with streamed text and tools, reflects, adds a task, and completes', async () => {
    const { outcome, errors, workflow } = await play()
    expect(outcome).toBe('succeeded')
    expect(errors).toEqual([])
    const names = types(workflow)
    expect(names[0]).toBe('workflow_start')
    expect(names.at(-1)).toBe('complete')
    expect(workflow.at(-1)?.envelope.data).toMatchObject({
      status: 'SUCCESS',
      output: FINAL_TASK.output,
    })
    expect(names.filter((t) => t === 'task_started')).toHaveLength(FIRST_ROUND.length + 2)
    expect(names.filter((t) => t === 'tool_call')).toHaveLength(3)
    // Every call ends with a result naming its call_id.
    const ids = (type: string) =>
      workflow
        .filter((r) => r.envelope.type === type)
        .map((r) => (r.envelope.data as { call_id?: string }).call_id)
    expect(ids('tool_result')).toEqual(ids('tool_call'))
    expect(new Set(ids('tool_call')).size).toBe(3)
    expect(names.filter((t) => t === 'llm_chunk').length).toBeGreaterThan(100)
    const reflections = workflow
      .filter((r) => r.envelope.type === 'reflection')
      .map((r) => r.envelope.data)
    expect(reflections).toEqual([
      {
        done: false,
        gaps: [...FIRST_REFLECTION.gaps],
        new_tasks: [FIRST_REFLECTION.task.description],
      },
      { done: true, gaps: [], new_tasks: [] },
    ])
    // Every event passed the catalog (invalid ones are never stored) and ids run 1..n.
    expect(workflow.map((r) => r.envelope.id)).toEqual(workflow.map((_, i) => String(i + 1)))
  })

  it("gives each task a stream of its own that carries that task's text and ends with it", async () => {
    const { read } = await play()
    const task = await read('task:e1-t1')
    expect(types(task)[0]).toBe('task_started')
    expect(types(task).at(-1)).toBe('complete')
    const text = task
      .filter((r) => r.envelope.type === 'llm_chunk')
      .map((r) => (r.envelope.data as { text: string }).text)
      .join('')
    expect(text.trimEnd()).toBe(FIRST_ROUND[0]?.text)
  })

  it('a failing run ends with error after its first reflection, and so does the failing task', async () => {
    const { outcome, workflow, read } = await play({ fail: true })
    expect(outcome).toBe('failed')
    expect(types(workflow)).toContain('reflection')
    expect(workflow.at(-1)?.envelope).toMatchObject({
      type: 'error',
      data: { status: 'FAILED', error: { message: FAILURE.message, code: FAILURE.code } },
    })
    const failedTask = await read(`task:e1-t${FIRST_ROUND.length + 1}`)
    expect(failedTask.at(-1)?.envelope).toMatchObject({ type: 'error', data: { status: 'FAILED' } })
  })

  it('an aborted run ends at once with error CANCELED on the workflow and the running task', async () => {
    const controller = new AbortController()
    // Aborted while the first task streams its text (for seconds at pace 1).
    const run = play({
      signal: controller.signal,
      pace: 1,
      onEvent: (envelope) => {
        if (envelope.stream === 'task:e1-t1' && envelope.type === 'llm_chunk') {
          queueMicrotask(() => controller.abort())
        }
      },
    })
    const { outcome, workflow, read } = await run
    expect(outcome).toBe('canceled')
    expect(workflow.at(-1)?.envelope).toMatchObject({ type: 'error', data: { status: 'CANCELED' } })
    const task = await read('task:e1-t1')
    expect(task.at(-1)?.envelope).toMatchObject({ type: 'error', data: { status: 'CANCELED' } })
  })
})

describe("the page's view of a run", () => {
  it('builds every task with its text, tools and state, the reflections and the result', async () => {
    const { workflow } = await play()
    const view = emptyView()
    for (const record of workflow) applyEvent(view, { ...record.envelope } as never)

    expect(view.status).toBe('succeeded')
    expect(view.eventCount).toBe(workflow.length)
    expect(view.lastEventId).toBe(String(workflow.length))
    const scripted = [...FIRST_ROUND, FIRST_REFLECTION.task, FINAL_TASK]
    expect(view.tasks.map((t) => t.description)).toEqual(scripted.map((t) => t.description))
    expect(view.tasks.map((t) => t.text.trimEnd())).toEqual(scripted.map((t) => t.text))
    expect(view.tasks.map((t) => t.state)).toEqual(scripted.map(() => 'done'))
    expect(view.tasks.map((t) => t.tools.map((tool) => tool.name))).toEqual(
      scripted.map((t) => (t.tool === undefined ? [] : [t.tool.name])),
    )
    expect(view.tasks.flatMap((t) => t.tools.map((tool) => tool.state))).toEqual([
      'done',
      'done',
      'done',
    ])
    expect(view.tasks.map((t) => t.added)).toEqual([false, false, false, true, false])
    expect(view.reflections.map((r) => r.done)).toEqual([false, true])
    expect(view.answer).toBe(FINAL_TASK.output)
    expect(view.totalTokens).toBeGreaterThan(0)
    expect(view.activeTaskId).toBeUndefined()
  })

  it('shows a failed run with the failing task marked and the reason', async () => {
    const { workflow } = await play({ fail: true })
    const view = emptyView()
    for (const record of workflow) applyEvent(view, { ...record.envelope } as never)
    expect(view.status).toBe('failed')
    expect(view.failure).toBe(FAILURE.message)
    expect(view.tasks.at(-1)?.state).toBe('failed')
    expect(view.tasks.at(-1)?.tools.map((t) => [t.name, t.state])).toEqual([
      [FAILURE.tool.name, 'failed'],
    ])
  })
})
