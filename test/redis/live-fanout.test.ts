import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { createLiveFanout, type LiveFanout } from '../../src/redis/live.js'
import { decodePage, READ_SCRIPT, streamKeys } from '../../src/redis/scripts.js'
import { note, range, recorder } from './drafts.js'
import { deleteKeys, openTestStore, SHARED_REDIS_URL, sleep, uniquePrefix } from './helpers.js'

// The fanout alone, with a slowed step, to reach the paths a quick Redis rarely takes.
const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

function fanoutWith(prefix: string, slowLastIdMs: number, maxBuffered: number): LiveFanout {
  const command = new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: 0 })
  const subscriber = command.duplicate({ autoResubscribe: false })
  const keys = (stream: string) => streamKeys(prefix, stream)
  const fanout = createLiveFanout({
    subscriber: () => subscriber,
    keys,
    async head(stream) {
      const [seq, epoch] = await command.hmget(keys(stream).meta, 'seq', 'ep')
      // Messages that arrive now are held, as on a slow network.
      await sleep(slowLastIdMs)
      return { id: Number(seq ?? 0), epoch: epoch ?? undefined }
    },
    async readPage(stream, after, limit, epoch) {
      const k = keys(stream)
      return decodePage(
        await command.eval(READ_SCRIPT, 2, k.events, k.meta, after, limit, 1000, epoch ?? ''),
        limit,
      )
    },
    maxOutageMs: 5000,
    maxBuffered,
  })
  cleanup.push(() => {
    fanout.close()
    subscriber.disconnect()
    command.disconnect()
  })
  return fanout
}

describe('live fanout', () => {
  it('reads back from the store the messages it could not hold while starting', async () => {
    const prefix = uniquePrefix('fanout')
    cleanup.push(() => deleteKeys(SHARED_REDIS_URL, prefix))
    const producer = openTestStore({}, prefix)
    cleanup.push(() => producer.store.close())
    await Promise.all(range(1, 3).map((n) => producer.store.append(note('s', n))))

    const fanout = fanoutWith(prefix, 300, 5)
    const listener = recorder()
    const listening = fanout.listen('s', listener)
    await sleep(100)
    // 6 events while the watch is starting: one more than the 5 it may hold, so it holds none.
    await Promise.all(range(4, 9).map((n) => producer.store.append(note('s', n))))
    await listening
    // No event follows: only the read that replaces the dropped messages can bring them.
    await listener.waitFor(6)
    await sleep(50)
    expect(listener.ids()).toEqual(range(4, 9))
  })
})
