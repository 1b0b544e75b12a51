import { afterEach, describe, expect, it } from 'vitest'
import { connect, subscribeMany } from '../../src/client.js'
import { draftBody } from '../../src/core/envelope.js'
import {
  type CutoffBound,
  type DraftEvent,
  executionCatalog,
  type MetricsObserver,
  memoryStore,
  type StoreOperation,
} from '../../src/index.js'
import { redisStore } from '../../src/redis.js'
import { connectSlowReader, createFaultProxy, type FaultProxy } from '../../src/testing.js'
import { freePort } from '../helpers/http.js'
import { probeStore } from '../helpers/server.js'
import { pause, waitFor } from '../helpers/wait.js'
import { collect, EAGER_RECONNECT, type Runstream, startRunstream } from '../reliability/harness.js'

// manager.metrics() and manager.observe() as a server's operator sees them: real servers on port
// 0, real clients, a real fault proxy and a real slow reader.

let open: Runstream | undefined
let proxy: FaultProxy | undefined
afterEach(async () => {
  await proxy?.close()
  proxy = undefined
  await open?.close()
  open = undefined
})

async function serve(options: Parameters<typeof startRunstream>[0] = {}): Promise<Runstream> {
  open = await startRunstream(options)
  return open
}

/** Records every hook call, in order. */
function recordHooks(runstream: Runstream) {
  const calls: { hook: keyof MetricsObserver; args: unknown[] }[] = []
  const observer: MetricsObserver = {}
  for (const hook of [
    'onEmit',
    'onReject',
    'onConnect',
    'onDisconnect',
    'onDeliver',
    'onReplay',
    'onDrop',
    'onCutoff',
    'onStoreFailure',
    'onLag',
  ] as const) {
    observer[hook] = (...args: unknown[]) => {
      // Hooks are called with up to three arguments: the unused ones are undefined.
      while (args.length > 0 && args.at(-1) === undefined) args.pop()
      calls.push({ hook, args })
    }
  }
  const stop = runstream.manager.observe(observer)
  const of = (hook: keyof MetricsObserver) => calls.filter((c) => c.hook === hook)
  return { calls, of, stop }
}

