import { describe, expect, it } from 'vitest'
import { draftBody } from '../../src/core/envelope.js'
import { createLagHistogram, LAG_BOUNDS_MS } from '../../src/core/lag-histogram.js'
import {
  createStreamManager,
  type EventStore,
  executionCatalog,
  type GapInfo,
  memoryStore,
  type RunstreamError,
  type StreamMetrics,
} from '../../src/index.js'
import { testManager } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'

// What a manager counts by itself, without a server: emits, rejections, replays, gaps,
// subscribers cut off, store failures, and the hooks of manager.observe().

function manager(store: EventStore = memoryStore()) {
  const errors: RunstreamError[] = []
  const created = createStreamManager({
    catalog: executionCatalog,
    store,
    onError: (error) => errors.push(error),
  })
  return { manager: created, errors }
}

/** Takes `count` events of a subscription. */
async function take(iterator: AsyncIterator<unknown>, count: number): Promise<void> {
  for (let n = 0; n < count; n++) await iterator.next()
}

describe('manager.metrics()', () => {
  it('starts at zero, as a plain object that survives JSON', () => {
    const { manager: m } = manager()
    const metrics = m.metrics()
    expect(metrics).toMatchObject({
      openStreams: 0,
      openSubscriptions: 0,
      openConnections: 0,
      eventsEmitted: 0,
      lag: { count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 },
    })
    expect(metrics.lag.counts).toHaveLength(metrics.lag.boundsMs.length + 1)
    expect(JSON.parse(JSON.stringify(metrics))).toEqual(metrics)
  })

  it('counts stored events as emitted, and every emit that sent nothing as rejected', async () => {
    const { manager: m, errors } = manager()
    const rejected: string[] = []
    m.observe({ onReject: (error) => rejected.push(error.code) })
    const stream = m.stream('workflow:w1')
    stream.emit('llm_chunk', { text: 'a' })
    stream.emit('llm_chunk', { text: 42 } as never)
    stream.emit('no_such_event' as never, {} as never)
    stream.emit('complete', { status: 'SUCCESS' })
    stream.emit('llm_chunk', { text: 'late' })
    await m.flush()
    expect(m.metrics()).toMatchObject({ eventsEmitted: 2, eventsRejected: 3 })
    expect(rejected).toEqual(errors.map((e) => e.code))
    expect(rejected).toEqual(['validation_failed', 'unknown_event', 'stream_finished'])
  })

  it('is kept per manager', () => {
    const a = manager().manager
    const b = manager().manager
    a.stream('workflow:w1').emit('llm_chunk', { text: 'a' })
    expect(a.metrics().eventsEmitted).toBe(1)
    expect(b.metrics().eventsEmitted).toBe(0)
  })

  it('counts open streams and subscriptions, and what a late subscriber catches up on', async () => {
    const { manager: m } = manager()
    const stream = m.stream('workflow:w1')
    for (let n = 0; n < 4; n++) stream.emit('llm_chunk', { text: String(n) })
    const early = m.subscribe({ stream: 'workflow:w1' })
    const late = m.subscribe({ stream: 'workflow:w1', lastEventId: '2' })
    await take(early, 4)
    await take(late, 2)
    expect(m.metrics()).toMatchObject({
      openStreams: 1,
      openSubscriptions: 2,
      eventsReplayed: 6,
    })
    early.close()
    late.close()
    expect(m.metrics()).toMatchObject({ openStreams: 0, openSubscriptions: 0 })
  })

  it('counts a cursor the store no longer holds as a gap, with the events it lost', async () => {
    const { manager: m } = manager(memoryStore({ maxEventsPerStream: 3 }))
    const stream = m.stream('workflow:w1')
    for (let n = 1; n <= 10; n++) stream.emit('llm_chunk', { text: String(n) })
    const drops: [string, number, string][] = []
    m.observe({ onDrop: (name, count, reason) => drops.push([name, count, reason]) })
    const gaps: GapInfo[] = []
    const subscription = m.subscribe({
      stream: 'workflow:w1',
      lastEventId: '2',
      onGap: (gap) => gaps.push(gap),
    })
    await take(subscription, 3)
    subscription.close()
    // The store holds 8 to 10: 3 to 7 were lost for this subscriber.
    expect(gaps).toMatchObject([{ reason: 'expired', firstId: '8' }])
    expect(m.metrics()).toMatchObject({ gaps: 1, eventsDropped: 5, eventsReplayed: 3 })
    expect(drops).toEqual([['workflow:w1', 5, 'gap']])
  })

  it('counts a subscriber that fell more than maxQueuedEvents behind as cut off', async () => {
    const { manager: m } = manager()
    const cutoffs: string[] = []
    m.observe({ onCutoff: (stream, bound) => cutoffs.push(`${stream} ${bound}`) })
    const subscription = m.subscribe({ stream: 'workflow:w1', maxQueuedEvents: 5 })
    const stream = m.stream('workflow:w1')
    stream.emit('llm_chunk', { text: 'first' })
    // Once it took an event, the subscriber follows the live stream.
    await take(subscription, 1)
    for (let n = 0; n < 10; n++) stream.emit('llm_chunk', { text: String(n) })
    await expect(take(subscription, 10)).rejects.toMatchObject({ code: 'subscriber_overflow' })
    expect(m.metrics().slowClientCutoffs).toBe(1)
    expect(cutoffs).toEqual(['workflow:w1 events'])
  })
})

