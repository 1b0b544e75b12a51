import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import {
  createStreamManager,
  defineCatalog,
  type EventStore,
  executionCatalog,
  isRunstreamError,
  type MemoryStore,
  memoryStore,
  mergeCatalogs,
  orchestrationCatalog,
  type RunstreamError,
} from '../../src/index.js'

function setup(options: { cancelGraceMs?: number; store?: EventStore } = {}) {
  const errors: RunstreamError[] = []
  const store = options.store ?? memoryStore()
  const manager = createStreamManager({
    catalog: executionCatalog,
    store,
    onError: (error) => errors.push(error),
    ...(options.cancelGraceMs === undefined ? {} : { cancelGraceMs: options.cancelGraceMs }),
  })
  return { manager, store, errors }
}

function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(signal.reason)
    else signal.addEventListener('abort', () => resolve(signal.reason), { once: true })
  })
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

describe('startRun', () => {
  it('starts a run with a fresh URL-safe id, its stream name and a live signal', async () => {
    const { manager } = setup()
    const run = await manager.startRun('workflow')
    expect(run.id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(run.kind).toBe('workflow')
    expect(run.name).toBe(`workflow:${run.id}`)
    expect(run.stream.name).toBe(run.name)
    expect(run.signal.aborted).toBe(false)
    const other = await manager.startRun('workflow')
    expect(other.id).not.toBe(run.id)
    await manager.close()
  })

  it('takes the id the app chooses, and refuses one whose stream exists with run_exists', async () => {
    const { manager } = setup()
    const run = await manager.startRun('agent', { id: 'exec_42' })
    expect(run.name).toBe('agent:exec_42')
    await expect(manager.startRun('agent', { id: 'exec_42' })).rejects.toMatchObject({
      code: 'run_exists',
    })
    manager.stream('task:old').emit('task_status', { status: 'RUNNING' })
    await expect(manager.startRun('task', { id: 'old' })).rejects.toSatisfy((error) =>
      isRunstreamError(error, 'run_exists'),
    )
    // A kind of the app's own.
    expect((await manager.startRun('chat', { id: 'c1' })).name).toBe('chat:c1')
    await manager.close()
  })

  it('throws a TypeError for a bad kind or id, at the call', () => {
    const { manager } = setup()
    expect(() => manager.startRun('work flow')).toThrow(TypeError)
    expect(() => manager.startRun('workflow:x')).toThrow(/kind/)
    expect(() => manager.startRun('workflow', { id: '../etc' })).toThrow(/`id` must be/)
    expect(() => manager.startRun('workflow', { id: 'a/b' })).toThrow(TypeError)
    expect(() => manager.startRun('workflow', { id: 'x'.repeat(129) })).toThrow(TypeError)
    expect(() => manager.startRun('workflow', 'exec_1' as never)).toThrow(/options object/)
  })

  it('refuses a store without runs with a TypeError that names what it needs', () => {
    const plain = memoryStore()
    const store: EventStore = {
      append: (draft) => plain.append(draft),
      read: (stream, options) => plain.read(stream, options),
      listen: (stream, listener) => plain.listen(stream, listener),
    }
    const { manager } = setup({ store })
    expect(() => manager.startRun('workflow')).toThrow(
      /createRun\(\), cancelRun\(\) and onCancel\(\)/,
    )
    expect(() => manager.cancelRun('workflow:x')).toThrow(TypeError)
  })

  it('checks cancelGraceMs where it is given', () => {
    for (const cancelGraceMs of [-1, 1.5, Number.NaN, 2 ** 31]) {
      expect(() => createStreamManager({ catalog: executionCatalog, cancelGraceMs })).toThrow(
        /cancelGraceMs/,
      )
    }
    expect(() => createStreamManager({ catalog: executionCatalog, cancelGraceMs: 0 })).not.toThrow()
  })
})

describe('cancelRun', () => {
  it('aborts the producer’s signal with run_canceled and its reason', async () => {
    const { manager, errors } = setup({ cancelGraceMs: 60_000 })
    const run = await manager.startRun('workflow')
    run.stream.emit('workflow_status', { status: 'RUNNING' })
    expect(await manager.cancelRun(run.name, 'Stopped by the user.')).toBe('canceled')
    const reason = await aborted(run.signal)
    expect(isRunstreamError(reason, 'run_canceled')).toBe(true)
    expect((reason as RunstreamError).details).toEqual({
      stream: run.name,
      reason: 'Stopped by the user.',
    })
    // The producer ends the run as it likes; nothing more is added.
    run.stream.emit('complete', { status: 'CANCELED' })
    await manager.flush()
    expect((manager.store as MemoryStore).read(run.name)).toMatchObject({
      lastId: '2',
      finished: true,
    })
    expect(errors).toEqual([])
    await manager.close()
  })

  it('ends a run whose producer ignores it with error CANCELED after cancelGraceMs, once', async () => {
    const { manager, errors } = setup({ cancelGraceMs: 30 })
    const run = await manager.startRun('agent', { id: 'slow' })
    run.stream.emit('agent_status', { status: 'RUNNING' })
    const events = collect(manager.subscribe({ stream: run.name }))
    expect(await manager.cancelRun(run.name, 'Too slow.')).toBe('canceled')
    expect(await manager.cancelRun(run.name, 'Still too slow.')).toBe('canceled')
    expect((await events).map((event) => [event.type, event.data])).toEqual([
      ['agent_status', { status: 'RUNNING' }],
      ['error', { status: 'CANCELED', error: { message: 'Too slow.', code: 'canceled' } }],
    ])
    // The producer wakes up late: its events are refused and reported, never stored.
    run.stream.emit('llm_chunk', { text: 'late' })
    await manager.flush()
    expect(errors.map((error) => error.code)).toEqual(['stream_finished'])
    expect(await manager.cancelRun(run.name)).toBe('finished')
    expect((manager.store as MemoryStore).read(run.name).lastId).toBe('2')
    await manager.close()
  })

  it('tells an unknown run, and a finished one, without sending anything', async () => {
    const { manager, errors } = setup({ cancelGraceMs: 0 })
    expect(await manager.cancelRun('workflow:nobody')).toBe('unknown')
    const run = await manager.startRun('workflow')
    run.stream.emit('complete', { status: 'SUCCESS' })
    await manager.flush()
    expect(await manager.cancelRun(run.name)).toBe('finished')
    expect(run.signal.aborted).toBe(false)
    expect((manager.store as MemoryStore).read(run.name).lastId).toBe('1')
    expect(errors).toEqual([])
    await manager.close()
  })

  it('reports a cancelled stream it cannot end when the catalog declares no cancellation event', async () => {
    const catalog = defineCatalog(
      { tick: z.object({}), done: z.object({}) },
      { terminal: ['done'] },
    )
    const errors: RunstreamError[] = []
    const manager = createStreamManager({
      catalog,
      cancelGraceMs: 0,
      onError: (error) => errors.push(error),
    })
    const run = await manager.startRun('job')
    run.stream.emit('tick', {})
    expect(await manager.cancelRun(run.name)).toBe('canceled')
    await expect.poll(() => errors.map((error) => error.code)).toEqual(['run_canceled'])
    expect(errors[0]?.message).toMatch(/declares no cancellation event/)
    expect((manager.store as MemoryStore).read(run.name).finished).toBe(false)
    await manager.close()
  })

  it('checks its arguments at the call', () => {
    const { manager } = setup()
    expect(() => manager.cancelRun('')).toThrow(TypeError)
    expect(() => manager.cancelRun('workflow:x', 42 as never)).toThrow(/reason/)
  })

  it('aborts the runs still live when the manager closes, and clears its timers', async () => {
    const { manager } = setup({ cancelGraceMs: 60_000 })
    const run = await manager.startRun('task')
    const other = await manager.startRun('task')
    expect(await manager.cancelRun(other.name)).toBe('canceled')
    await manager.close()
    expect(isRunstreamError(run.signal.reason, 'aborted')).toBe(true)
    await expect(manager.startRun('task')).rejects.toMatchObject({ code: 'aborted' })
  })
})

describe('catalog cancel option', () => {
  it('is kept by mergeCatalogs, first catalog first', () => {
    expect(mergeCatalogs(executionCatalog, orchestrationCatalog).cancel?.('r')).toEqual(
      executionCatalog.cancel?.('r'),
    )
    expect(mergeCatalogs(orchestrationCatalog, executionCatalog).cancel?.('r')).toEqual({
      type: 'error',
      data: { status: 'CANCELED', error: { message: 'r', code: 'canceled' } },
    })
  })

  it('must be a function', () => {
    expect(() =>
      defineCatalog({ done: z.object({}) }, { terminal: ['done'], cancel: 'done' as never }),
    ).toThrow(/`cancel` must be a function/)
  })
})
