import { afterEach, describe, expect, it } from 'vitest'
import { connect } from '../../src/client.js'
import { executionCatalog } from '../../src/index.js'
import { redisStore } from '../../src/redis.js'
import { pause, waitFor } from '../helpers/wait.js'
import { range } from './drafts.js'
import { deleteKeys, SHARED_REDIS_URL, startPrivateRedis, uniquePrefix } from './helpers.js'
import { deploy, eventsOf, openSse, roundRobin, type SseMessage } from './processes.js'

// Two web processes (the Node SSE handler over a Redis store) and one producer process share
// Redis, as workers and web servers behind a load balancer would. Every child is stopped after
// each test, failed or not.
const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

function streamPath(id: string): string {
  return `/api/v0/executions/workflows/${id}/stream`
}

/** Checks what a client received: ids 1…n once each, in order, the same bytes as the store. */
async function expectExactlyOnce(
  url: string,
  prefix: string,
  stream: string,
  received: SseMessage[],
): Promise<number> {
  const store = redisStore({ url, prefix, onError: () => {} })
  try {
    const stored = await store.read(stream, { limit: 100_000 })
    expect(stored.finished).toBe(true)
    const lastId = Number(stored.lastId)
    expect(received.map((message) => Number(message.id))).toEqual(range(1, lastId))
    expect(received.map((message) => message.data)).toEqual(
      stored.events.map((record) => record.json),
    )
    expect(received.at(-1)?.event).toBe('complete')
    return lastId
  } finally {
    await store.close()
  }
}

