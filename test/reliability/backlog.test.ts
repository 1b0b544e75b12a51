import { afterEach, describe, expect, it } from 'vitest'
import { connect, type RunstreamError } from '../../src/client.js'
import {
  createStreamManager,
  type EventStore,
  executionCatalog,
  type GapInfo,
  memoryStore,
} from '../../src/index.js'
import { createFetchHandler } from '../../src/server.js'
import { envelopesOf } from '../helpers/http.js'
import {
  collect,
  EAGER_RECONNECT,
  eventually,
  type Runstream,
  range,
  startRunstream,
} from './harness.js'

// Found by these tests: a replay pushed every page into the subscriber's queue without waiting,
// so a backlog longer than maxQueuedEvents ended even a client that reads at full speed
// (after exactly 10 000 events with the defaults), and a reconnect did the same again.

let runstream: Runstream | undefined
afterEach(async () => {
  await runstream?.close()
  runstream = undefined
})

const BACKLOG = 30_000

describe('a long backlog', () => {
  it('is replayed whole to a reader that keeps up, past maxQueuedEvents, on the Node handler', async () => {
    runstream = await startRunstream({
      // 30,000 events of about 300 bytes: past the default byte budget of a stream (8 MiB).
      store: memoryStore({ maxEventsPerStream: 50_000, maxBytesPerStream: 32 * 1024 * 1024 }),
    })
    const producer = runstream.manager.stream('workflow:long')
    for (let n = 1; n <= BACKLOG; n++)
      producer.emit('llm_chunk', { text: `${n} ${'x'.repeat(200)}` })
    producer.emit('complete', { status: 'SUCCESS' })
    const errors: RunstreamError[] = []
    const events = await collect(
      connect(runstream.streamUrl('workflow', 'long'), {
        catalog: executionCatalog,
        onError: (error) => errors.push(error),
      }),
    )
    expect(events.map((event) => Number(event.id))).toEqual(range(1, BACKLOG + 1))
    // Not one reconnect: the server never gave up on this client.
    expect(errors).toEqual([])
    expect(runstream.errors).toEqual([])
  }, 30_000)

  it('is replayed whole on the Fetch handler, whose body is pulled', async () => {
    const manager = createStreamManager({
      catalog: executionCatalog,
      store: memoryStore({ maxEventsPerStream: 50_000, maxBytesPerStream: 32 * 1024 * 1024 }),
      maxQueuedEvents: 1000,
    })
    const errors: RunstreamError[] = []
    const handler = createFetchHandler(manager, { onError: (error) => errors.push(error) })
    const producer = manager.stream('workflow:long')
    for (let n = 1; n <= 5000; n++) producer.emit('llm_chunk', { text: `${n}` })
    producer.emit('complete', { status: 'SUCCESS' })
    const response = await handler(new Request('http://x/api/v0/executions/workflows/long/stream'))
    const ids = envelopesOf(await response.text()).map((envelope) => Number(envelope.id))
    expect(ids).toEqual(range(1, 5001))
    expect(errors).toEqual([])
  })

  it('ends a replay that falls behind retention with subscriber_overflow, and the resume says so with a gap', async () => {
    const store = memoryStore({ maxEventsPerStream: 20 })
    const manager = createStreamManager({ catalog: executionCatalog, store })
    const producer = manager.stream('workflow:fast')
    for (let n = 1; n <= 20; n++) producer.emit('llm_chunk', { text: `${n}` })
    // A queue of 5: the replay reads 5 at a time, as the subscriber takes them.
    const subscription = manager.subscribe({ stream: 'workflow:fast', maxQueuedEvents: 5 })
    const ids: number[] = []
    let failure: RunstreamError | undefined
    try {
      for await (const event of subscription) {
        ids.push(Number(event.id))
        // While it reads its first events, the producer races 30 events ahead: retention drops
        // what the replay had not read yet.
        if (ids.length === 1)
          for (let n = 21; n <= 50; n++) producer.emit('llm_chunk', { text: `${n}` })
      }
    } catch (error) {
      failure = error as RunstreamError
    }
    expect(failure?.code).toBe('subscriber_overflow')
    const last = ids.at(-1) as number
    expect(ids).toEqual(range(1, last))
    // The cursor to resume after, qualified with the stream's epoch.
    const cursor = `${store.read('workflow:fast').epoch}.${last}`
    expect(failure?.details).toMatchObject({ lastEventId: cursor, firstId: '31' })
    // Resuming where it says reports the gap instead of skipping silently.
    const gaps: GapInfo[] = []
    const resumed = manager.subscribe({
      stream: 'workflow:fast',
      lastEventId: cursor,
      onGap: (gap) => gaps.push(gap),
    })
    expect((await resumed.next()).value?.id).toBe('31')
    expect(gaps).toEqual([{ reason: 'expired', lastEventId: cursor, firstId: '31', lastId: '50' }])
    resumed.close()
  })

  it('goes live without ending a subscriber when the live events of its last read do not fit its queue', async () => {
    // The last replay read sees events 1-2; events 3-4 arrive live before its reply. With a
    // queue of 3, queuing them all at once would overflow: they are read from the store instead.
    const inner = memoryStore()
    let gate: (() => void) | undefined
    const store: EventStore = {
      append: (draft) => inner.append(draft),
      async read(stream, options) {
        const page = inner.read(stream, options)
        if (gate === undefined && page.events.length > 0) {
          await new Promise<void>((resolve) => {
            gate = resolve
          })
        }
        return page
      },
      listen: (stream, listener) => inner.listen(stream, listener),
    }
    const manager = createStreamManager({ catalog: executionCatalog, store })
    const producer = manager.stream('workflow:seam')
    producer.emit('llm_chunk', { text: '1' })
    producer.emit('llm_chunk', { text: '2' })
    const subscription = manager.subscribe({ stream: 'workflow:seam', maxQueuedEvents: 3 })
    await eventually(() => gate !== undefined, 'the replay read')
    producer.emit('llm_chunk', { text: '3' })
    producer.emit('llm_chunk', { text: '4' })
    gate?.()
    producer.emit('complete', { status: 'SUCCESS' })
    const ids: number[] = []
    for await (const event of subscription) ids.push(Number(event.id))
    expect(ids).toEqual([1, 2, 3, 4, 5])
  })

  it('takes a client from a gap mid-replay to the end, told of the gap, over the wire', async () => {
    runstream = await startRunstream({
      store: memoryStore({ maxEventsPerStream: 2000 }),
      maxQueuedEvents: 100,
      maxQueuedBytes: 4096,
    })
    const producer = runstream.manager.stream('workflow:race')
    for (let n = 1; n <= 2000; n++) producer.emit('llm_chunk', { text: `${n}` })
    const errors: RunstreamError[] = []
    let racing = true
    const events = collect(
      connect(runstream.streamUrl('workflow', 'race'), {
        catalog: executionCatalog,
        reconnect: EAGER_RECONNECT,
        onError: (error) => errors.push(error),
      }),
      (_, received) => {
        // The first events in: race far past the retention, once.
        if (received === 1 && racing) {
          racing = false
          for (let n = 2001; n <= 6000; n++) producer.emit('llm_chunk', { text: `${n}` })
          producer.emit('complete', { status: 'SUCCESS' })
        }
      },
    )
    const ids = (await events).map((event) => Number(event.id))
    // Strictly increasing, ending with the terminal event; the jump is announced.
    expect(ids.every((id, i) => i === 0 || id > (ids[i - 1] as number))).toBe(true)
    expect(ids.at(-1)).toBe(6001)
    const jumps = ids.filter((id, i) => i > 0 && id !== (ids[i - 1] as number) + 1)
    expect(jumps.length).toBeGreaterThan(0)
    expect(errors.filter((error) => error.code === 'cursor_expired')).toHaveLength(jumps.length)
  }, 20_000)
})
