import { Observable } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { produceAgUiRun } from '../../src/ag-ui/producer.js'
import { agUiCatalog } from '../../src/ag-ui.js'
import { createStreamManager, type RunstreamError } from '../../src/index.js'

// How runstream makes any agent's events a stream every AG-UI client accepts.

async function produce(source: Parameters<typeof produceAgUiRun>[1], cancel?: boolean) {
  const errors: RunstreamError[] = []
  const manager = createStreamManager({
    catalog: agUiCatalog,
    onError: (error) => errors.push(error),
  })
  const run = await manager.startRun('agent', { id: 'r1' })
  const done = produceAgUiRun(
    { stream: run.stream, signal: run.signal, catalog: agUiCatalog, threadId: 't1', runId: 'r1' },
    source,
    (error) => errors.push(error),
  )
  if (cancel) await manager.cancelRun(run.name, 'Stopped by the user.')
  await done
  await manager.flush()
  const events = []
  for await (const event of manager.subscribe({ stream: run.name })) events.push(event.data)
  await manager.close()
  return { events, errors }
}

const TEXT = [
  { type: 'TEXT_MESSAGE_START', messageId: 'm1', role: 'assistant' },
  { type: 'TEXT_MESSAGE_CONTENT', messageId: 'm1', delta: 'Hi' },
  { type: 'TEXT_MESSAGE_END', messageId: 'm1' },
]

describe('produceAgUiRun', () => {
  it('adds RUN_STARTED before and RUN_FINISHED after an agent that gives neither', async () => {
    const { events, errors } = await produce(
      (async function* () {
        yield* TEXT
      })(),
    )
    expect(events).toEqual([
      { type: 'RUN_STARTED', threadId: 't1', runId: 'r1' },
      ...TEXT,
      { type: 'RUN_FINISHED', threadId: 't1', runId: 'r1' },
    ])
    expect(errors).toEqual([])
  })

  it('takes an AG-UI Observable as it is, and reads nothing after its terminal event', async () => {
    let closedAfterTerminal: boolean | undefined
    const source = new Observable<{ type: string }>((subscriber) => {
      // Asynchronous, as an agent's events are: the first ones are taken while subscribe() runs.
      void (async () => {
        subscriber.next({ type: 'RUN_STARTED', threadId: 't1', runId: 'r1' } as never)
        for (const event of TEXT) subscriber.next(event)
        await Promise.resolve()
        subscriber.next({ type: 'RUN_FINISHED', threadId: 't1', runId: 'r1' } as never)
        closedAfterTerminal = subscriber.closed
        subscriber.next(TEXT[1] as never)
      })()
    })
    const { events, errors } = await produce(source)
    expect(events.map((event) => (event as { type: string }).type)).toEqual([
      'RUN_STARTED',
      'TEXT_MESSAGE_START',
      'TEXT_MESSAGE_CONTENT',
      'TEXT_MESSAGE_END',
      'RUN_FINISHED',
    ])
    expect(closedAfterTerminal).toBe(true)
    expect(errors).toEqual([])
  })

  it('ends a failing agent with RUN_ERROR that reveals nothing, and reports the failure', async () => {
    const { events, errors } = await produce(
      (async function* () {
        yield TEXT[0] as { type: string }
        throw new Error('secret: the model key expired')
      })(),
    )
    expect(events.at(-1)).toEqual({
      type: 'RUN_ERROR',
      message: 'The agent failed.',
      code: 'agent_failed',
    })
    expect(errors.map((error) => error.code)).toEqual(['handler_failed'])
    expect(errors[0]?.message).toContain('the model key expired')
  })

  it('ends a cancelled run with its cancellation event as soon as the agent stops', async () => {
    const { events } = await produce(
      (async function* () {
        yield TEXT[0] as { type: string }
        // The agent stops when it sees the signal, as an AbortError would stop a model call.
        await new Promise((resolve) => setTimeout(resolve, 10))
      })(),
      true,
    )
    expect(events.at(-1)).toEqual({
      type: 'RUN_ERROR',
      message: 'Stopped by the user.',
      code: 'cancelled',
    })
  })

  it('skips and reports an event that is not AG-UI', async () => {
    const { events, errors } = await produce(
      (async function* () {
        yield { type: 'TEXT_MESSAGE_CONTENT', messageId: 'm1' } // no delta
        yield null as never
      })(),
    )
    expect(events.map((event) => (event as { type: string }).type)).toEqual([
      'RUN_STARTED',
      'RUN_FINISHED',
    ])
    expect(errors.map((error) => error.code).sort()).toEqual([
      'validation_failed',
      'validation_failed',
    ])
  })
})
