import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { APPEND_SCRIPT } from '../../src/redis/scripts.js'
import { redisStore } from '../../src/redis.js'
import { note, range, recorder } from './drafts.js'
import { inspector, openTestStore, SHARED_REDIS_URL, type TestStore, waitUntil } from './helpers.js'

// Behaviour of the Redis store on the shared Redis, each test under keys of its own.
const opened: TestStore[] = []
const inspect = inspector(SHARED_REDIS_URL)
afterEach(async () => {
  for (const test of opened.splice(0)) await test.dispose()
})
function open(settings: Parameters<typeof openTestStore>[0] = {}, prefix?: string): TestStore {
  const test = openTestStore(settings, prefix)
  opened.push(test)
  return test
}

describe('redisStore: ids', () => {
  it('gives ids in call order to appends issued without waiting', async () => {
    const { store } = open()
    const pending = range(1, 500).map((n) => store.append(note('s', n)))
    const records = await Promise.all(pending)
    expect(records.map((record) => Number(record.envelope.id))).toEqual(range(1, 500))
    expect(records.map((record) => (record.envelope.data as { n: number }).n)).toEqual(
      range(1, 500),
    )
  })

  it('gives one sequence of ids to two stores that append to one stream', async () => {
    const a = open()
    // A second store with its own connections, as another process would have.
    const b = open({}, a.prefix)
    for (let n = 1; n <= 40; n++) await (n % 2 === 1 ? a : b).store.append(note('s', n))
    const fromA = await a.store.read('s')
    const fromB = await b.store.read('s')
    expect(fromA.events.map((record) => Number(record.envelope.id))).toEqual(range(1, 40))
    expect(fromA.events.map((record) => (record.envelope.data as { n: number }).n)).toEqual(
      range(1, 40),
    )
    expect(fromB.events.map((record) => record.json)).toEqual(
      fromA.events.map((record) => record.json),
    )
  })

  it('keeps the bytes of the envelope through append, live delivery and read', async () => {
    const a = open()
    const b = open({}, a.prefix)
    const listener = recorder()
    await b.store.listen('s', listener)
    const appended = await a.store.append(note('s', 1))
    await listener.waitFor(1)
    const [stored] = (await b.store.read('s')).events
    expect(listener.records[0]?.json).toBe(appended.json)
    expect(stored?.json).toBe(appended.json)
    expect(appended.json).toBe(
      `{"id":"1","type":"note","stream":"s","ts":"${appended.envelope.ts}","data":{"text":"event 1 é🚀 \\"quoted\\"\\n","n":1}}`,
    )
    expect(JSON.parse(appended.json)).toEqual(appended.envelope)
  })
})

describe('redisStore: ids a failover lost', () => {
  it('starts a new epoch rather than give again an id it was given, when the stream lost it', async () => {
    const a = open()
    const { prefix } = a
    let epoch: string | undefined
    for (const n of range(1, 5)) epoch = (await a.store.append(note('s', n))).epoch
    // What a replica promoted before it received events 4 and 5 holds.
    await inspect.hset(`${prefix}{s}:meta`, 'seq', 3)
    await inspect.xdel(`${prefix}{s}:events`, '4-0', '5-0')
    await inspect.call('XSETID', `${prefix}{s}:events`, '3-0')
    const next = await a.store.append(note('s', 6))
    expect(next.envelope.id).toBe('4')
    expect(next.epoch).not.toBe(epoch)
    // A reader past the lost ids is read the stream again from its start, in the new epoch.
    const page = await a.store.read('s', { lastEventId: `${epoch}.5` })
    expect(page.epoch).toBe(next.epoch)
    expect(page.events.map((record) => (record.envelope.data as { n: number }).n)).toEqual([
      1, 2, 3, 6,
    ])
    // Ids it was given in the new epoch stay its own: nothing more was lost.
    expect((await a.store.append(note('s', 7))).epoch).toBe(next.epoch)
  })

  it('goes on in the same epoch when the stream holds every id given', async () => {
    const a = open()
    const b = open({}, a.prefix)
    const first = await a.store.append(note('s', 1))
    await b.store.append(note('s', 2))
    // `a` was given 1 only; the stream is past it.
    const third = await a.store.append(note('s', 3))
    expect(third.envelope.id).toBe('3')
    expect(third.epoch).toBe(first.epoch)
  })
})

