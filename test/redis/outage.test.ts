import { afterEach, describe, expect, it } from 'vitest'
import {
  createStreamManager,
  type EventRecord,
  isRunstreamError,
  memoryTransport,
  type RunstreamError,
} from '../../src/index.js'
import { contractCatalog } from '../contract/transport.js'
import { pause, waitFor } from '../helpers/wait.js'
import { note, range, recorder } from './drafts.js'
import {
  inspector,
  openTestStore,
  type PrivateRedis,
  startPrivateRedis,
  type TestStore,
  waitUntil,
} from './helpers.js'

// Each test runs its own redis-server, which it may kill and restart: the shared Redis at 6379
// is never stopped.
const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})
async function privateRedis(options: { persist?: boolean } = {}): Promise<PrivateRedis> {
  const server = await startPrivateRedis(options)
  cleanup.push(() => server.dispose())
  return server
}
function open(server: PrivateRedis, settings: Parameters<typeof openTestStore>[0] = {}): TestStore {
  const test = openTestStore({ url: server.url, ...settings }, 'p:')
  cleanup.push(async () => {
    await test.store.close()
  })
  return test
}

describe('redisStore: connections', () => {
  it('uses two connections per store however many streams and subscribers it serves', async () => {
    const server = await privateRedis()
    const inspect = inspector(server.url)
    cleanup.push(() => inspect.disconnect())
    const { store } = open(server)
    const manager = createStreamManager({ catalog: contractCatalog, store, onError: () => {} })
    const subscriptions = range(1, 20).flatMap((n) =>
      range(1, 3).map(() => manager.subscribe({ stream: `s${n}` })),
    )
    cleanup.push(() => {
      for (const subscription of subscriptions) subscription.close()
    })
    const firsts = subscriptions.map((subscription) => subscription.next())
    await waitUntil(() => store.watching === 20, 5000, '20 watched streams')
    for (let n = 1; n <= 20; n++) manager.stream(`s${n}`).emit('note', { text: 'x', n })
    for (const first of await Promise.all(firsts)) expect(first.value?.id).toBe('1')

    const clients = (await inspect.client('LIST')) as string
    const names = clients
      .trim()
      .split('\n')
      .map((line) => /name=(\S*)/.exec(line)?.[1])
      .sort()
    expect(names).toEqual(['runstream', 'runstream-test-inspector', 'runstream:subscriber'])
    expect(await inspect.pubsub('NUMPAT')).toBe(0)
    expect(((await inspect.pubsub('CHANNELS')) as string[]).length).toBe(20)
  })
})

/** The id of the pub/sub connection Redis lists as subscribed to a channel, if any. */
async function subscriberId(inspect: ReturnType<typeof inspector>): Promise<string | undefined> {
  const clients = (await inspect.client('LIST', 'TYPE', 'PUBSUB')) as string
  return clients
    .split('\n')
    .find((line) => /\bsub=[1-9]/.test(line))
    ?.match(/\bid=(\d+)/)?.[1]
}

/** Kills the pub/sub connection, then waits until the store has opened and subscribed another. */
async function killSubscriber(inspect: ReturnType<typeof inspector>): Promise<void> {
  const before = await subscriberId(inspect)
  expect(before).toBeDefined()
  expect(await inspect.call('CLIENT', 'KILL', 'TYPE', 'pubsub')).toBe(1)
  await waitFor(
    async () => {
      const now = await subscriberId(inspect)
      return now !== undefined && now !== before
    },
    { what: 'the subscriber to reconnect and resubscribe' },
  )
}

