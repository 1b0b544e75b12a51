import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, test, vi } from 'vitest'
import * as z from 'zod/mini'
import { connect, type RunstreamError } from '../../src/client.js'
import { defineCatalog } from '../../src/core/catalog.js'
import {
  drain,
  fastOptions,
  frame,
  PREAMBLE,
  pipe,
  scriptedFetch,
  sseResponse,
  until,
} from './helpers.js'

const URL = 'http://api.test/api/v0/executions/workflows/w1/stream'
type Errors = NonNullable<Parameters<typeof fastOptions>[0]>

const catalog = defineCatalog(
  { step: z.object({ n: z.number() }), done: z.object({ ok: z.boolean() }) },
  { terminal: ['done'] },
)
const step = (id: number) => frame(id, 'step', { n: id })

/** Lets the event loop turn `n` times: waiting on turns, not on a clock. */
async function turns(n = 50): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}

/**
 * An endless body, one event per chunk, each chunk a turn of the event loop later (as a network
 * delivers them): `next` numbers them.
 */
function endlessSteps(next: () => number): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await new Promise((resolve) => setImmediate(resolve))
      controller.enqueue(encoder.encode(step(next())))
    },
  })
}

/** A subscription to {@link endlessSteps}, keeping at most `maxQueuedEvents` unread. */
function endlessSubscription(maxQueuedEvents: number, next: () => number) {
  return connect(URL, {
    ...fastOptions(),
    fetch: scriptedFetch(sseResponse(endlessSteps(next))),
    maxQueuedEvents,
  })
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('the end of a stream', () => {
  test('a terminal event that fails validation ends the subscription with its error, with no reconnect', async () => {
    const fetch = scriptedFetch(
      sseResponse(step(1) + frame(2, 'done', { ok: 'yes' })),
      sseResponse(step(1) + frame(2, 'done', { ok: 'yes' })),
    )
    const errors: Errors = []
    const result = await drain(
      connect(URL, {
        ...fastOptions(errors),
        fetch,
        catalog,
        reconnect: { initialDelayMs: 0, maxRetries: 3 },
      }),
    )
    expect(result.events.map((event) => event.id)).toEqual(['1'])
    expect(result.error).toMatchObject({
      code: 'validation_failed',
      details: { eventType: 'done' },
    })
    expect(errors.map((e) => [e.error.code, e.info.fatal])).toEqual([['validation_failed', true]])
    expect(fetch.calls).toHaveLength(1)
  })

  test('a server that only replays what the client has is not healthy: maxRetries bounds the reconnects', async () => {
    // Every connection re-sends events 1 and 2 and closes: nothing new, so the count never resets.
    const replay = () => sseResponse(PREAMBLE + step(1) + step(2))
    const fetch = scriptedFetch(...Array.from({ length: 10 }, () => replay))
    const result = await drain(
      connect(URL, {
        ...fastOptions(),
        fetch,
        catalog,
        reconnect: { initialDelayMs: 0, maxDelayMs: 0, maxRetries: 3 },
      }),
    )
    expect(result.events.map((event) => event.id)).toEqual(['1', '2'])
    expect(result.error).toMatchObject({ code: 'retries_exhausted' })
    // The first connection was healthy (new events); then three that brought nothing.
    expect(fetch.calls).toHaveLength(4)
  })

  test('events without ids prove nothing new: a server that re-sends them and closes runs out of retries', async () => {
    const again = () => sseResponse('event: step\ndata: {"n":1}\n\n')
    const fetch = scriptedFetch(...Array.from({ length: 10 }, () => again))
    const result = await drain(
      connect(URL, {
        ...fastOptions(),
        fetch,
        catalog,
        reconnect: { initialDelayMs: 0, maxDelayMs: 0, maxRetries: 2 },
      }),
    )
    expect(result.error).toMatchObject({ code: 'retries_exhausted' })
    expect(fetch.calls).toHaveLength(3)
  })

  test('with reconnect: false no error message says "reconnecting"', async () => {
    const failures = [
      () => Promise.reject(new TypeError('fetch failed')),
      () => new Response('busy', { status: 503 }),
      () => sseResponse(step(1)),
      () =>
        sseResponse(
          'event: runstream.error\ndata: {"code":"store_failed","message":"Redis is down"}\n\n',
        ),
    ]
    for (const failure of failures) {
      const errors: Errors = []
      const result = await drain(
        connect(URL, { ...fastOptions(errors), fetch: scriptedFetch(failure), reconnect: false }),
      )
      const error = result.error as RunstreamError
      expect(error.message).not.toMatch(/reconnecting/i)
      expect(error.message).toMatch(/not retried \(reconnect: false\)/)
      expect(errors.map((e) => e.info.fatal)).toEqual([true])
    }
  })

  test('with reconnect: false an idle timeout does not say "reconnecting" either', async () => {
    const body = pipe()
    const result = await drain(
      connect(URL, {
        ...fastOptions(),
        fetch: scriptedFetch(sseResponse(body.stream)),
        reconnect: false,
        idleTimeoutMs: 20,
      }),
    )
    expect(result.error).toMatchObject({ code: 'idle_timeout' })
    expect((result.error as RunstreamError).message).not.toMatch(/reconnecting/i)
  })
})

describe('events before the loop starts', () => {
  test('are kept for a for await loop that starts late', async () => {
    const body = pipe()
    const subscription = connect(URL, {
      ...fastOptions(),
      fetch: scriptedFetch(sseResponse(body.stream)),
      catalog,
    })
    body.write(step(1) + step(2) + step(3))
    await until(() => subscription.lastEventId === '3')
    body.write(frame(4, 'done', { ok: true }))
    const result = await drain(subscription)
    expect(result.events.map((event) => event.id)).toEqual(['1', '2', '3', '4'])
  })

  test('are kept up to maxQueuedEvents, then the client stops reading until the loop starts', async () => {
    let pulled = 0
    const subscription = endlessSubscription(5, () => ++pulled)
    await until(() => subscription.lastEventId === '5')
    await turns()
    // Five events kept, one more chunk at most in the stream's own queue: the network waits.
    expect(pulled).toBeLessThanOrEqual(7)
    const iterator = subscription[Symbol.asyncIterator]()
    for (let i = 1; i <= 20; i++) expect((await iterator.next()).value?.id).toBe(String(i))
    expect(pulled).toBeGreaterThanOrEqual(20)
    await iterator.return?.()
  })

  test('with on() handlers and no loop, nothing is kept and the network never pauses', async () => {
    let pulled = 0
    const subscription = endlessSubscription(5, () => ++pulled)
    let handled = 0
    subscription.on('step', () => handled++)
    await until(() => handled >= 200)
    subscription.close()
    expect(pulled).toBeGreaterThanOrEqual(200)
  })

  test('a handler added while the network waits for a loop lets it go on', async () => {
    let pulled = 0
    const subscription = endlessSubscription(2, () => ++pulled)
    await until(() => subscription.lastEventId === '2')
    let handled = 0
    subscription.on('*', () => handled++)
    await until(() => handled >= 50)
    subscription.close()
  })
})

describe('the default onError', () => {
  test('prints one line per failure against a wrong URL, never a stack trace', async () => {
    // A port nobody listens on: a real connection refused, every attempt.
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    await new Promise((resolve) => server.close(resolve))
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})

    const subscription = connect(`http://127.0.0.1:${port}/api/v0/executions/workflows/w1/stream`, {
      reconnect: { initialDelayMs: 0, maxDelayMs: 0, maxRetries: 2 },
    })
    await until(() => subscription.readyState === 'closed')

    // Two reconnects and the final error: three lines, each one string without a line break.
    expect(warn).toHaveBeenCalledTimes(3)
    for (const args of warn.mock.calls) {
      expect(args).toHaveLength(1)
      expect(typeof args[0]).toBe('string')
      expect(args[0]).not.toMatch(/\n/)
    }
    const [first, second, last] = warn.mock.calls.map((args) => args[0] as string)
    expect(first).toMatch(
      new RegExp(
        `^runstream network_error: http://127.0.0.1:${port}/api/v0/executions/workflows/w1/stream: connection failed \\(ECONNREFUSED: .*\\); reconnecting\\. \\[attempt 1 of 2, next in 0\\.0 s\\]$`,
      ),
    )
    expect(second).toMatch(/\[attempt 2 of 2, next in 0\.0 s\]$/)
    expect(last).toMatch(/^runstream retries_exhausted: .*2 failed attempts in a row/)
  })

  test('leaves a fatal error to the for await loop that throws it', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const result = await drain(
      connect(URL, { fetch: scriptedFetch(new Response('', { status: 404 })) }),
    )
    expect(result.error).toMatchObject({ code: 'http_error', status: 404 })
    expect(warn).not.toHaveBeenCalled()
  })
})