describe('redisStore: retention and expiry', () => {
  it('applies maxEventsPerStream exactly on read while Redis trims approximately', async () => {
    const { store, prefix } = open({ maxEventsPerStream: 10 })
    await Promise.all(range(1, 300).map((n) => store.append(note('s', n))))
    const read = await store.read('s')
    expect(read.firstId).toBe('291')
    expect(read.lastId).toBe('300')
    expect(read.events.map((record) => Number(record.envelope.id))).toEqual(range(291, 300))
    expect((await store.read('s', { lastEventId: '5' })).events[0]?.envelope.id).toBe('291')
    // Redis drops whole nodes of 100 entries: fewer than the retention plus one node remain.
    const held = await inspect.xlen(`${prefix}{s}:events`)
    expect(held).toBeGreaterThanOrEqual(10)
    expect(held).toBeLessThanOrEqual(110)
  })

  it('keeps an open stream for idleTtlMs and a finished one for finishedTtlMs', async () => {
    const { store, prefix } = open({ idleTtlMs: 600_000, finishedTtlMs: 30_000 })
    await store.append(note('s', 1))
    for (const key of [`${prefix}{s}:events`, `${prefix}{s}:meta`]) {
      const ttl = await inspect.pttl(key)
      expect(ttl).toBeGreaterThan(590_000)
      expect(ttl).toBeLessThanOrEqual(600_000)
    }
    await store.append(note('s', 2, true))
    expect((await store.read('s')).finished).toBe(true)
    for (const key of [`${prefix}{s}:events`, `${prefix}{s}:meta`]) {
      const ttl = await inspect.pttl(key)
      expect(ttl).toBeGreaterThan(20_000)
      expect(ttl).toBeLessThanOrEqual(30_000)
    }
  })

  it('forgets an idle stream after its expiry and starts its ids again from 1', async () => {
    const { store } = open({ idleTtlMs: 100 })
    await store.append(note('s', 1))
    await store.append(note('s', 2))
    await waitUntil(async () => (await store.read('s')).lastId === undefined, 3000, 'expiry')
    expect(await store.read('s')).toEqual({
      events: [],
      firstId: undefined,
      lastId: undefined,
      finished: false,
      hasMore: false,
    })
    expect((await store.append(note('s', 3))).envelope.id).toBe('1')
  })
})

describe('redisStore: live delivery', () => {
  it('delivers what another store appends, once and in order', async () => {
    const producer = open()
    const watcher = open({}, producer.prefix)
    const listener = recorder()
    await watcher.store.listen('s', listener)
    await Promise.all(range(1, 300).map((n) => producer.store.append(note('s', n, n === 300))))
    await listener.waitFor(300)
    expect(listener.ids()).toEqual(range(1, 300))
    expect(listener.records.at(-1)?.terminal).toBe(true)
    expect(listener.errors).toEqual([])
  })

  it('fetches from the stream an event whose message never arrived, before the next one', async () => {
    const producer = open()
    const watcher = open({}, producer.prefix)
    const listener = recorder()
    await watcher.store.listen('s', listener)
    await producer.store.append(note('s', 1))
    await listener.waitFor(1)
    // Event 2 is stored but published where nobody listens, as if its message were lost.
    const { prefix } = producer
    const draft = note('s', 2)
    await inspect.eval(
      APPEND_SCRIPT,
      2,
      `${prefix}{s}:events`,
      `${prefix}{s}:meta`,
      1000,
      60_000,
      60_000,
      `${prefix}nowhere`,
      'PUBLISH',
      '',
      0,
      draft.body,
      '0',
      '0',
    )
    await producer.store.append(note('s', 3))
    await listener.waitFor(3)
    expect(listener.ids()).toEqual([1, 2, 3])
    expect(listener.records[1]?.envelope.data).toEqual(draft.data)
  })

  it('subscribes one channel per stream, however many listeners it has', async () => {
    const { store, prefix } = open()
    const listeners = range(1, 5).map(() => recorder())
    const stops = await Promise.all(
      ['a', 'b', 'c'].flatMap((stream) => listeners.map((l) => store.listen(stream, l))),
    )
    expect(store.watching).toBe(3)
    const counts = await inspect.pubsub('NUMSUB', `${prefix}{a}`, `${prefix}{b}`, `${prefix}{c}`)
    expect(counts).toEqual([`${prefix}{a}`, 1, `${prefix}{b}`, 1, `${prefix}{c}`, 1])
    await store.append(note('b', 1))
    for (const listener of listeners) await listener.waitFor(1)

    for (const stop of stops) stop()
    expect(store.watching).toBe(0)
    await waitUntil(
      async () => {
        const after = await inspect.pubsub('NUMSUB', `${prefix}{a}`, `${prefix}{b}`, `${prefix}{c}`)
        return after[1] === 0 && after[3] === 0 && after[5] === 0
      },
      2000,
      'unsubscribe',
    )
  })

  it('stops delivering to a listener that stopped, and keeps delivering to the others', async () => {
    const producer = open()
    const watcher = open({}, producer.prefix)
    const stays = recorder()
    const leaves = recorder()
    await watcher.store.listen('s', stays)
    const stop = await watcher.store.listen('s', leaves)
    await producer.store.append(note('s', 1))
    await leaves.waitFor(1)
    stop()
    stop()
    await producer.store.append(note('s', 2))
    await stays.waitFor(2)
    expect(leaves.ids()).toEqual([1])
    expect(stays.ids()).toEqual([1, 2])
  })
})

