import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import {
  createStreamManager,
  type DraftEvent,
  defineCatalog,
  type EventRecord,
  type EventStore,
  executionCatalog,
  memoryStore,
  memoryTransport,
  type RunstreamError,
  type Transport,
} from '../../src/index.js'
import { waitFor } from '../helpers/wait.js'

function setup(
  options: {
    transports?: Transport[]
    store?: EventStore
    validate?: boolean
    maxEventBytes?: number
    maxQueuedEvents?: number
  } = {},
) {
  const errors: RunstreamError[] = []
  const transport = memoryTransport()
  const manager = createStreamManager({
    catalog: executionCatalog,
    transports: options.transports ?? [transport],
    onError: (error) => errors.push(error),
    ...(options.store ? { store: options.store } : {}),
    ...(options.validate === undefined ? {} : { validate: options.validate }),
    ...(options.maxEventBytes ? { maxEventBytes: options.maxEventBytes } : {}),
    ...(options.maxQueuedEvents ? { maxQueuedEvents: options.maxQueuedEvents } : {}),
  })
  return { manager, transport, errors }
}

describe('emit', () => {
  it('wraps each event in one envelope with id, type, stream, ts and data', () => {
    const { manager, transport } = setup()
    manager
      .stream('workflow:exec_42')
      .emit('workflow_start', { workflow_id: 'wf', execution_id: 'exec_42' })
    const [record] = transport.records
    expect(record?.envelope).toEqual({
      id: '1',
      type: 'workflow_start',
      stream: 'workflow:exec_42',
      ts: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      data: { workflow_id: 'wf', execution_id: 'exec_42' },
    })
    expect(record?.json).toBe(JSON.stringify(record?.envelope))
    expect(Object.keys(JSON.parse(record!.json))).toEqual(['id', 'type', 'stream', 'ts', 'data'])
  })

  it("writes each event's own type and stream into its JSON when emits alternate between them", () => {
    const { manager, transport } = setup()
    const a = manager.stream('task:a')
    const b = manager.stream('task:b')
    for (let i = 0; i < 3; i++) {
      a.emit('llm_chunk', { text: String(i) })
      a.emit('task_status', { status: 'RUNNING' })
      b.emit('task_status', { status: 'RUNNING' })
      manager.stream('task:a').emit('llm_chunk', { text: 'again' })
    }
    expect(transport.records).toHaveLength(12)
    for (const record of transport.records) {
      expect(record.json).toBe(JSON.stringify(record.envelope))
    }
    expect(transport.records.map((r) => `${r.envelope.stream} ${r.envelope.type}`)).toEqual(
      Array.from({ length: 3 }, () => [
        'task:a llm_chunk',
        'task:a task_status',
        'task:b task_status',
        'task:a llm_chunk',
      ]).flat(),
    )
  })

  it('gives strictly increasing ids per stream, starting at 1 on every stream', () => {
    const { manager, transport } = setup()
    for (let i = 0; i < 12; i++) {
      manager.stream('task:a').emit('llm_chunk', { text: String(i) })
      if (i % 3 === 0) manager.stream('task:b').emit('llm_chunk', { text: String(i) })
    }
    const ids = (stream: string) =>
      transport
        .envelopes()
        .filter((e) => e.stream === stream)
        .map((e) => e.id)
    expect(ids('task:a')).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'])
    expect(ids('task:b')).toEqual(['1', '2', '3', '4'])
  })

  it('shares one record, the same bytes, between every transport and subscriber', async () => {
    const second = memoryTransport()
    const first = memoryTransport()
    const { manager } = setup({ transports: [first, second] })
    const records = manager.subscribeRecords({ stream: 'agent:1' })
    const envelopes = manager.subscribe({ stream: 'agent:1' })
    const received = records.next()
    const receivedEnvelope = envelopes.next()
    manager.stream('agent:1').emit('agent_status', { status: 'RUNNING' })
    const live = (await received).value as EventRecord
    expect(first.records[0]).toBe(second.records[0])
    expect(live).toBe(first.records[0])
    // An app's subscription yields the envelope of that same record.
    expect((await receivedEnvelope).value).toBe(live.envelope)
    records.close()
    envelopes.close()
  })

  it('reports an invalid payload as EventValidationError and sends nothing', () => {
    const { manager, transport, errors } = setup()
    // @ts-expect-error status is required
    manager.stream('task:1').emit('task_status', {})
    expect(transport.records).toHaveLength(0)
    expect(errors[0]).toMatchObject({
      name: 'EventValidationError',
      code: 'validation_failed',
      eventType: 'task_status',
      stream: 'task:1',
    })
  })

  it('reports an unknown type and sends nothing', () => {
    const { manager, transport, errors } = setup()
    // @ts-expect-error not in the catalog
    manager.stream('task:1').emit('llm_chunks', { text: 'x' })
    expect(transport.records).toHaveLength(0)
    expect(errors[0]?.code).toBe('unknown_event')
  })

  it('sends unvalidated events as they are when validation is off', () => {
    const { manager, transport, errors } = setup({ validate: false })
    // @ts-expect-error not in the catalog
    manager.stream('task:1').emit('custom', { anything: 1 })
    expect(transport.envelopes()[0]).toMatchObject({ type: 'custom', data: { anything: 1 } })
    expect(errors).toEqual([])
  })

  it('sends the schema output: defaults and overwrites applied', () => {
    const catalog = defineCatalog({
      e: z.object({ n: z.string().trim(), flag: z.boolean().default(false) }),
    })
    const transport = memoryTransport()
    const manager = createStreamManager({ catalog, transports: [transport] })
    manager.stream('s').emit('e', { n: ' 7 ' })
    expect(transport.envelopes()[0]?.data).toEqual({ n: '7', flag: false })
  })

  it('reports emits after the terminal event and sends nothing more', () => {
    const { manager, transport, errors } = setup()
    const stream = manager.stream('workflow:1')
    stream.emit('complete', { status: 'SUCCESS' })
    expect(stream.finished).toBe(true)
    stream.emit('llm_chunk', { text: 'late' })
    manager.stream('workflow:1').emit('llm_chunk', { text: 'late again' })
    expect(transport.records).toHaveLength(1)
    expect(errors.map((e) => e.code)).toEqual(['stream_finished', 'stream_finished'])
  })

  it('reports payloads that cannot become JSON', () => {
    const { manager, transport, errors } = setup()
    manager.stream('task:1').emit('tool_call', { tool_name: 'x', args: { big: 10n } })
    expect(transport.records).toHaveLength(0)
    expect(errors[0]?.code).toBe('serialization_failed')
  })

  it('refuses an envelope over maxEventBytes, counting UTF-8 bytes', () => {
    const { manager, transport, errors } = setup({ maxEventBytes: 1000 })
    manager.stream('task:1').emit('llm_chunk', { text: 'é'.repeat(300) })
    manager.stream('task:1').emit('llm_chunk', { text: 'é'.repeat(600) })
    expect(transport.records).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'event_too_large' })
  })

  it('never throws into the producer, even when onError throws', () => {
    const manager = createStreamManager({
      catalog: executionCatalog,
      onError: () => {
        throw new Error('bad handler')
      },
    })
    // @ts-expect-error invalid on purpose
    expect(() => manager.stream('x').emit('nope', 1)).not.toThrow()
  })

  it('refuses misuse: a stream name with control characters', () => {
    const { manager } = setup()
    expect(() => manager.stream('bad\nname')).toThrow(TypeError)
    expect(() => manager.stream('')).toThrow(/1 to 512 characters/)
  })
})