// Each test starts three processes with tsx, which takes seconds on a busy machine.
describe('Redis fan-out across processes', { timeout: 60_000 }, () => {
  it('resumes a client cut off on process A on process B with its Last-Event-ID, exactly once', async () => {
    const prefix = uniquePrefix('mp')
    cleanup.push(() => deleteKeys(SHARED_REDIS_URL, prefix))
    const { web, producer } = await deploy({ REDIS_URL: SHARED_REDIS_URL, PREFIX: prefix }, cleanup)
    const id = `exec_${Date.now().toString(36)}`
    const stream = `workflow:${id}`
    producer.send({ type: 'run', stream, count: 300, intervalMs: 3 })

    const received: SseMessage[] = []
    let lastId: string | undefined
    // A, B, A, B: each hop is cut after 40 more events (the last one runs to `complete`).
    const hops = [web[0], web[1], web[0], web[1]]
    for (const [hop, port] of hops.entries()) {
      const request = openSse(port, streamPath(id), lastId)
      expect(await request.status).toBe(200)
      const final = hop === hops.length - 1
      await request.until((messages) =>
        final
          ? messages.some((message) => message.event === 'complete')
          : eventsOf(messages).length >= 40,
      )
      request.cut()
      await request.ended
      const events = eventsOf(request.messages)
      received.push(...events)
      lastId = events.at(-1)?.id ?? lastId
    }
    const done = await producer.next<{ type: string; emitted: number; failed: number }>('done')
    expect(done).toMatchObject({ emitted: 301, failed: 0 })
    expect(await expectExactlyOnce(SHARED_REDIS_URL, prefix, stream, received)).toBe(301)
  })

  it('keeps a runstream client whole behind a load balancer that cuts its connections', async () => {
    const prefix = uniquePrefix('mp')
    cleanup.push(() => deleteKeys(SHARED_REDIS_URL, prefix))
    const { web, producer } = await deploy({ REDIS_URL: SHARED_REDIS_URL, PREFIX: prefix }, cleanup)
    const balancer = await roundRobin(web)
    cleanup.push(() => balancer.close())
    const id = `exec_${Date.now().toString(36)}`
    const stream = `workflow:${id}`

    const subscription = connect(`http://127.0.0.1:${balancer.port}${streamPath(id)}`, {
      catalog: executionCatalog,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200, jitter: false },
      onError: () => {},
    })
    cleanup.push(() => subscription.close())
    const events: { id: string; type: string; data: unknown }[] = []
    const consuming = (async () => {
      for await (const event of subscription) events.push(event)
    })()
    producer.send({ type: 'run', stream, count: 300, intervalMs: 3 })
    // Cut every open connection each time 50 more events arrived.
    for (let cuts = 1; cuts <= 4; cuts++) {
      await waitFor(() => events.length >= cuts * 50, { what: `${cuts * 50} events` })
      balancer.cutAll()
    }
    await consuming
    expect(balancer.connections[0]).toBeGreaterThanOrEqual(2)
    expect(balancer.connections[1]).toBeGreaterThanOrEqual(2)
    expect(events.map((event) => Number(event.id))).toEqual(range(1, 301))
    expect(events.slice(0, 300).map((event) => event.data)).toEqual(
      range(1, 300).map((n) => ({ text: `chunk ${n} ` })),
    )
    expect(events.at(-1)?.type).toBe('complete')
  })

  it('survives a Redis stop and restart: 503 while down, then every stored event once', async () => {
    const redis = await startPrivateRedis({ persist: true })
    cleanup.push(() => redis.dispose())
    const prefix = 'mp:'
    const { web, producer } = await deploy({ REDIS_URL: redis.url, PREFIX: prefix }, cleanup)
    const id = `exec_${Date.now().toString(36)}`
    const stream = `workflow:${id}`
    producer.send({ type: 'run', stream, count: 800, intervalMs: 3 })

    const received: SseMessage[] = []
    let lastId: string | undefined
    const first = openSse(web[0], streamPath(id))
    expect(await first.status).toBe(200)
    await first.until((messages) => eventsOf(messages).length >= 50)

    await redis.stop()
    // While Redis is down, a new request (here resuming on B) is refused with a JSON 503.
    const refused = openSse(web[1], streamPath(id), eventsOf(first.messages).at(-1)?.id)
    expect(await refused.status).toBe(503)
    expect((await refused.headers)['content-type']).toMatch(/^application\/json/)
    expect(JSON.parse(await refused.body())).toMatchObject({
      status: 503,
      error: { code: 'store_failed' },
    })
    // And so is a request for a new stream, without a cursor.
    const fresh = openSse(web[0], streamPath(`${id}_other`))
    expect(await fresh.status).toBe(503)
    expect(JSON.parse(await fresh.body())).toMatchObject({ error: { code: 'store_failed' } })
    // Redis stays down until the producer had an emit refused.
    await producer.next('refused')
    await redis.start()

    // The client on A stayed connected: after the restart it gets what follows, with no gap.
    const beforeCut = eventsOf(first.messages).length
    await first.until((messages) => eventsOf(messages).length >= beforeCut + 50)
    expect(first.messages.filter((message) => message.event === 'runstream.error')).toEqual([])
    first.cut()
    await first.ended
    received.push(...eventsOf(first.messages))
    lastId = received.at(-1)?.id

    // Then it resumes on B, as a client does: again after a 503 or a `runstream.error`.
    for (let attempt = 0; !received.some((m) => m.event === 'complete'); attempt++) {
      expect(attempt).toBeLessThan(20)
      const request = openSse(web[1], streamPath(id), lastId)
      if ((await request.status) !== 200) {
        // A client's wait before it retries: B's store may still be reconnecting.
        await pause(250)
        continue
      }
      await request.until((messages) => messages.some((message) => message.event === 'complete'))
      request.cut()
      received.push(...eventsOf(request.messages))
      lastId = received.at(-1)?.id
    }

    const done = await producer.next<{ type: string; emitted: number; failed: number }>('done')
    expect(done.failed).toBeGreaterThan(0)
    const stored = await expectExactlyOnce(redis.url, prefix, stream, received)
    // Refused emits are missing; an emit whose reply was lost in the crash may be stored anyway.
    expect(stored).toBeGreaterThanOrEqual(done.emitted - done.failed)
    expect(stored).toBeLessThan(done.emitted)
  })
})