describe('delivery to real clients', () => {
  it('counts connections, emits and deliveries per client, and samples their lag', async () => {
    const runstream = await serve()
    const { manager } = runstream
    const hooks = recordHooks(runstream)
    const url = runstream.streamUrl('workflow', 'w1')
    const clients = [1, 2, 3].map(() =>
      collect(connect(url, { catalog: executionCatalog, reconnect: false })),
    )
    await waitFor(() => manager.metrics().openConnections === 3, { what: '3 open connections' })
    expect(manager.metrics()).toMatchObject({
      openStreams: 1,
      openSubscriptions: 3,
      connectionsOpened: 3,
      reconnects: 0,
      eventsEmitted: 0,
    })

    const stream = manager.stream('workflow:w1')
    for (let n = 0; n < 20; n++) stream.emit('llm_chunk', { text: `chunk ${n}` })
    stream.emit('complete', { status: 'SUCCESS' })
    const received = await Promise.all(clients)
    expect(received.map((events) => events.length)).toEqual([21, 21, 21])

    await waitFor(() => manager.metrics().openConnections === 0, { what: 'connections released' })
    const metrics = manager.metrics()
    expect(metrics).toMatchObject({
      openStreams: 0,
      openSubscriptions: 0,
      openConnections: 0,
      connectionsOpened: 3,
      eventsEmitted: 21,
      eventsDelivered: 63,
      eventsFiltered: 0,
      eventsReplayed: 0,
      eventsDropped: 0,
      eventsRejected: 0,
      slowClientCutoffs: 0,
      storeFailures: 0,
    })
    // One sample per burst per connection: at least one per connection, at most one per event.
    expect(metrics.lag.count).toBeGreaterThanOrEqual(3)
    expect(metrics.lag.count).toBeLessThanOrEqual(63)
    expect(metrics.lag.counts.reduce((a, b) => a + b, 0)).toBe(metrics.lag.count)
    expect(metrics.lag.p50Ms).toBeLessThanOrEqual(metrics.lag.p99Ms)
    expect(metrics.lag.p99Ms).toBeLessThanOrEqual(metrics.lag.maxMs)
    expect(JSON.parse(JSON.stringify(metrics))).toEqual(metrics)

    // The hooks tell the same story, per stream.
    expect(hooks.of('onEmit')).toHaveLength(21)
    expect(hooks.of('onConnect').map((c) => c.args)).toEqual([
      ['workflow:w1', false],
      ['workflow:w1', false],
      ['workflow:w1', false],
    ])
    expect(hooks.of('onDisconnect')).toHaveLength(3)
    const delivered = hooks.of('onDeliver').reduce((sum, c) => sum + (c.args[1] as number), 0)
    expect(delivered).toBe(63)
    expect(hooks.of('onLag')).toHaveLength(metrics.lag.count)
  })

  it('counts a many-stream connection once, and its deliveries per stream', async () => {
    const runstream = await serve()
    const { manager } = runstream
    const hooks = recordHooks(runstream)
    const names = ['task:t1', 'task:t2']
    const events = collect(
      subscribeMany(`${runstream.url}/api/v0`, names, {
        catalog: executionCatalog,
        reconnect: false,
      }),
    )
    await waitFor(() => manager.metrics().openConnections === 1, { what: 'the connection' })
    for (const name of names) {
      const stream = manager.stream(name)
      for (let n = 0; n < 5; n++) stream.emit('llm_chunk', { text: `${name} ${n}` })
      stream.emit('complete', { status: 'SUCCESS' })
    }
    expect(await events).toHaveLength(12)
    await waitFor(() => manager.metrics().openConnections === 0, { what: 'the release' })
    expect(manager.metrics()).toMatchObject({
      connectionsOpened: 1,
      reconnects: 0,
      eventsEmitted: 12,
      eventsDelivered: 12,
    })
    expect(hooks.of('onConnect').map((c) => c.args)).toEqual([['task:t1,task:t2', false]])
    const perStream = new Map<string, number>()
    for (const { args } of hooks.of('onDeliver')) {
      const [stream, count] = args as [string, number]
      perStream.set(stream, (perStream.get(stream) ?? 0) + count)
    }
    expect(Object.fromEntries(perStream)).toEqual({ 'task:t1': 6, 'task:t2': 6 })
  })

  it('counts what a filter leaves out as filtered, not delivered', async () => {
    const runstream = await serve()
    const { manager } = runstream
    const url = `${runstream.streamUrl('workflow', 'w1')}?events=tool_call`
    const client = collect(connect(url, { catalog: executionCatalog, reconnect: false }))
    await waitFor(() => manager.metrics().openConnections === 1, { what: 'the connection' })
    const stream = manager.stream('workflow:w1')
    for (let n = 0; n < 5; n++) stream.emit('llm_chunk', { text: `chunk ${n}` })
    stream.emit('tool_call', { tool_name: 'search', args: {} })
    stream.emit('complete', { status: 'SUCCESS' })
    expect((await client).map((event) => event.type)).toEqual(['tool_call', 'complete'])
    expect(manager.metrics()).toMatchObject({
      eventsEmitted: 7,
      eventsDelivered: 2,
      eventsFiltered: 5,
    })
  })
  it('counts, in text mode, the text of llm_chunk events as delivered and the rest as filtered', async () => {
    const runstream = await serve()
    const { manager } = runstream
    const response = fetch(`${runstream.streamUrl('agent', 'a1')}?format=text`)
    await waitFor(() => manager.metrics().openConnections === 1, { what: 'the connection' })
    const stream = manager.stream('agent:a1')
    for (const word of ['one ', 'two ', 'three']) stream.emit('llm_chunk', { text: word })
    stream.emit('tool_call', { tool_name: 'search', args: {} })
    stream.emit('complete', { status: 'SUCCESS' })
    expect(await (await response).text()).toBe('one two three')
    expect(manager.metrics()).toMatchObject({ eventsDelivered: 3, eventsFiltered: 2 })
  })
  it('counts a stored event that cannot be framed as dropped, and the replay around it', async () => {
    // Another producer wrote a type with a line break straight to the shared store.
    const store = memoryStore()
    const draft = (type: string, data: unknown): DraftEvent => {
      const ts = '2026-01-01T00:00:00.000Z'
      const body = draftBody(type, 'workflow:w1', ts, data)
      return { type, stream: 'workflow:w1', ts, data, terminal: type === 'complete', body }
    }
    store.append(draft('llm_chunk', { text: 'one' }))
    store.append(draft('llm_chunk\nevent: complete', { text: 'poison' }))
    store.append(draft('complete', { status: 'SUCCESS' }))
    const runstream = await serve({ store })
    const drops: unknown[][] = []
    runstream.manager.observe({ onDrop: (...args) => drops.push(args) })
    const url = runstream.streamUrl('workflow', 'w1')
    const events = await collect(connect(url, { catalog: executionCatalog, reconnect: false }))
    expect(events.map((event) => event.id)).toEqual(['1', '3'])
    expect(runstream.manager.metrics()).toMatchObject({
      eventsReplayed: 3,
      eventsDelivered: 2,
      eventsDropped: 1,
    })
    expect(drops).toEqual([['workflow:w1', 1, 'unframeable']])
  })
})

