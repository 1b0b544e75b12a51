import { afterEach, describe, expect, test, vi } from 'vitest'
import * as z from 'zod/mini'
import { connect, type ReconnectInfo, type RunstreamError } from '../../src/client.js'
import { defineCatalog } from '../../src/core/catalog.js'
import { EventValidationError, executionCatalog } from '../../src/index.js'
import {
  drain,
  type FetchCall,
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

const complete = (id: number) => frame(id, 'complete', { status: 'SUCCESS' })
const chunk = (id: number, text = `t${id}`) => frame(id, 'llm_chunk', { text })

afterEach(() => {
  vi.useRealTimers()
})

describe('delivering events', () => {
  test('yields the envelopes of a runstream server, typed and validated by the catalog', async () => {
    const fetch = scriptedFetch(
      sseResponse(PREAMBLE + chunk(1, 'Hel') + chunk(2, 'lo') + complete(3)),
    )
    const subscription = connect(URL, { ...fastOptions(), fetch, catalog: executionCatalog })
    const texts: string[] = []
    const seen: unknown[] = []
    for await (const event of subscription) {
      seen.push(event)
      if (event.type === 'llm_chunk') texts.push(event.data.text)
    }
    expect(texts).toEqual(['Hel', 'lo'])
    expect(seen[0]).toEqual({
      id: '1',
      type: 'llm_chunk',
      stream: 'workflow:w1',
      ts: '2026-01-01T00:00:00.000Z',
      data: { text: 'Hel' },
    })
    expect(subscription.lastEventId).toBe('3')
  })

  test('a terminal event ends the subscription without reconnecting and lets go of the connection', async () => {
    const body = pipe()
    const fetch = scriptedFetch(sseResponse(body.stream))
    const subscription = connect(URL, { ...fastOptions(), fetch })
    body.write(chunk(1) + complete(2) + chunk(3))
    const result = await drain(subscription)

    expect(result.events.map((e) => e.id)).toEqual(['1', '2'])
    expect(subscription.readyState).toBe('closed')
    expect(fetch.calls).toHaveLength(1)
    expect(fetch.calls[0]?.signal.aborted).toBe(true)
    await body.cancelled
  })

  test('without a catalog, complete and error are terminal unless `terminal` says otherwise', async () => {
    const defaults = scriptedFetch(sseResponse(frame(1, 'error', { status: 'FAILED' }) + chunk(2)))
    expect((await drain(connect(URL, { ...fastOptions(), fetch: defaults }))).events).toHaveLength(
      1,
    )

    const custom = scriptedFetch(sseResponse(frame(1, 'error', {}) + frame(2, 'done', {})))
    const result = await drain(
      connect(URL, { ...fastOptions(), fetch: custom, terminal: ['done'] }),
    )
    expect(result.events.map((e) => e.type)).toEqual(['error', 'done'])
  })

  test('a plain server that sends only payloads still yields { id, type, data } from the SSE fields', async () => {
    const fetch = scriptedFetch(
      sseResponse(
        'event: llm_chunk\ndata: {"text":"Hi"}\n\n' +
          'id: 7\nevent: llm_chunk\ndata: raw text, not JSON\n\n' +
          'data: 42\n\n' +
          'event: complete\ndata: {"status":"SUCCESS"}\n\n',
      ),
    )
    const result = await drain(connect(URL, { ...fastOptions(), fetch }))
    expect(result.events).toEqual([
      { id: '', type: 'llm_chunk', data: { text: 'Hi' } },
      { id: '7', type: 'llm_chunk', data: 'raw text, not JSON' },
      { id: '', type: 'message', data: 42 },
      { id: '', type: 'complete', data: { status: 'SUCCESS' } },
    ])
  })

  test('a plain server is validated too, with the SSE event name as the type', async () => {
    const fetch = scriptedFetch(
      sseResponse(
        'event: llm_chunk\ndata: {"text":"ok"}\n\nevent: llm_chunk\ndata: {"txt":1}\n\nevent: complete\ndata: {"status":"SUCCESS"}\n\n',
      ),
    )
    const errors: Errors = []
    const result = await drain(
      connect(URL, { ...fastOptions(errors), fetch, catalog: executionCatalog }),
    )
    expect(result.events.map((e) => e.data)).toEqual([{ text: 'ok' }, { status: 'SUCCESS' }])
    expect(errors.map((e) => e.error.code)).toEqual(['validation_failed'])
  })

  test('on() handlers receive events by type, and "*" receives all; the returned function removes a handler', async () => {
    const body = pipe()
    const fetch = scriptedFetch(sseResponse(body.stream))
    const subscription = connect(URL, { ...fastOptions(), fetch, catalog: executionCatalog })
    const texts: string[] = []
    const all: string[] = []
    const off = subscription.on('llm_chunk', (event) => texts.push(event.data.text))
    subscription.on('*', (event) => all.push(event.type))
    body.write(chunk(1, 'a'))
    await until(() => texts.length === 1)
    off()
    body.write(chunk(2, 'b') + complete(3))
    await until(() => subscription.readyState === 'closed')
    expect(texts).toEqual(['a'])
    expect(all).toEqual(['llm_chunk', 'llm_chunk', 'complete'])
  })

  test('a handler added or removed in a run of one type counts from the next event; a dispatch runs the handlers there were when it began', async () => {
    const fetch = scriptedFetch(
      sseResponse(PREAMBLE + chunk(1, 'a') + chunk(2, 'b') + chunk(3, 'c') + complete(4)),
    )
    const subscription = connect(URL, { ...fastOptions(), fetch, catalog: executionCatalog })
    const log: string[] = []
    let offB = () => {}
    subscription.on('llm_chunk', (event) => {
      log.push(`A${event.data.text}`)
      if (event.data.text === 'a') {
        offB = subscription.on('llm_chunk', (e) => log.push(`B${e.data.text}`))
        subscription.on('*', (e) => log.push(`*${e.type}`))
      }
      if (event.data.text === 'b') offB()
    })
    await until(() => subscription.readyState === 'closed')
    expect(log).toEqual(['Aa', 'Ab', 'Bb', '*llm_chunk', 'Ac', '*llm_chunk', '*complete'])
  })
})

describe('validation', () => {
  const catalog = defineCatalog(
    {
      progress: z.object({ pct: z.number(), note: z._default(z.string(), 'none') }),
      done: z.object({}),
    },
    { terminal: ['done'] },
  )

  test('an invalid payload or unknown type goes to onError as an EventValidationError and the stream goes on', async () => {
    const fetch = scriptedFetch(
      sseResponse(
        frame(1, 'progress', { pct: 10 }) +
          frame(2, 'progress', { pct: 'ten' }) +
          frame(3, 'mystery', {}) +
          frame(4, 'progress', { pct: 50, note: 'half' }) +
          frame(5, 'done', {}),
      ),
    )
    const errors: Errors = []
    const result = await drain(connect(URL, { ...fastOptions(errors), fetch, catalog }))

    expect(result.events.map((e) => [e.id, e.data])).toEqual([
      ['1', { pct: 10, note: 'none' }],
      ['4', { pct: 50, note: 'half' }],
      ['5', {}],
    ])
    expect(errors.map((e) => [e.error.code, e.info.fatal])).toEqual([
      ['validation_failed', false],
      ['unknown_event', false],
    ])
    expect(errors[0]?.error).toBeInstanceOf(EventValidationError)
    expect(errors[0]?.error).toMatchObject({ issues: [{ path: ['pct'] }] })
  })

  test('strict mode makes an invalid event fatal', async () => {
    const fetch = scriptedFetch(
      sseResponse(
        frame(1, 'progress', { pct: 1 }) + frame(2, 'progress', {}) + frame(3, 'done', {}),
      ),
    )
    const errors: Errors = []
    const result = await drain(
      connect(URL, { ...fastOptions(errors), fetch, catalog, strict: true }),
    )
    expect(result.events.map((e) => e.id)).toEqual(['1'])
    expect(result.error).toBeInstanceOf(EventValidationError)
    expect(errors.map((e) => e.info.fatal)).toEqual([true])
    expect(fetch.calls).toHaveLength(1)
  })
})

describe('resuming', () => {
  test('after a drop it reconnects with Last-Event-ID and drops the replayed overlap', async () => {
    const fetch = scriptedFetch(
      sseResponse(PREAMBLE + chunk(1) + chunk(2) + chunk(3)),
      sseResponse(PREAMBLE + chunk(2) + chunk(3) + chunk(4) + complete(5)),
    )
    const errors: Errors = []
    const result = await drain(connect(URL, { ...fastOptions(errors), fetch }))

    expect(result.events.map((e) => e.id)).toEqual(['1', '2', '3', '4', '5'])
    expect(fetch.calls.map((c) => c.headers.get('last-event-id'))).toEqual([null, '3'])
    expect(errors.map((e) => [e.error.code, e.error.details?.reason])).toEqual([
      ['network_error', 'ended'],
    ])
  })

  test('lastEventId starts after the given cursor', async () => {
    const fetch = scriptedFetch(sseResponse(chunk(4) + complete(5)))
    const subscription = connect(URL, { ...fastOptions(), fetch, lastEventId: '3' })
    expect(subscription.lastEventId).toBe('3')
    await drain(subscription)
    expect(fetch.calls[0]?.headers.get('last-event-id')).toBe('3')
    expect(fetch.calls[0]?.headers.get('accept')).toBe('text/event-stream')
  })

  test('runstream.gap is reported as a non-fatal cursor_expired and the lower ids after it are accepted', async () => {
    const gap =
      'event: runstream.gap\ndata: {"reason":"expired","after":"12","firstId":"40","lastId":"90"}\n\n'
    const fetch = scriptedFetch(sseResponse(gap + chunk(40) + chunk(41) + complete(42)))
    const errors: Errors = []
    const subscription = connect(URL, { ...fastOptions(errors), fetch, lastEventId: '50' })
    const result = await drain(subscription)

    expect(result.events.map((e) => e.id)).toEqual(['40', '41', '42'])
    expect(errors.map((e) => [e.error.code, e.info.fatal])).toEqual([['cursor_expired', false]])
    expect(errors[0]?.error.details).toEqual({
      reason: 'expired',
      after: '12',
      firstId: '40',
      lastId: '90',
    })
  })

  test('runstream.error makes it reconnect with its cursor, reporting the server code; control events are never yielded', async () => {
    const failure =
      'event: runstream.error\ndata: {"code":"store_failed","message":"Redis is down"}\n\n'
    const fetch = scriptedFetch(
      sseResponse(chunk(1) + failure + chunk(99)),
      sseResponse(chunk(2) + complete(3)),
    )
    const errors: Errors = []
    const result = await drain(connect(URL, { ...fastOptions(errors), fetch }))

    expect(result.events.map((e) => e.id)).toEqual(['1', '2', '3'])
    expect(fetch.calls[1]?.headers.get('last-event-id')).toBe('1')
    expect(errors.map((e) => [e.error.code, e.info.fatal])).toEqual([['store_failed', false]])
    expect(errors[0]?.error.message).toContain('Redis is down')
  })

  test('every runtime’s network failure is one retryable network_error, the original kept as cause', async () => {
    const failures = [
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      }),
      new TypeError('Failed to fetch'),
      new TypeError('Load failed'),
      new TypeError('NetworkError when attempting to fetch resource.'),
    ]
    const fetch = scriptedFetch(
      ...failures.map((failure) => () => Promise.reject(failure)),
      sseResponse(complete(1)),
    )
    const errors: Errors = []
    const result = await drain(connect(URL, { ...fastOptions(errors), fetch }))

    expect(result.events).toHaveLength(1)
    expect(errors.map((e) => [e.error.code, e.info.fatal, e.error.cause])).toEqual(
      failures.map((failure) => ['network_error', false, failure]),
    )
    expect(errors[0]?.error.details?.code).toBe('ECONNRESET')
  })

  test('a body that fails mid-read is a retryable network_error', async () => {
    const body = pipe()
    const fetch = scriptedFetch(sseResponse(body.stream), sseResponse(complete(2)))
    const errors: Errors = []
    const result = drain(connect(URL, { ...fastOptions(errors), fetch }))
    body.write(chunk(1))
    await until(() => fetch.calls.length === 1)
    body.fail(new TypeError('terminated', { cause: { code: 'UND_ERR_SOCKET' } }))
    expect((await result).events.map((e) => e.id)).toEqual(['1', '2'])
    expect(errors.map((e) => e.error.details?.code)).toEqual(['UND_ERR_SOCKET'])
  })

  test('the headers function is called before every attempt, so a refreshed token is sent', async () => {
    let token = 0
    const fetch = scriptedFetch(sseResponse(chunk(1)), sseResponse(complete(2)))
    await drain(
      connect(URL, {
        ...fastOptions(),
        fetch,
        headers: async () => ({ authorization: `Bearer t${++token}` }),
      }),
    )
    expect(fetch.calls.map((c) => c.headers.get('authorization'))).toEqual([
      'Bearer t1',
      'Bearer t2',
    ])
  })

  test('a headers function that throws is a retryable failure', async () => {
    let calls = 0
    const fetch = scriptedFetch(sseResponse(complete(1)))
    const errors: Errors = []
    const result = await drain(
      connect(URL, {
        ...fastOptions(errors),
        fetch,
        headers: () => {
          if (++calls === 1) throw new Error('token service down')
          return {}
        },
      }),
    )
    expect(result.events).toHaveLength(1)
    expect(errors.map((e) => e.error.code)).toEqual(['network_error'])
  })
})

