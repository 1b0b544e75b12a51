import { afterEach, describe, expect, it } from 'vitest'
import {
  createStreamManager,
  type GapInfo,
  type StreamManager,
  type Subscription,
} from '../../src/index.js'
import type { RedisStoreSettings } from '../../src/redis.js'
import { contractCatalog } from '../contract/transport.js'
import { range } from './drafts.js'
import {
  inspector,
  openTestStore,
  type PrivateRedis,
  startPrivateRedis,
  waitUntil,
} from './helpers.js'

// A stream Redis forgets while it is written (Redis restarted empty, or its idle TTL) starts over
// at id 1 in a new epoch: every follower, connected or resuming, must get the new events or be
// told, never lose them silently as "replay overlap".
const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

type Manager = StreamManager<typeof contractCatalog>

async function setup(settings: RedisStoreSettings = {}) {
  const server: PrivateRedis = await startPrivateRedis()
  cleanup.push(() => server.dispose())
  const producer = openTestStore({ url: server.url, ...settings }, 'restart:')
  const watcher = openTestStore({ url: server.url, ...settings }, 'restart:')
  cleanup.push(async () => {
    await producer.store.close()
    await watcher.store.close()
  })
  const producing: Manager = createStreamManager({
    catalog: contractCatalog,
    store: producer.store,
    onError: () => {},
  })
  const watching: Manager = createStreamManager({ catalog: contractCatalog, store: watcher.store })
  return { server, producer, watcher, producing, watching }
}

/** A follower: what it saw (the `n` of each note, and each gap where it was told), until done. */
function follow(manager: Manager, lastEventId?: string) {
  const seen: (number | GapInfo)[] = []
  const subscription: Subscription = manager.subscribe({
    stream: 's',
    lastEventId,
    onGap: (gap) => seen.push(gap),
  })
  cleanup.push(() => subscription.close())
  const done = (async () => {
    for await (const event of subscription) {
      if (event.type === 'note') seen.push((event.data as { n: number }).n)
    }
  })()
  return { seen, subscription, done, count: () => seen.filter((x) => typeof x === 'number').length }
}

function emit(manager: Manager, from: number, to: number): void {
  for (let n = from; n <= to; n++) manager.stream('s').emit('note', { text: 'x', n })
}

const restarted = (lastEventId: unknown, lastId?: string) => ({
  reason: 'restarted',
  lastEventId,
  firstId: '1',
  lastId: lastId ?? expect.any(String),
})

describe('a stream Redis forgot while it was written', () => {
  it('reaches 20 live followers after Redis restarts empty, each told once before the new events', async () => {
    const { server, producer, producing, watching } = await setup()
    const followers = range(1, 20).map(() => follow(watching))
    emit(producing, 1, 50)
    await producing.flush()
    await waitUntil(() => followers.every((f) => f.count() === 50), 10_000, '50 events each')
    const cursors = followers.map((f) => f.subscription.lastEventId)

    await server.stop()
    await server.start()
    await waitUntil(() => producer.store.client.status === 'ready', 5000, 'reconnection')
    emit(producing, 101, 130)
    producing.stream('s').emit('done', { ok: true })
    await producing.flush()
    await Promise.all(followers.map((f) => f.done))

    followers.forEach((f, i) => {
      expect(f.seen).toEqual([...range(1, 50), restarted(cursors[i]), ...range(101, 130)])
    })
  })

  it.each([
    ['below', 10],
    ['equal to', 20],
    ['above', 40],
  ])(
    'tells a follower resuming at a cursor %s the new last id, after Redis restarted empty',
    async (_, at) => {
      const { server, producer, producing, watching } = await setup()
      emit(producing, 1, 50)
      await producing.flush()
      const old = (await producer.store.read('s')).epoch as string
      await server.stop()
      await server.start()
      await waitUntil(() => producer.store.client.status === 'ready', 5000, 'reconnection')
      emit(producing, 101, 120)
      producing.stream('s').emit('done', { ok: true })
      await producing.flush()
      const cursor = `${old}.${at}`
      const f = follow(watching, cursor)
      await f.done
      expect(f.seen).toEqual([restarted(cursor, '21'), ...range(101, 120)])
    },
  )

  it('reaches a live follower after its idle TTL expired it, told before the new events', async () => {
    const { server, producing, watching } = await setup({ idleTtlMs: 300 })
    const f = follow(watching)
    emit(producing, 1, 5)
    await producing.flush()
    await waitUntil(() => f.count() === 5, 5000, 'the first incarnation')
    const inspect = inspector(server.url)
    cleanup.push(() => inspect.disconnect())
    await waitUntil(
      async () => (await inspect.exists(`restart:{s}:meta`)) === 0,
      5000,
      'the stream to expire',
    )
    emit(producing, 101, 103)
    producing.stream('s').emit('done', { ok: true })
    await producing.flush()
    await f.done
    expect(f.seen).toEqual([1, 2, 3, 4, 5, restarted(expect.stringMatching(/\.5$/)), 101, 102, 103])
  })
})