describe('transports', () => {
  it('reports a transport that throws or rejects, and the others still get the event', async () => {
    const good = memoryTransport()
    const throwing: Transport = {
      name: 'throwing',
      send: () => {
        throw new Error('sync boom')
      },
    }
    const rejecting: Transport = {
      name: 'rejecting',
      send: async () => {
        throw new Error('async boom')
      },
    }
    const { manager, errors } = setup({ transports: [throwing, rejecting, good] })
    manager.stream('task:1').emit('llm_chunk', { text: 'x' })
    expect(good.records).toHaveLength(1)
    await manager.flush()
    expect(errors.map((e) => [e.code, e.details?.transport])).toEqual([
      ['transport_failed', 'throwing'],
      ['transport_failed', 'rejecting'],
    ])
    expect(errors[1]?.message).toMatch(/async boom.*other transports still received it/)
  })

  it('does not wait for a slow transport before returning from emit', async () => {
    let release = () => {}
    let sent = 0
    const slow: Transport = {
      name: 'slow',
      send: () =>
        new Promise<void>((resolve) => {
          sent++
          release = resolve
        }),
    }
    const { manager } = setup({ transports: [slow] })
    // emit returns at once; the transport answers only when released.
    manager.stream('task:1').emit('llm_chunk', { text: 'x' })
    let flushed = false
    const flushing = manager.flush().then(() => {
      flushed = true
    })
    await waitFor(() => sent === 1, { what: 'the transport to be handed the event' })
    expect(flushed).toBe(false)
    release()
    await flushing
    expect(flushed).toBe(true)
  })
})