describe('start with POST, resume with GET', () => {
  test('reconnects are GETs to the Location the server answered with, and the body is sent once', async () => {
    const fetch = scriptedFetch(
      sseResponse(chunk(1), { headers: { location: '/api/v0/runs/7/stream' } }),
      sseResponse(complete(2)),
    )
    await drain(
      connect(URL, {
        ...fastOptions(),
        fetch,
        method: 'POST',
        body: JSON.stringify({ prompt: 'hi' }),
        headers: { 'content-type': 'application/json' },
      }),
    )
    expect(
      fetch.calls.map((c: FetchCall) => [c.method, c.url, c.body, c.headers.get('last-event-id')]),
    ).toEqual([
      ['POST', URL, '{"prompt":"hi"}', null],
      ['GET', 'http://api.test/api/v0/runs/7/stream', undefined, '1'],
    ])
  })

  test('Content-Location works as Location does', async () => {
    const fetch = scriptedFetch(
      sseResponse(chunk(1), { headers: { 'content-location': 'http://other.test/s/7' } }),
      sseResponse(complete(2)),
    )
    await drain(connect(URL, { ...fastOptions(), fetch, method: 'POST', body: 'x' }))
    expect(fetch.calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['POST', URL, 'x'],
      ['GET', 'http://other.test/s/7', undefined],
    ])
  })

  test('without a Location, reconnects are GETs to the same URL once the server has sent ids, still without the body', async () => {
    const fetch = scriptedFetch(sseResponse(chunk(1)), sseResponse(complete(2)))
    await drain(connect(URL, { ...fastOptions(), fetch, method: 'POST', body: 'x' }))
    expect(
      fetch.calls.map((c) => [c.method, c.url, c.body, c.headers.get('last-event-id')]),
    ).toEqual([
      ['POST', URL, 'x', null],
      ['GET', URL, undefined, '1'],
    ])
  })

  test('a POST whose server sent no ids and no Location cannot be resumed: not_resumable, and no GET to the POST URL', async () => {
    for (const first of [
      () => sseResponse('data: {"text":"a"}\n\n'),
      () => Promise.reject(new TypeError('Failed to fetch')),
    ]) {
      const fetch = scriptedFetch(first)
      const errors: Errors = []
      const result = await drain(
        connect(URL, { ...fastOptions(errors), fetch, method: 'POST', body: 'x' }),
      )
      expect(fetch.calls.map((c) => c.method)).toEqual(['POST'])
      expect(result.error).toMatchObject({ code: 'not_resumable' })
      expect((result.error as RunstreamError).message).toMatch(/no event ids and no Location/)
      expect(((result.error as RunstreamError).cause as RunstreamError).code).toBe('network_error')
      expect(errors.map((e) => [e.error.code, e.info.fatal])).toEqual([['not_resumable', true]])
    }
  })

  test('a body with GET is refused with a TypeError that says how to fix it', () => {
    expect(() => connect(URL, { body: 'x' })).toThrow(/method: 'POST'/)
    expect(() => connect('not a url')).toThrow(TypeError)
  })
})