describe('redisStore: live delivery across reconnections', () => {
  it('resumes with no gap and no duplicate after its subscriber connection is killed', async () => {
    const server = await privateRedis()
    const inspect = inspector(server.url)
    cleanup.push(() => inspect.disconnect())
    const producer = open(server)
    const watcher = open(server)
    const listener = recorder()
    await watcher.store.listen('s', listener)

    let n = 0
    const appending = (async () => {
      while (n < 400) {
        await Promise.all(range(n + 1, n + 20).map((i) => producer.store.append(note('s', i))))
        n += 20
        // A steady producer, so that the kills land while events keep coming.
        await pause(5)
      }
    })()
    await listener.waitFor(60)
    // Twice, while events keep coming: each time the subscriber reconnects, resubscribes and reads
    // what it missed from the stream.
    for (let kill = 0; kill < 2; kill++) await killSubscriber(inspect)
    await appending
    await listener.waitFor(400)
    // Then with the last events appended while it is away and none after: only the read that
    // follows the reconnection can bring them.
    await inspect.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
    await Promise.all(range(401, 450).map((i) => producer.store.append(note('s', i))))
    await listener.waitFor(450)
    // One more, once it is back and live: whatever came twice would have come before it.
    await waitFor(async () => (await subscriberId(inspect)) !== undefined, {
      what: 'the subscriber to resubscribe',
    })
    await producer.store.append(note('s', 451))
    await listener.waitFor(451)
    expect(listener.ids()).toEqual(range(1, 451))
    expect(listener.errors).toEqual([])
    expect(watcher.errors.map((error) => error.code)).toContain('store_failed')
  })

  it('ends its listeners with store_failed when the events it missed were trimmed', async () => {
    const server = await privateRedis()
    const inspect = inspector(server.url)
    cleanup.push(() => inspect.disconnect())
    const producer = open(server, { maxEventsPerStream: 10 })
    const watcher = open(server, { maxEventsPerStream: 10 })
    const listener = recorder()
    await watcher.store.listen('s', listener)
    await producer.store.append(note('s', 1))
    await listener.waitFor(1)
    // Redis turns new connections away until 299 events went by and only 10 are held: the
    // subscriber can only come back after they were trimmed.
    const connected = ((await inspect.client('LIST')) as string).trim().split('\n').length
    const maxclients = (await inspect.config('GET', 'maxclients')) as string[]
    await inspect.config('SET', 'maxclients', String(connected - 1))
    expect(await inspect.call('CLIENT', 'KILL', 'TYPE', 'pubsub')).toBe(1)
    await Promise.all(range(2, 300).map((i) => producer.store.append(note('s', i))))
    await inspect.config('SET', 'maxclients', maxclients[1] as string)
    const error = await listener.waitForError(10_000)
    expect(error).toMatchObject({
      code: 'store_failed',
      details: { lastEventId: expect.stringMatching(/^[a-z][0-9a-z]{9}\.1$/), firstId: '291' },
    })
    expect(listener.ids()).toEqual([1])
    expect(watcher.store.watching).toBe(0)
  })
})

