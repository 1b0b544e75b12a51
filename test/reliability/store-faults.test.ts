import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { connect, type RunstreamError } from '../../src/client.js'
import { createStreamManager, executionCatalog, memoryTransport } from '../../src/index.js'
import { type RedisStore, redisStore } from '../../src/redis.js'
import { pause, waitFor } from '../helpers/wait.js'
import { type PrivateRedis, startPrivateRedis } from '../redis/helpers.js'
import { type Runstream, range, startRunstream } from './harness.js'

// Faults of the store under a running stream, end to end: a producer writes to Redis, an SSE
// server reads from it, and runstream clients follow the stream through the server.
// - Redis restarted without its data: the stream starts over; every client must get the new
//   incarnation, told once, and never lose it as "replay overlap" (on main, most followers lost
//   every event that followed).
// - Redis answering late (DEBUG SLEEP): appends time out while Redis still runs them; the
//   producer must be told only what Redis did, and every client must get every stored event.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const CLIENTS = 20

async function setup(producerSettings: { commandTimeoutMs?: number } = {}, debug = false) {
  const redis: PrivateRedis = await startPrivateRedis({ debug })
  cleanups.push(() => redis.dispose())
  const serverStore: RedisStore = redisStore({ url: redis.url, onError: () => undefined })
  const runstream: Runstream = await startRunstream({ store: serverStore, heartbeatMs: 500 })
  cleanups.push(() => runstream.close())
  const producerStore = redisStore({
    url: redis.url,
    onError: () => undefined,
    ...producerSettings,
  })
  const producerErrors: RunstreamError[] = []
  const sent = memoryTransport({ maxEvents: 100_000 })
  const manager = createStreamManager({
    catalog: executionCatalog,
    store: producerStore,
    transports: [sent],
    onError: (error) => producerErrors.push(error),
  })
  cleanups.push(() => manager.close())
  const stream = manager.stream('workflow:run')
  let n = 0
  const clients = range(1, CLIENTS).map(() => follow(runstream.streamUrl('workflow', 'run')))
  return {
    redis,
    producerStore,
    producerErrors,
    manager,
    sent,
    clients,
    emit(count: number) {
      for (let i = 0; i < count; i++) stream.emit('llm_chunk', { text: `${++n}` })
    },
    async finish() {
      stream.emit('complete', { status: 'SUCCESS' })
      await manager.flush()
      await Promise.all(clients.map((client) => client.done))
    },
  }
}

/** A runstream client following one stream: each event as `text`, each gap as `gap:<reason>`. */
function follow(url: string) {
  const log: string[] = []
  const subscription = connect(url, {
    catalog: executionCatalog,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200, maxRetries: Number.POSITIVE_INFINITY },
    onError: (error) => {
      if (error.code === 'cursor_expired') log.push(`gap:${error.details?.reason}`)
    },
  })
  cleanups.push(() => subscription.close())
  const done = (async () => {
    for await (const event of subscription) {
      log.push(event.type === 'llm_chunk' ? `${event.id}:${event.data.text}` : event.type)
    }
  })()
  return { log, done, count: () => log.length }
}

describe('store faults under a running stream, through the SSE server', () => {
  it(`Redis restarted empty: ${CLIENTS} clients each get the new run, told once that it started over`, async () => {
    const run = await setup()
    run.emit(500)
    await waitFor(() => run.clients.every((c) => c.count() >= 500), {
      timeoutMs: 20_000,
      what: 'every client to have the first 500 events',
    })
    await run.redis.stop()
    // The producer goes on while Redis is away: its appends are refused (store_failed).
    run.emit(50)
    await run.redis.start()
    await waitFor(() => run.producerStore.client.status === 'ready', {
      timeoutMs: 10_000,
      what: 'the producer to reconnect',
    })
    // The new run: more events than any client's cursor, so that a plain cursor would skip them.
    run.emit(800)
    await run.finish()

    // Redis lost the first run. The appends made while it was away were refused (store_failed)
    // or, when ioredis still held them as Redis came back, stored: never both, never unknown.
    const refused = run.producerErrors.length
    expect(run.producerErrors.filter((error) => error.code !== 'store_failed')).toEqual([])
    const records = (await run.producerStore.read('workflow:run', { limit: 10_000 })).events
    expect(records.length).toBe(50 - refused + 800 + 1)
    const second = records.map((record) =>
      record.envelope.type === 'complete'
        ? 'complete'
        : `${record.envelope.id}:${(record.envelope.data as { text: string }).text}`,
    )
    for (const client of run.clients) {
      const gapAt = client.log.indexOf('gap:restarted')
      // The first run, contiguous from id 1 (its tail may have died with Redis), then the gap,
      // then the whole new run: nothing else, nothing twice.
      expect(gapAt).toBeGreaterThanOrEqual(500)
      expect(client.log.slice(0, gapAt)).toEqual(range(1, gapAt).map((id) => `${id}:${id}`))
      expect(client.log.slice(gapAt + 1)).toEqual(second)
    }
    // The producer's transports got exactly what was stored: the first run, then the second.
    expect(run.sent.records.slice(500).map((r) => r.json)).toEqual(records.map((r) => r.json))
    expect(run.sent.records.slice(0, 500).map((r) => r.envelope.id)).toEqual(
      range(1, 500).map(String),
    )
    console.info(
      `store faults (restart): ${CLIENTS} clients, 500 events before, ${refused} of 50 appends refused while Redis was down, ${records.length} stored after; every client told once (restarted)`,
    )
  }, 60_000)

  it(`Redis answering late (DEBUG SLEEP x3): the producer is told what Redis did, and ${CLIENTS} clients get every stored event`, async () => {
    const run = await setup({ commandTimeoutMs: 150 }, true)
    const sleeper = new Redis(run.redis.url, { maxRetriesPerRequest: 0 })
    const probe = new Redis(run.redis.url, { maxRetriesPerRequest: 0, commandTimeout: 50 })
    cleanups.push(() => {
      sleeper.disconnect()
      probe.disconnect()
    })
    for (let round = 0; round < 3; round++) {
      run.emit(200)
      await run.manager.flush()
      const awake = sleeper.call('DEBUG', 'SLEEP', '0.6')
      await waitFor(
        async () => {
          try {
            await probe.ping()
            return false
          } catch {
            return true
          }
        },
        { timeoutMs: 5000, what: 'Redis to sleep' },
      )
      // Written while Redis sleeps: each times out, and runs when Redis wakes.
      for (let i = 0; i < 10; i++) {
        run.emit(10)
        await pause(20)
      }
      await awake
    }
    await run.finish()

    const stored = (await run.producerStore.read('workflow:run', { limit: 10_000 })).events
    // Nothing was refused or lost: every append timed out or not was looked up and found.
    expect(run.producerErrors.map((error) => error.code)).toEqual([])
    expect(stored.length).toBe(3 * 300 + 1)
    const all = stored.map((record) =>
      record.envelope.type === 'complete'
        ? 'complete'
        : `${record.envelope.id}:${(record.envelope.data as { text: string }).text}`,
    )
    for (const client of run.clients) expect(client.log).toEqual(all)
    expect(run.sent.records.map((r) => r.json)).toEqual(stored.map((r) => r.json))
    console.info(
      `store faults (late replies): 3 DEBUG SLEEPs of 600 ms, 300 appends written while Redis slept, 0 reported, ${stored.length} stored, ${CLIENTS} clients with all of them`,
    )
  }, 60_000)
})