describe('reconnects', () => {
  it('counts a dropped client that resumes, and replays what it missed without sampling its lag', async () => {
    const runstream = await serve({ retryMs: 20 })
    const { manager } = runstream
    const hooks = recordHooks(runstream)
    proxy = await createFaultProxy({ target: runstream.url })
    const faults = proxy
    const path = new URL(runstream.streamUrl('workflow', 'w1')).pathname
    let seen = 0
    const client = collect(
      connect(`${faults.url}${path}`, {
        catalog: executionCatalog,
        reconnect: EAGER_RECONNECT,
        onError: () => undefined,
      }),
      (_event, received) => {
        seen = received
      },
    )
    await waitFor(() => manager.metrics().openConnections === 1, { what: 'the connection' })
    const stream = manager.stream('workflow:w1')
    for (let n = 1; n <= 10; n++) stream.emit('llm_chunk', { text: `chunk ${n}` })
    await waitFor(() => seen === 10, { what: 'the first 10 events' })

    // The network drops the client, and keeps it out while 5 more events are emitted.
    faults.refuse(true)
    faults.cutAll()
    await waitFor(() => manager.metrics().openConnections === 0, { what: 'the drop' })
    for (let n = 11; n <= 15; n++) stream.emit('llm_chunk', { text: `chunk ${n}` })
    // The outage lasts a moment, so that the missed events are older than the reconnection.
    await pause(20)
    faults.refuse(false)
    await waitFor(() => seen === 15, { what: 'the 5 missed events' })
    stream.emit('complete', { status: 'SUCCESS' })
    const events = await client
    expect(events.map((event) => event.id)).toEqual(
      Array.from({ length: 16 }, (_, i) => String(i + 1)),
    )

    const metrics = manager.metrics()
    expect(metrics.reconnects).toBe(1)
    expect(metrics.connectionsOpened).toBeGreaterThanOrEqual(2)
    expect(metrics.eventsReplayed).toBe(5)
    expect(metrics.eventsDelivered).toBe(16)
    expect(hooks.of('onConnect').map((c) => c.args[1])).toContain(true)
    expect(hooks.of('onReplay').map((c) => c.args)).toEqual([['workflow:w1', 5]])
    // Every delivery burst is followed by its lag sample, except the replayed ones.
    const unsampled: number[] = []
    hooks.calls.forEach((call, i) => {
      if (call.hook === 'onDeliver' && hooks.calls[i + 1]?.hook !== 'onLag') {
        unsampled.push(call.args[1] as number)
      }
    })
    expect(unsampled.reduce((a, b) => a + b, 0)).toBe(5)
  })

  it('does not count a cursor of "0" as a reconnect', async () => {
    const runstream = await serve()
    const { manager } = runstream
    manager.stream('workflow:w1').emit('complete', { status: 'SUCCESS' })
    await manager.flush()
    const url = runstream.streamUrl('workflow', 'w1')
    await collect(connect(`${url}?lastEventId=0`, { catalog: executionCatalog, reconnect: false }))
    expect(manager.metrics()).toMatchObject({ connectionsOpened: 1, reconnects: 0 })
    expect(manager.metrics().eventsReplayed).toBe(1)
  })
})