describe('redisStore: Redis down and back', () => {
  it('reports emits, refuses reads and listens promptly, and recovers when Redis returns', async () => {
    const server = await privateRedis()
    const { store } = open(server)
    const errors: RunstreamError[] = []
    const manager = createStreamManager({
      catalog: contractCatalog,
      store,
      onError: (error) => errors.push(error),
    })
    const handle = manager.stream('s')
    handle.emit('note', { text: 'before', n: 1 })
    await manager.flush()
    expect(errors).toEqual([])

    await server.stop()
    // Once the store knows Redis is gone (an emit sent just before may have reached it, and is
    // resolved when Redis returns: see the DEBUG SLEEP tests).
    await waitUntil(() => store.client.status !== 'ready', 3000, 'the connection to drop')
    const started = Date.now()
    expect(() => handle.emit('note', { text: 'down', n: 2 })).not.toThrow()
    await manager.flush()
    expect(errors.map((error) => error.code)).toEqual(['store_failed'])
    expect(Date.now() - started).toBeLessThan(2000)
    await expect(store.read('s')).rejects.toMatchObject({ code: 'store_failed' })
    await expect(store.listen('t', recorder())).rejects.toMatchObject({ code: 'store_failed' })
    expect(Date.now() - started).toBeLessThan(4000)

    await server.start()
    // Nobody reconnects it: the store does, within its backoff (at most a second).
    await waitUntil(async () => store.client.status === 'ready', 3000, 'reconnection')
    errors.length = 0
    handle.emit('note', { text: 'after', n: 3 })
    await manager.flush()
    expect(errors).toEqual([])
    // Redis restarted without its data: the stream begins again.
    expect((await store.read('s')).events.map((record) => record.envelope.data)).toEqual([
      { text: 'after', n: 3 },
    ])
    const listener = recorder()
    await store.listen('t', listener)
    await store.append(note('t', 1))
    await listener.waitFor(1)
  })

  it('keeps live subscriptions through a Redis restart that keeps its data', async () => {
    const server = await privateRedis({ persist: true })
    const producer = open(server)
    const watcher = open(server, { maxOutageMs: 10_000 })
    const emitErrors: RunstreamError[] = []
    const sent = memoryTransport({ maxEvents: 100_000 })
    const producing = createStreamManager({
      catalog: contractCatalog,
      store: producer.store,
      transports: [sent],
      onError: (error) => emitErrors.push(error),
    })
    const watching = createStreamManager({
      catalog: contractCatalog,
      store: watcher.store,
      onError: () => {},
    })
    const received: EventRecord[] = []
    const subscription = watching.subscribeRecords({ stream: 's' })
    cleanup.push(() => subscription.close())
    const consuming = (async () => {
      for await (const record of subscription) received.push(record)
    })()
    await waitUntil(() => watcher.store.watching === 1, 3000, 'subscription')

    const handle = producing.stream('s')
    let n = 0
    const emit = async () => {
      handle.emit('note', { text: 'x', n: ++n })
      await pause(2)
    }
    while (received.length < 50) await emit()
    await server.stop()
    // Emits go on until the outage has refused some of them.
    while (!emitErrors.some((error) => isRunstreamError(error, 'store_failed'))) await emit()
    await server.start()
    // And on after the producer's store is back, so that the last ones are stored for sure.
    while (producer.store.client.status !== 'ready') await emit()
    for (let i = 0; i < 50; i++) await emit()
    handle.emit('done', { ok: true })
    await producing.flush()
    await consuming

    // Emits during the outage were refused and reported as store_failed: none of them is stored.
    // An append in flight when Redis died was looked up once it was back: reported as failed if
    // Redis had not kept it, delivered (no error) if it had. Nothing is left unknown.
    expect(emitErrors.map((error) => error.code).filter((code) => code !== 'store_failed')).toEqual(
      [],
    )
    const refused = emitErrors.length
    expect(refused).toBeGreaterThan(0)
    const stored = await watcher.store.read('s', { limit: 100_000 })
    expect(stored.events.length).toBe(n + 1 - refused)
    // The producer's transports got exactly what was stored, in order.
    expect(sent.records.map((record) => record.json)).toEqual(stored.events.map((r) => r.json))
    expect(received.map((record) => Number(record.envelope.id))).toEqual(
      range(1, stored.events.length),
    )
    expect(received.map((record) => record.json)).toEqual(stored.events.map((r) => r.json))
    expect(received.at(-1)?.envelope.type).toBe('done')
  })

  it('keeps live subscriptions when Redis comes back without the stream, and delivers its next incarnation', async () => {
    const server = await privateRedis()
    const producer = open(server)
    const watcher = open(server)
    const listener = recorder()
    await watcher.store.listen('s', listener)
    await Promise.all(range(1, 5).map((i) => producer.store.append(note('s', i))))
    await listener.waitFor(5)
    const before = listener.records[0]?.epoch
    await server.stop()
    await server.start()
    await waitUntil(() => producer.store.client.status === 'ready', 5000, 'reconnection')
    // The stream starts over at id 1, in a new epoch; the registration delivers it all.
    await Promise.all(range(101, 103).map((i) => producer.store.append(note('s', i))))
    await listener.waitFor(8)
    expect(listener.ids()).toEqual([1, 2, 3, 4, 5, 1, 2, 3])
    expect(listener.records.slice(5).map((record) => record.envelope.data)).toEqual(
      range(101, 103).map((n) => note('s', n).data),
    )
    const after = listener.records[5]?.epoch
    expect(after).toMatch(/^[a-z][0-9a-z]{9}$/)
    expect(after).not.toBe(before)
    expect(listener.errors).toEqual([])
  })

  it('ends live subscriptions after maxOutageMs without Redis', async () => {
    const server = await privateRedis()
    const watcher = open(server, { maxOutageMs: 400 })
    const listener = recorder()
    await watcher.store.listen('s', listener)
    // Taken before the stop, so that the outage cannot have begun earlier.
    const started = Date.now()
    await server.stop()
    const error = await listener.waitForError(10_000)
    expect(Date.now() - started).toBeGreaterThanOrEqual(395)
    expect(error).toMatchObject({ code: 'store_failed', details: { maxOutageMs: 400 } })
    expect(watcher.store.watching).toBe(0)
  })
})