describe('redisStore: misuse and closing', () => {
  it('refuses missing or invalid settings with a TypeError that says what to pass', () => {
    expect(() => redisStore({} as never)).toThrow(/pass `url`/)
    expect(() => redisStore({ url: SHARED_REDIS_URL, maxEventsPerStream: 0 })).toThrow(
      /maxEventsPerStream` must be a positive whole number of events/,
    )
    expect(() => redisStore({ url: SHARED_REDIS_URL, idleTtlMs: 1.5 })).toThrow(/idleTtlMs/)
    expect(() => redisStore({ url: SHARED_REDIS_URL, onError: 'log' as never })).toThrow(
      /`onError` must be a function/,
    )
    expect(() => redisStore({ client: {} as never })).toThrow(/`client` must be an ioredis/)
    expect(() => redisStore({ url: SHARED_REDIS_URL, prefix: 5 as never })).toThrow(/`prefix`/)
  })

  it('refuses the old read option `after`, naming lastEventId', async () => {
    const { store } = open()
    await expect(store.read('s', { after: '1' } as never)).rejects.toThrow(
      /`after` was renamed to `lastEventId`/,
    )
    await expect(store.read('s', { limit: -1 })).rejects.toThrow(TypeError)
  })

  it('rejects operations after close with store_failed and releases its connections', async () => {
    const { store } = open()
    const listening = recorder()
    await store.listen('s', listening)
    await store.close()
    // One error whatever was called, and for the listener it ended: it says what to do.
    const closed = {
      code: 'store_failed',
      message: expect.stringContaining('create a new one with redisStore()'),
    }
    await expect(store.append(note('s', 1))).rejects.toMatchObject(closed)
    await expect(store.read('s')).rejects.toMatchObject(closed)
    await expect(store.listen('s', recorder())).rejects.toMatchObject(closed)
    await expect(store.createRun('s')).rejects.toMatchObject(closed)
    expect(listening.errors).toEqual([expect.objectContaining(closed)])
    expect(store.client.status).toBe('end')
  })

  it('leaves a client passed in open when it closes', async () => {
    const client = inspector(SHARED_REDIS_URL)
    const store = redisStore({ client, prefix: 'rstest:unused:', onError: () => {} })
    await store.listen('s', recorder())
    await store.close()
    expect(await client.ping()).toBe('PONG')
    client.disconnect()
  })
})

afterAll(() => inspect.disconnect())

describe('redisStore: appends batched per stream', () => {
  it('sends the appends of one turn as one message per 100 events, each stream in its order', async () => {
    const { store, prefix } = open()
    const watch = inspect.duplicate()
    try {
      const messages: string[] = []
      watch.on('message', (_channel: string, message: string) => messages.push(message))
      await watch.subscribe(`${prefix}{a}`)
      // 250 events of stream a and 30 of stream b, interleaved, in one turn of the event loop.
      const pending = range(1, 250).flatMap((n) => [
        store.append(note('a', n)),
        ...(n <= 30 ? [store.append(note('b', n))] : []),
      ])
      const records = await Promise.all(pending)
      const ids = (stream: string) =>
        records
          .filter((record) => record.envelope.stream === stream)
          .map((record) => [Number(record.envelope.id), (record.envelope.data as { n: number }).n])
      expect(ids('a')).toEqual(range(1, 250).map((n) => [n, n]))
      expect(ids('b')).toEqual(range(1, 30).map((n) => [n, n]))
      await waitUntil(() => messages.length === 3, 5000, 'the 3 messages of stream a')
      expect(messages.map((message) => message.split('\n').length)).toEqual([100, 100, 50])
      expect((await store.read('a', { limit: 1000 })).events.map((r) => r.json)).toEqual(
        records.filter((r) => r.envelope.stream === 'a').map((r) => r.json),
      )
    } finally {
      watch.disconnect()
    }
  })

  it('stores a terminal event of a batch and refuses the events after it', async () => {
    const { store } = open()
    const results = await Promise.allSettled([
      store.append(note('s', 1)),
      store.append(note('s', 2, true)),
      store.append(note('s', 3)),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected'])
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'stream_finished' })
    const read = await store.read('s')
    expect(read.finished).toBe(true)
    expect(read.events.map((r) => Number(r.envelope.id))).toEqual([1, 2])
  })

  it('reports every event of a batch Redis refused as store_failed, and stores none', async () => {
    const { store, prefix } = open()
    // The stream's hash is not a hash: the script stops at its first command.
    await inspect.set(`${prefix}{s}:meta`, 'not a hash')
    const results = await Promise.allSettled(range(1, 5).map((n) => store.append(note('s', n))))
    expect(results.map((r) => r.status)).toEqual(range(1, 5).map(() => 'rejected'))
    for (const r of results) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'store_failed' })
    }
    expect(await inspect.exists(`${prefix}{s}:events`)).toBe(0)
  })
})