describe('backoff', () => {
  const drops = (n: number) =>
    Array.from({ length: n }, () => () => Promise.reject(new TypeError('Failed to fetch')))

  test('waits grow exponentially under full jitter, capped by maxDelayMs', async () => {
    vi.useFakeTimers()
    const fetch = scriptedFetch(...drops(6), sseResponse(complete(1)))
    const infos: ReconnectInfo[] = []
    const done = drain(
      connect(URL, {
        fetch,
        onError: () => {},
        onReconnect: (info) => infos.push(info),
        reconnect: { initialDelayMs: 100, maxDelayMs: 1000, factor: 2, random: () => 0.5 },
      }),
    )
    await vi.runAllTimersAsync()
    await done
    expect(infos.map((i) => [i.attempt, i.delayMs])).toEqual([
      [1, 50],
      [2, 100],
      [3, 200],
      [4, 400],
      [5, 500],
      [6, 500],
    ])
  })

  test('every wait stays within [0, ceiling) whatever the random source returns', async () => {
    const { backoffDelay, resolvePolicy } = await import('../../src/client/policy.js')
    for (const r of [0, 0.25, 0.999999]) {
      const policy = resolvePolicy({ initialDelayMs: 100, maxDelayMs: 3000, random: () => r })
      for (let attempt = 1; attempt <= 30; attempt++) {
        const delay = backoffDelay(policy, attempt, undefined, undefined)
        const ceiling = Math.min(3000, 100 * 2 ** (attempt - 1))
        expect(delay).toBeGreaterThanOrEqual(0)
        expect(delay).toBeLessThan(ceiling)
      }
    }
  })

  test('with jitter, waits are spread above the floor, so clients dropped together do not return together', async () => {
    const { backoffDelay, resolvePolicy } = await import('../../src/client/policy.js')
    const waits = [0, 0.25, 0.5, 0.999999].map((r) =>
      backoffDelay(resolvePolicy({ initialDelayMs: 1000, random: () => r }), 1, 2000, undefined),
    )
    expect(waits).toEqual([2000, 2250, 2500, 2999])
    // A Retry-After floor is spread the same way; without jitter the floor is the wait.
    const policy = resolvePolicy({ initialDelayMs: 1000, random: () => 0.5 })
    expect(backoffDelay(policy, 3, 2000, 10_000)).toBe(12_000)
    expect(
      backoffDelay(resolvePolicy({ initialDelayMs: 1000, jitter: false }), 3, 2000, 10_000),
    ).toBe(10_000)
    expect(
      backoffDelay(resolvePolicy({ initialDelayMs: 1000, jitter: false }), 3, 2000, undefined),
    ).toBe(4000)
  })

  test("the server's retry: is a floor", async () => {
    vi.useFakeTimers()
    const fetch = scriptedFetch(sseResponse('retry: 700\n\n' + chunk(1)), sseResponse(complete(2)))
    const infos: ReconnectInfo[] = []
    const done = drain(
      connect(URL, {
        fetch,
        onError: () => {},
        onReconnect: (info) => infos.push(info),
        reconnect: { initialDelayMs: 100, random: () => 0 },
      }),
    )
    await vi.runAllTimersAsync()
    await done
    expect(infos.map((i) => i.delayMs)).toEqual([700])
  })

  test('a healthy connection resets the backoff; maxRetries failures in a row end in retries_exhausted', async () => {
    const fetch = scriptedFetch(...drops(2), sseResponse(chunk(1)), ...drops(4))
    const errors: Errors = []
    const infos: ReconnectInfo[] = []
    const result = await drain(
      connect(URL, {
        fetch,
        onError: (error, info) => errors.push({ error, info }),
        onReconnect: (info) => infos.push(info),
        reconnect: { initialDelayMs: 0, maxRetries: 3 },
      }),
    )
    // Two failures, a healthy connection (attempt count back to 1), then three more failures allowed.
    expect(infos.map((i) => i.attempt)).toEqual([1, 2, 1, 2, 3])
    expect(result.events.map((e) => e.id)).toEqual(['1'])
    const error = result.error as RunstreamError
    expect(error.code).toBe('retries_exhausted')
    expect((error.cause as RunstreamError).code).toBe('network_error')
    expect(fetch.calls.at(-1)?.headers.get('last-event-id')).toBe('1')
    expect(errors.at(-1)?.info.fatal).toBe(true)
  })

  test('reconnect: false makes the first failure fatal, as itself', async () => {
    const fetch = scriptedFetch(...drops(1))
    const result = await drain(connect(URL, { fetch, onError: () => {}, reconnect: false }))
    expect((result.error as RunstreamError).code).toBe('network_error')
    expect(fetch.calls).toHaveLength(1)
  })

  test('out-of-range policies are refused with a TypeError', () => {
    expect(() => connect(URL, { reconnect: { factor: 0.5 } })).toThrow(/factor/)
    expect(() => connect(URL, { reconnect: { maxRetries: -1 } })).toThrow(/maxRetries/)
    expect(() => connect(URL, { reconnect: { initialDelayMs: 10, maxDelayMs: 5 } })).toThrow(
      /maxDelayMs/,
    )
  })
})