describe('store failures', () => {
  it('counts an append the store refused, at once or later, but not a finished stream', async () => {
    const inner = memoryStore()
    let failing: 'throw' | 'reject' | undefined
    const store: EventStore = {
      append(draft) {
        if (failing === 'throw') throw new Error('disk full')
        if (failing === 'reject') return Promise.reject(new Error('connection reset'))
        return inner.append(draft)
      },
      read: (stream, options) => inner.read(stream, options),
      listen: (stream, listener) => inner.listen(stream, listener),
    }
    const { manager: m, errors } = manager(store)
    const stream = m.stream('workflow:w1')
    failing = 'throw'
    stream.emit('llm_chunk', { text: 'a' })
    failing = 'reject'
    stream.emit('llm_chunk', { text: 'b' })
    await m.flush()
    failing = undefined
    stream.emit('complete', { status: 'SUCCESS' })
    // Another handle of a finished stream: the store refuses it, which is no failure.
    inner.append({ ...draftOf('workflow:w2'), terminal: true })
    m.stream('workflow:w2').emit('llm_chunk', { text: 'c' })
    await m.flush()
    expect(errors.map((e) => e.code)).toEqual(['store_failed', 'store_failed', 'stream_finished'])
    expect(m.metrics()).toMatchObject({ storeFailures: 2, eventsEmitted: 1, eventsRejected: 1 })
  })

  it('counts failed reads and a lost live registration', async () => {
    const { manager: m, store } = testManager()
    const failures: string[] = []
    m.observe({ onStoreFailure: (operation) => failures.push(operation) })
    const following = m.subscribe({ stream: 'workflow:w1' })
    const pending = take(following, 1)
    await waitFor(() => store.listening === 1, { what: 'the live registration' })
    store.breakLive()
    await expect(pending).rejects.toMatchObject({ code: 'store_failed' })
    store.failReads()
    await expect(take(m.subscribe({ stream: 'workflow:w2' }), 1)).rejects.toThrow()
    expect(failures).toEqual(['listen', 'read'])
    expect(m.metrics().storeFailures).toBe(2)
  })
})

describe('manager.observe()', () => {
  it('stops calling a detached observer, and keeps calling the others', () => {
    const { manager: m } = manager()
    const a: string[] = []
    const b: string[] = []
    const stopA = m.observe({ onEmit: (record) => a.push(record.envelope.id) })
    m.observe({ onEmit: (record) => b.push(record.envelope.id) })
    const stream = m.stream('workflow:w1')
    stream.emit('llm_chunk', { text: '1' })
    stopA()
    stream.emit('llm_chunk', { text: '2' })
    expect(a).toEqual(['1'])
    expect(b).toEqual(['1', '2'])
  })

  it('reports a hook that throws to onError, and the emit and the other hooks go on', () => {
    const { manager: m, errors } = manager()
    const seen: string[] = []
    m.observe({
      onEmit() {
        throw new Error('statsd is down')
      },
    })
    m.observe({ onEmit: (record) => seen.push(record.envelope.id) })
    m.stream('workflow:w1').emit('llm_chunk', { text: '1' })
    expect(seen).toEqual(['1'])
    expect(m.metrics().eventsEmitted).toBe(1)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'handler_failed', details: { hook: 'onEmit' } })
    expect(errors[0]?.message).toContain('statsd is down')
  })

  it('refuses what is not an object of hooks, saying which hooks exist', () => {
    const { manager: m } = manager()
    expect(() => m.observe(null as never)).toThrow(TypeError)
    expect(() => m.observe({ onDelivered: () => undefined } as never)).toThrow(
      /`onDelivered` is not a metrics hook .*onDeliver/,
    )
  })
})

describe('the lag histogram', () => {
  it('puts a sample in the first bucket whose bound holds it, and estimates percentiles', () => {
    const histogram = createLagHistogram()
    for (let n = 0; n < 98; n++) histogram.add(3)
    histogram.add(40)
    histogram.add(-5)
    const lag: StreamMetrics['lag'] = histogram.snapshot()
    expect(lag.count).toBe(100)
    expect(lag.sumMs).toBe(98 * 3 + 40)
    expect(lag.maxMs).toBe(40)
    expect(lag.counts[LAG_BOUNDS_MS.indexOf(0)]).toBe(1)
    expect(lag.counts[LAG_BOUNDS_MS.indexOf(5)]).toBe(98)
    expect(lag.counts[LAG_BOUNDS_MS.indexOf(50)]).toBe(1)
    expect(lag.p50Ms).toBe(5)
    expect(lag.p90Ms).toBe(5)
    expect(lag.p99Ms).toBe(5)
    histogram.add(100_000)
    const after = histogram.snapshot()
    expect(after.counts.at(-1)).toBe(1)
    expect(after.maxMs).toBe(100_000)
  })

  it('never reports a percentile above the largest sample', () => {
    const histogram = createLagHistogram()
    histogram.add(7)
    expect(histogram.snapshot()).toMatchObject({ p50Ms: 7, p99Ms: 7, maxMs: 7 })
  })
})

function draftOf(stream: string) {
  const ts = new Date().toISOString()
  const data = { status: 'SUCCESS' }
  return { type: 'complete', stream, ts, data, body: draftBody('complete', stream, ts, data) }
}