describe('slow clients', () => {
  it('counts a reader that stopped reading, ended over maxQueuedBytes', async () => {
    const runstream = await serve({
      maxQueuedBytes: 16_384,
      heartbeatMs: 20,
      // Far above what is emitted: the byte bound is the one that ends the reader.
      maxQueuedEvents: 1_000_000,
      store: memoryStore({ maxEventsPerStream: 1_000_000 }),
    })
    const { manager } = runstream
    const cutoffs: [string, CutoffBound][] = []
    manager.observe({ onCutoff: (stream, bound) => cutoffs.push([stream, bound]) })
    const reader = await connectSlowReader(runstream.streamUrl('agent', 'a1'))
    await waitFor(() => manager.metrics().openConnections === 1, { what: 'the reader' })
    const stream = manager.stream('agent:a1')
    const text = 'x'.repeat(1000)
    // Bounded: 50 000 events of 1 KB fill any loopback buffer many times over.
    const cut = () => manager.metrics().slowClientCutoffs > 0
    for (let n = 0; n < 50_000 && !cut(); n += 100) {
      for (let m = 0; m < 100; m++) stream.emit('llm_chunk', { text })
      await pause(1)
    }
    await waitFor(() => manager.metrics().openConnections === 0, { what: 'the cut-off reader' })
    reader.close()
    expect(manager.metrics().slowClientCutoffs).toBe(1)
    expect(cutoffs).toEqual([['agent:a1', 'bytes']])
    expect(runstream.errors.map((e) => e.code)).toContain('subscriber_overflow')
  })
})

describe('store failures', () => {
  it('counts failed appends and reads of a Redis store that cannot be reached', async () => {
    const port = await freePort()
    const store = redisStore({
      url: `redis://127.0.0.1:${port}`,
      prefix: 'rstest:metrics:',
      onError: () => undefined,
    })
    const runstream = await serve({ store })
    const { manager } = runstream
    const failures: StoreOperation[] = []
    manager.observe({ onStoreFailure: (operation) => failures.push(operation) })

    manager.stream('workflow:w1').emit('llm_chunk', { text: 'lost' })
    await manager.flush()
    const response = await fetch(runstream.streamUrl('workflow', 'w1'))
    expect(response.status).toBe(503)
    await response.body?.cancel()

    expect(manager.metrics()).toMatchObject({ eventsEmitted: 0, storeFailures: 2 })
    expect(failures).toEqual(['append', 'read'])
    expect(runstream.errors.map((e) => e.code)).toEqual(['store_failed', 'store_failed'])
  })

  it('counts a live registration lost while clients follow the stream', async () => {
    const store = probeStore()
    const runstream = await serve({ store })
    const { manager } = runstream
    const url = runstream.streamUrl('workflow', 'w1')
    const clients = [1, 2].map(() =>
      collect(connect(url, { catalog: executionCatalog, reconnect: false })).catch(
        (error: unknown) => error,
      ),
    )
    await waitFor(() => store.listening === 1, { what: 'the live registration' })
    await waitFor(() => manager.metrics().openConnections === 2, { what: 'both clients' })
    store.breakLive()
    await Promise.all(clients)
    await waitFor(() => manager.metrics().openConnections === 0, { what: 'the release' })
    // One registration for both clients: one failure.
    expect(manager.metrics().storeFailures).toBe(1)
  })
})