describe('closing', () => {
  test('break in for await aborts the fetch and releases the body', async () => {
    const body = pipe()
    const fetch = scriptedFetch(sseResponse(body.stream))
    const subscription = connect(URL, { ...fastOptions(), fetch })
    body.write(chunk(1) + chunk(2))
    for await (const event of subscription) {
      expect(event.id).toBe('1')
      break
    }
    expect(subscription.readyState).toBe('closed')
    expect(fetch.calls[0]?.signal.aborted).toBe(true)
    await body.cancelled
  })

  test('close() and the signal end iteration quietly', async () => {
    const body = pipe()
    const fetch = scriptedFetch(sseResponse(body.stream))
    const controller = new AbortController()
    const errors: Errors = []
    const subscription = connect(URL, { ...fastOptions(errors), fetch, signal: controller.signal })
    const result = drain(subscription)
    body.write(chunk(1))
    await until(() => subscription.lastEventId === '1')
    controller.abort()
    expect(await result).toEqual({ events: [{ id: '1', type: 'llm_chunk', data: { text: 't1' } }] })
    expect(errors).toEqual([])
    await body.cancelled
  })

  test('readyState goes connecting → open → closed', async () => {
    const body = pipe()
    const states: string[] = []
    const fetch = scriptedFetch(sseResponse(body.stream))
    const subscription = connect(URL, {
      ...fastOptions(),
      fetch,
      onOpen: () => states.push(subscription.readyState),
    })
    states.push(subscription.readyState)
    body.write(complete(1))
    await drain(subscription)
    states.push(subscription.readyState)
    expect(states).toEqual(['connecting', 'open', 'closed'])
  })

  test('no timer outlives close(): not the backoff wait, not the idle watchdog', async () => {
    vi.useFakeTimers()
    const waiting = connect(URL, {
      fetch: () => Promise.reject(new TypeError('Failed to fetch')),
      onError: () => {},
      reconnect: { initialDelayMs: 60_000 },
    })
    await vi.advanceTimersByTimeAsync(1)
    expect(vi.getTimerCount()).toBe(1)
    waiting.close()
    expect(vi.getTimerCount()).toBe(0)

    const body = pipe()
    const open = connect(URL, {
      fetch: scriptedFetch(sseResponse(body.stream)),
      idleTimeoutMs: 30_000,
    })
    await vi.advanceTimersByTimeAsync(1)
    expect(open.readyState).toBe('open')
    expect(vi.getTimerCount()).toBe(1)
    open.close()
    await vi.advanceTimersByTimeAsync(1)
    expect(vi.getTimerCount()).toBe(0)
  })

  test('the idle watchdog times silence from the last chunk, never while a slow consumer holds the stream', async () => {
    vi.useFakeTimers()
    const body = pipe()
    const errors: Errors = []
    const subscription = connect(URL, {
      ...fastOptions(errors),
      fetch: scriptedFetch(sseResponse(body.stream)),
      reconnect: false,
      idleTimeoutMs: 1000,
      maxQueuedEvents: 1,
    })
    const events = subscription[Symbol.asyncIterator]()
    body.write(PREAMBLE + chunk(1) + chunk(2) + chunk(3))
    // Five timeouts without taking an event: the client waits for its consumer, not the network.
    await vi.advanceTimersByTimeAsync(5000)
    expect(errors).toEqual([])
    for (const id of ['1', '2', '3']) expect((await events.next()).value?.id).toBe(id)
    // Bytes keep it open; then 1000 ms of silence after the last of them end it.
    await vi.advanceTimersByTimeAsync(600)
    body.write(': ping\n\n')
    await vi.advanceTimersByTimeAsync(900)
    expect(subscription.readyState).toBe('open')
    expect(errors).toEqual([])
    await vi.advanceTimersByTimeAsync(200)
    expect(errors.map((e) => e.error.code)).toEqual(['idle_timeout'])
  })

  test('close() inside onOpen lets go of the connection before reading it', async () => {
    const body = pipe()
    const fetch = scriptedFetch(sseResponse(body.stream))
    const subscription = connect(URL, {
      ...fastOptions(),
      fetch,
      onOpen: () => subscription.close(),
    })
    expect(await drain(subscription)).toEqual({ events: [] })
    await body.cancelled
    expect(fetch.calls).toHaveLength(1)
  })

  test('an aborted signal means no request at all', async () => {
    const fetch = scriptedFetch()
    const subscription = connect(URL, { fetch, signal: AbortSignal.abort() })
    expect(await drain(subscription)).toEqual({ events: [] })
    expect(fetch.calls).toHaveLength(0)
  })

  test('a subscription is iterated once; iterating one that ended with a fatal error throws it', async () => {
    const fetch = scriptedFetch(sseResponse('', { status: 404 }))
    const errors: Errors = []
    const subscription = connect(URL, { ...fastOptions(errors), fetch })
    await until(() => subscription.readyState === 'closed')
    const result = await drain(subscription)
    expect(result.error).toBe(errors[0]?.error)
    expect(() => subscription[Symbol.asyncIterator]()).toThrow(/iterate once/)
  })
})

describe('flow control', () => {
  test('a slow for await body stops the client reading from the network', async () => {
    let pulled = 0
    const encoder = new TextEncoder()
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(encoder.encode(chunk(pulled)))
      },
    })
    const fetch = scriptedFetch(sseResponse(endless))
    const subscription = connect(URL, { ...fastOptions(), fetch, maxQueuedEvents: 10 })
    const iterator = subscription[Symbol.asyncIterator]()
    await iterator.next()
    // Fifty turns of the event loop (not a clock): without back-pressure, thousands of pulls.
    for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve))
    expect(pulled).toBeLessThan(20)
    const before = pulled
    for (let i = 0; i < 30; i++) await iterator.next()
    expect(pulled).toBeGreaterThan(before)
    await iterator.return?.()
  })
})
