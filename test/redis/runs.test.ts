import { afterEach, describe, expect, it } from 'vitest'
import { deleteKeys, inspector, SHARED_REDIS_URL, uniquePrefix, waitUntil } from './helpers.js'
import { eventsOf, type Fixture, openSse, startFixture } from './processes.js'

// Runs across processes on one Redis: a producer process that started the run, a web process
// whose clients follow it, and a third process that receives `POST …/cancel`. Every child is
// stopped after each test, failed or not.
const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

interface Deployment {
  producer: Fixture
  /** The web process that serves the stream. */
  web: number
  /** The process that serves the cancel route. */
  canceller: number
}

async function deploy(prefix: string, graceMs: number): Promise<Deployment> {
  const env = { REDIS_URL: SHARED_REDIS_URL, PREFIX: prefix, CANCEL_GRACE_MS: String(graceMs) }
  const producer = startFixture('run-producer', env)
  const web = startFixture('web-process', env)
  const canceller = startFixture('web-process', { ...env, CANCEL_ROUTE: '1' })
  for (const child of [producer, web, canceller]) cleanup.push(() => child.stop())
  const [, listening, cancelling] = await Promise.all([
    producer.next('ready'),
    web.next<{ type: string; port: number }>('listening'),
    canceller.next<{ type: string; port: number }>('listening'),
  ])
  return { producer, web: listening.port, canceller: cancelling.port }
}

const streamPath = (id: string) => `/api/v0/executions/workflows/${id}/stream`
const cancelUrl = (port: number, id: string) =>
  `http://127.0.0.1:${port}/api/v0/executions/workflows/${id}/cancel`

/** Every key under `prefix` with its time to live in ms (-1: none, -2: gone). */
async function keysWithTtl(prefix: string): Promise<Map<string, number>> {
  const redis = inspector(SHARED_REDIS_URL)
  try {
    const found = new Map<string, number>()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      for (const key of keys) {
        // -2: deleted between SCAN and PTTL (the run key goes when the run ends). It is not left.
        const ttl = await redis.pttl(key)
        if (ttl !== -2) found.set(key, ttl)
      }
    } while (cursor !== '0')
    return found
  } finally {
    redis.disconnect()
  }
}

describe('runs across processes on one Redis', () => {
  it('cancels from a third process: the producer’s signal aborts within 1 s, followers see the end, every key has a TTL', async () => {
    const prefix = uniquePrefix('runs')
    cleanup.push(() => deleteKeys(SHARED_REDIS_URL, prefix))
    const { producer, web, canceller } = await deploy(prefix, 300)
    const id = `run_${Date.now().toString(36)}`
    producer.send({ type: 'start', id, count: 100_000, intervalMs: 5 })
    await producer.next('started')

    // A follower on the web process, and one on the canceller's.
    const followers = [openSse(web, streamPath(id)), openSse(canceller, streamPath(id))]
    for (const follower of followers) {
      expect(await follower.status).toBe(200)
      await follower.until((messages) => eventsOf(messages).length >= 20)
    }
    // While it runs, the claim lives with a TTL.
    const running = await keysWithTtl(prefix)
    expect([...running.keys()].sort()).toEqual(
      [`{workflow:${id}}:events`, `{workflow:${id}}:meta`, `{workflow:${id}}:run`].map(
        (key) => `${prefix}${key}`,
      ),
    )

    const sentAt = Date.now()
    const response = await fetch(cancelUrl(canceller, id), { method: 'POST' })
    expect(response.status).toBe(202)
    expect(await response.json()).toEqual({
      status: 202,
      stream: `workflow:${id}`,
      outcome: 'canceled',
    })
    const aborted = await producer.next<{ type: string; at: number; code: string }>('aborted')
    expect(aborted.code).toBe('run_canceled')
    expect(aborted.at - sentAt).toBeLessThan(1000)

    // The producer stopped without a terminal event: the grace period ends the stream.
    for (const follower of followers) {
      await follower.until((messages) => messages.some((m) => m.event === 'error'))
      await follower.ended
      const events = eventsOf(follower.messages)
      const last = JSON.parse(events.at(-1)?.data ?? '{}') as { type: string; data: unknown }
      expect(last).toMatchObject({
        type: 'error',
        data: { status: 'CANCELED', error: { message: 'Canceled by request.', code: 'canceled' } },
      })
      expect(events.map((event) => Number(event.id))).toEqual(
        Array.from({ length: events.length }, (_, i) => i + 1),
      )
    }
    // A second cancel is harmless; a resume at the end gets 204.
    const again = await fetch(cancelUrl(canceller, id), { method: 'POST' })
    expect(await again.json()).toMatchObject({ outcome: 'finished' })
    const lastId = eventsOf(followers[0]?.messages ?? []).at(-1)?.id
    expect(await openSse(web, streamPath(id), lastId).status).toBe(204)

    await producer.next('done')
    // Nothing without a TTL; the claim went with the run.
    await waitUntil(async () => !(await keysWithTtl(prefix)).has(`${prefix}{workflow:${id}}:run`))
    const left = await keysWithTtl(prefix)
    expect(left.size).toBe(2)
    for (const [key, ttl] of left) expect(ttl, key).toBeGreaterThan(0)
  })

  it('ends the run of a producer process that died, when it is cancelled', async () => {
    const prefix = uniquePrefix('runs')
    cleanup.push(() => deleteKeys(SHARED_REDIS_URL, prefix))
    const { producer, web, canceller } = await deploy(prefix, 100)
    const id = `dead_${Date.now().toString(36)}`
    producer.send({ type: 'start', id, count: 100_000, intervalMs: 5 })
    await producer.next('started')
    const follower = openSse(web, streamPath(id))
    await follower.until((messages) => eventsOf(messages).length >= 10)
    producer.child.kill('SIGKILL')
    await new Promise((resolve) => producer.child.once('exit', resolve))

    const response = await fetch(cancelUrl(canceller, id), { method: 'POST' })
    expect(await response.json()).toMatchObject({ outcome: 'canceled' })
    await follower.until((messages) => messages.some((m) => m.event === 'error'))
    const last = JSON.parse(eventsOf(follower.messages).at(-1)?.data ?? '{}') as {
      data: { status: string }
    }
    expect(last.data.status).toBe('CANCELED')
    const left = await keysWithTtl(prefix)
    for (const [key, ttl] of left) expect(ttl, key).toBeGreaterThan(0)
  })
})
