import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createStreamManager,
  type EventRecord,
  memoryTransport,
  type RunstreamError,
} from '../../src/index.js'
import type { RedisStoreSettings } from '../../src/redis.js'
import { contractCatalog } from '../contract/transport.js'
import { openTestStore, type PrivateRedis, startPrivateRedis, waitUntil } from './helpers.js'

// A Redis that answers late (DEBUG SLEEP on a redis-server of the test's own): appends time out
// while Redis still runs them. What the producer is told must be what Redis did.
const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

async function setup(settings: RedisStoreSettings) {
  const server: PrivateRedis = await startPrivateRedis({ debug: true })
  cleanup.push(() => server.dispose())
  const producer = openTestStore({ url: server.url, ...settings }, 'late:')
  const watcher = openTestStore({ url: server.url }, 'late:')
  cleanup.push(async () => {
    await producer.store.close()
    await watcher.store.close()
  })
  const errors: RunstreamError[] = []
  const sent = memoryTransport({ maxEvents: 10_000 })
  const producing = createStreamManager({
    catalog: contractCatalog,
    store: producer.store,
    transports: [sent],
    onError: (error) => errors.push(error),
  })
  const watching = createStreamManager({ catalog: contractCatalog, store: watcher.store })
  const received: EventRecord[] = []
  const subscription = watching.subscribeRecords({ stream: 's' })
  cleanup.push(() => subscription.close())
  const consuming = (async () => {
    for await (const record of subscription) received.push(record)
  })()
  await waitUntil(() => watcher.store.watching === 1, 5000, 'the subscription')
  const sleeper = new Redis(server.url, { maxRetriesPerRequest: 0 })
  const probe = new Redis(server.url, { maxRetriesPerRequest: 0, commandTimeout: 50 })
  cleanup.push(() => {
    sleeper.disconnect()
    probe.disconnect()
  })
  const handle = producing.stream('s')
  let n = 0
  return {
    errors,
    sent,
    received,
    watcher,
    emit(count: number) {
      for (let i = 0; i < count; i++) handle.emit('note', { text: 'x', n: ++n })
    },
    get emitted() {
      return n
    },
    /** Waits until every append so far is settled. */
    flush: () => producing.flush(),
    /** Makes Redis sleep for `seconds`; resolves once it is asleep, with its waking. */
    async sleep(seconds: number): Promise<{ awake: Promise<unknown> }> {
      const awake = sleeper.call('DEBUG', 'SLEEP', String(seconds))
      await waitUntil(
        async () => {
          try {
            await probe.ping()
            return false
          } catch {
            return true
          }
        },
        5000,
        'Redis to sleep',
      )
      return { awake }
    },
    async end() {
      handle.emit('done', { ok: true })
      await producing.flush()
      await consuming
    },
  }
}

const payloads = (records: readonly EventRecord[]) => records.map((record) => record.json)

describe('redisStore: appends that Redis answers late', () => {
  it('reports nothing for appends that timed out but were stored, and delivers them everywhere', async () => {
    const run = await setup({ commandTimeoutMs: 200 })
    run.emit(50)
    await run.flush()
    const { awake } = await run.sleep(1)
    // Written while Redis sleeps: each times out after 200 ms, and runs when Redis wakes.
    run.emit(100)
    await awake
    run.emit(50)
    await run.end()

    // Every append was stored, and nothing was reported: no store_failed that Redis had stored.
    expect(run.errors.map((error) => error.code)).toEqual([])
    const stored = await run.watcher.store.read('s', { limit: 10_000 })
    expect(stored.events).toHaveLength(run.emitted + 1)
    // The subscribers and the producer's transports got exactly what was stored, in order.
    expect(payloads(run.received)).toEqual(payloads(stored.events))
    expect(payloads(run.sent.records)).toEqual(payloads(stored.events))
  })

  it('reports store_unknown when Redis does not answer within maxOutageMs, never store_failed for a stored event', async () => {
    const run = await setup({ commandTimeoutMs: 100, maxOutageMs: 300 })
    run.emit(20)
    await run.flush()
    const { awake } = await run.sleep(2)
    run.emit(100)
    await awake
    run.emit(20)
    await run.end()

    // The appends written while Redis slept outlived maxOutageMs: unknown, never store_failed.
    expect(new Set(run.errors.map((error) => error.code))).toEqual(new Set(['store_unknown']))
    expect(run.errors.length).toBeGreaterThan(0)
    expect(run.errors.length).toBeLessThanOrEqual(100)
    expect(run.errors[0]?.details).toMatchObject({ stream: 's', eventType: 'note' })
    // Redis ran them when it woke: they are stored, and the subscribers got them all.
    const stored = await run.watcher.store.read('s', { limit: 10_000 })
    expect(stored.events).toHaveLength(run.emitted + 1)
    expect(payloads(run.received)).toEqual(payloads(stored.events))
    // The transports got what the producer was told was stored, and only that, in order: every
    // event but the ones reported unknown, all among the 100 written during the sleep.
    const sent = payloads(run.sent.records)
    expect(sent).toHaveLength(stored.events.length - run.errors.length)
    expect(sent.slice(0, 20)).toEqual(payloads(stored.events.slice(0, 20)))
    expect(sent.slice(-21)).toEqual(payloads(stored.events.slice(-21)))
    const inOrder = payloads(stored.events.slice(20, 120))
    expect(
      sent
        .slice(20, -21)
        .every(
          (json, i, all) =>
            i === 0 || inOrder.indexOf(json) > inOrder.indexOf(all[i - 1] as string),
        ),
    ).toBe(true)
  })
})