describe('asynchronous stores', () => {
  // A store that answers after a delay, like a networked one, to check ordering and failures.
  function delayedStore(delays: number[], failOn?: number): EventStore {
    const inner = memoryStore()
    let call = 0
    return {
      append(draft: DraftEvent) {
        const index = call++
        const record = inner.append(draft)
        return new Promise((resolve, reject) =>
          setTimeout(
            () => (index === failOn ? reject(new Error('store down')) : resolve(record)),
            delays[index % delays.length],
          ),
        )
      },
      read: (stream, options) => inner.read(stream, options),
      listen: (stream, listener) => inner.listen(stream, listener),
    }
  }

  it('hands events to transports in emit order even when the store answers out of order', async () => {
    const { manager, transport } = setup({ store: delayedStore([30, 1, 15, 5]) })
    for (let i = 1; i <= 8; i++) manager.stream('task:1').emit('llm_chunk', { text: String(i) })
    expect(transport.records).toHaveLength(0)
    await manager.flush()
    expect(transport.envelopes().map((e) => e.id)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8'])
  })

  it('reports a store failure through onError and goes on with the next events', async () => {
    const { manager, transport, errors } = setup({ store: delayedStore([1], 1) })
    for (let i = 1; i <= 3; i++) manager.stream('task:1').emit('llm_chunk', { text: String(i) })
    await manager.flush()
    expect(errors.map((e) => e.code)).toEqual(['store_failed'])
    expect(errors[0]?.message).toMatch(/store down/)
    expect(transport.envelopes().map((e) => (e.data as { text: string }).text)).toEqual(['1', '3'])
  })
})

/** A memory store that counts its reads and live registrations, so a test can wait for a subscriber. */
function countingStore(): EventStore & { readonly listening: number; readonly reads: number } {
  let listening = 0
  let reads = 0
  const inner = memoryStore()
  return {
    get listening() {
      return listening
    },
    get reads() {
      return reads
    },
    append: (draft) => inner.append(draft),
    read(stream, options) {
      reads++
      return inner.read(stream, options)
    },
    listen(stream, listener) {
      listening++
      const stop = inner.listen(stream, listener)
      return () => {
        listening--
        stop()
      }
    },
  }
}

describe('subscribe', () => {
  it('ends a subscriber that falls too far behind, telling it where to resume', async () => {
    const store = countingStore()
    const { manager } = setup({ maxQueuedEvents: 10, store })
    const sub = manager.subscribe({ stream: 'task:slow' })
    // Live, its replay of the empty stream done: the events below go through its queue.
    await waitFor(() => store.listening === 1 && store.reads === 1, {
      what: 'the subscriber to listen and read the empty stream',
    })
    for (let i = 0; i < 25; i++) manager.stream('task:slow').emit('llm_chunk', { text: String(i) })
    const ids: string[] = []
    const failure = await (async () => {
      try {
        for await (const event of sub) ids.push(event.id)
      } catch (error) {
        return error as RunstreamError
      }
    })()
    expect(ids).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'])
    // The cursor is qualified with the stream's epoch, so a resume knows its incarnation.
    const cursor = failure?.details?.lastEventId as string
    expect(failure?.code).toBe('subscriber_overflow')
    expect(cursor).toMatch(/^[a-z][0-9a-z]{9}\.10$/)
    expect(failure?.message).toContain(`lastEventId: "${cursor}"`)
    // Nothing was lost: the store still has everything after the last id received.
    const resumed = manager.subscribe({ stream: 'task:slow', lastEventId: cursor })
    expect((await resumed.next()).value?.id).toBe('11')
    resumed.close()
  })

  it('works with its methods taken off it, as callbacks', async () => {
    const store = countingStore()
    const { manager } = setup({ store })
    manager.stream('task:detached').emit('llm_chunk', { text: 'a' })
    const sub = manager.subscribe({ stream: 'task:detached' })
    // A subscription's methods are used detached (an abort listener, a cleanup callback).
    const { next, close } = sub
    expect((await next()).value?.id).toBe('1')
    const waiting = next()
    await waitFor(() => store.listening === 1, { what: 'the subscriber to listen' })
    close()
    expect(await waiting).toEqual({ value: undefined, done: true })
    expect(store.listening).toBe(0)
    const { return: finish } = manager.subscribe({ stream: 'task:detached' })
    expect(await (finish as () => Promise<unknown>)()).toEqual({ value: undefined, done: true })
  })

  it('ends on abort and releases the stream', async () => {
    const store = countingStore()
    const { manager } = setup({ store })
    const controller = new AbortController()
    const sub = manager.subscribe({ stream: 'task:abort', signal: controller.signal })
    const next = sub.next()
    await waitFor(() => store.listening === 1, { what: 'the subscriber to listen' })
    controller.abort()
    expect(await next).toEqual({ value: undefined, done: true })
    expect(store.listening).toBe(0)
  })

  it('closes on break in for await and stops listening to the store', async () => {
    const counting = countingStore()
    const { manager } = setup({ store: counting })
    const stream = manager.stream('task:break')
    for (let i = 0; i < 5; i++) stream.emit('llm_chunk', { text: String(i) })
    const subs = [
      manager.subscribe({ stream: 'task:break' }),
      manager.subscribe({ stream: 'task:break' }),
    ]
    for (const sub of subs) {
      for await (const event of sub) if (event.id === '3') break
    }
    expect(counting.listening).toBe(0)
  })

  it('waits for a stream that has no event yet', async () => {
    const store = countingStore()
    const { manager } = setup({ store })
    const sub = manager.subscribe({ stream: 'workflow:later' })
    const first = sub.next()
    await waitFor(() => store.listening === 1, { what: 'the subscriber to wait, listening' })
    manager.stream('workflow:later').emit('workflow_status', { status: 'PENDING' })
    expect((await first).value?.type).toBe('workflow_status')
    sub.close()
  })

  it('ends every subscription on close()', async () => {
    const store = countingStore()
    const { manager } = setup({ store })
    const sub = manager.subscribe({ stream: 'workflow:x' })
    const next = sub.next()
    await waitFor(() => store.listening === 1, { what: 'the subscriber to listen' })
    await manager.close()
    expect(await next).toEqual({ value: undefined, done: true })
  })
})
