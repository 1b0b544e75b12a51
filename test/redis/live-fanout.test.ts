import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { createLiveFanout, type LiveFanout } from '../../src/redis/live.js'
import { decodePage, READ_SCRIPT, streamKeys } from '../../src/redis/scripts.js'
import { waitFor } from '../helpers/wait.js'
import { note, range, recorder } from './drafts.js'
import { deleteKeys, openTestStore, SHARED_REDIS_URL, uniquePrefix } from './helpers.js'

// The fanout alone, with a step held open by the test, to reach the paths a quick Redis rarely
// takes.
const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

/** A fanout whose `lastId` step waits for `release()`, with counts of what it has seen. */
interface HeldFanout {
  fanout: LiveFanout
  /** Whether a watch is inside `lastId` (subscribed, its newest id read, waiting). */
  readonly holding: boolean
  /** Messages the subscriber connection received. */
  readonly messages: number
  /** Lets `lastId` return. */
  release(): void
}

function heldFanout(prefix: string, maxBuffered: number): HeldFanout {
  const command = new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: 0 })
  const subscriber = command.duplicate({ autoResubscribe: false })
  let messages = 0
  subscriber.on('message', () => messages++)
  let holding = false
  let release = () => {}
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  const keys = (stream: string) => streamKeys(prefix, stream)
  const fanout = createLiveFanout({
    subscriber: () => subscriber,
    keys,
    async head(stream) {
      const [seq, epoch] = await command.hmget(keys(stream).meta, 'seq', 'ep')
      // Messages that arrive now are held, as on a slow network.
      holding = true
      await released
      holding = false
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
  return {
    fanout,
    get holding() {
      return holding
    },
    get messages() {
      return messages
    },
    release,
  }
}

describe('live fanout', () => {
  it('reads back from the store the messages it could not hold while starting', async () => {
    const prefix = uniquePrefix('fanout')
    cleanup.push(() => deleteKeys(SHARED_REDIS_URL, prefix))
    const producer = openTestStore({}, prefix)
    cleanup.push(() => producer.store.close())
    await Promise.all(range(1, 3).map((n) => producer.store.append(note('s', n))))

    const held = heldFanout(prefix, 5)
    const listener = recorder()
    const listening = held.fanout.listen('s', listener)
    await waitFor(() => held.holding, { what: 'the watch to be subscribed and starting' })
    // 6 events while the watch is starting: one more than the 5 it may hold, so it holds none.
    // One at a time, so that each is a message of its own (appends of one turn share one).
    for (const n of range(4, 9)) await producer.store.append(note('s', n))
    await waitFor(() => held.messages === 6, { what: 'the 6 messages to reach the subscriber' })
    held.release()
    await listening
    // No event follows: only the read that replaces the dropped messages can bring them.
    await listener.waitFor(6)
    expect(listener.ids()).toEqual(range(4, 9))
    // One more, live: it comes after them, with nothing repeated in between.
    await producer.store.append(note('s', 10))
    await listener.waitFor(7)
    expect(listener.ids()).toEqual(range(4, 10))
  })
})
