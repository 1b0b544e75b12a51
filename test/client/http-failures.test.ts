import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { connect, StreamHttpError } from '../../src/client.js'
import { isRunstreamError } from '../../src/index.js'
import { pause } from '../helpers/wait.js'
import { bodyOf, drain, fastOptions, frame, PREAMBLE, pipe, until } from './helpers.js'

const URL = 'http://api.test/api/v0/executions/workflows/w1/stream'
const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

/** Answers each request with the next response; records the requests. */
function respond(...responses: (() => Response)[]): Request[] {
  const requests: Request[] = []
  server.use(
    http.all(URL, ({ request }) => {
      requests.push(request)
      const next = responses[requests.length - 1]
      if (next === undefined) return HttpResponse.text('no more', { status: 500 })
      return next()
    }),
  )
  return requests
}

const sse = (body: ReadableStream<Uint8Array> | string, headers: Record<string, string> = {}) =>
  new HttpResponse(typeof body === 'string' ? bodyOf(body) : body, {
    headers: { 'content-type': 'text/event-stream', ...headers },
  })

describe('HTTP failures', () => {
  test('a 502 is retried, and the 200 after it delivers the stream', async () => {
    const requests = respond(
      () => HttpResponse.text('bad gateway', { status: 502 }),
      () =>
        sse(
          PREAMBLE +
            frame(1, 'llm_chunk', { text: 'a' }) +
            frame(2, 'complete', { status: 'SUCCESS' }),
        ),
    )
    const errors: Parameters<typeof fastOptions>[0] = []
    const result = await drain(connect(URL, fastOptions(errors)))

    expect(result.error).toBeUndefined()
    expect(result.events.map((e) => e.id)).toEqual(['1', '2'])
    expect(requests).toHaveLength(2)
    expect(errors).toHaveLength(1)
    const [first] = errors
    expect(first?.info.fatal).toBe(false)
    expect(first?.error).toBeInstanceOf(StreamHttpError)
    expect(first?.error).toMatchObject({ status: 502, body: 'bad gateway' })
  })

  test.each([408, 425, 429, 500, 503])('status %i is retryable', async (status) => {
    const requests = respond(
      () => HttpResponse.text('', { status }),
      () => sse(frame(1, 'complete', { status: 'SUCCESS' })),
    )
    const result = await drain(connect(URL, fastOptions()))
    expect(result.error).toBeUndefined()
    expect(result.events).toHaveLength(1)
    expect(requests).toHaveLength(2)
  })

  test('204 ends the subscription for good, without an error and without reconnecting', async () => {
    const requests = respond(() => new HttpResponse(null, { status: 204 }))
    const errors: Parameters<typeof fastOptions>[0] = []
    const subscription = connect(URL, { ...fastOptions(errors), lastEventId: '9' })
    const result = await drain(subscription)

    expect(result).toEqual({ events: [] })
    expect(errors).toEqual([])
    expect(requests).toHaveLength(1)
    expect(requests[0]?.headers.get('last-event-id')).toBe('9')
    expect(subscription.readyState).toBe('closed')
  })

  test('401 is fatal: for await throws a StreamHttpError with the status and the JSON error body', async () => {
    const body = { status: 401, error: { code: 'unauthorized', message: 'Token expired' } }
    const requests = respond(() => HttpResponse.json(body, { status: 401 }))
    const errors: Parameters<typeof fastOptions>[0] = []
    const result = await drain(connect(URL, fastOptions(errors)))

    expect(requests).toHaveLength(1)
    const error = result.error as StreamHttpError
    expect(error).toBeInstanceOf(StreamHttpError)
    expect(isRunstreamError(error, 'http_error')).toBe(true)
    expect(error.status).toBe(401)
    expect(error.body).toEqual(body)
    expect(error.message).toContain('unauthorized: Token expired')
    expect(error.details).toMatchObject({ status: 401, error: body.error })
    expect(errors.map((e) => [e.error, e.info.fatal])).toEqual([[error, true]])
  })

  test.each([400, 403, 404, 410])('status %i is fatal', async (status) => {
    const requests = respond(() =>
      HttpResponse.json({ error: { code: 'x', message: 'y' } }, { status }),
    )
    const result = await drain(connect(URL, fastOptions()))
    expect((result.error as StreamHttpError).status).toBe(status)
    expect(requests).toHaveLength(1)
  })

  test('a 200 that is not text/event-stream is fatal and names the content type', async () => {
    const requests = respond(() => HttpResponse.html('<html>login</html>'))
    const result = await drain(connect(URL, fastOptions()))

    const error = result.error as StreamHttpError
    expect(error).toBeInstanceOf(StreamHttpError)
    expect(error.status).toBe(200)
    expect(error.message).toContain('text/html')
    expect(error.body).toBe('<html>login</html>')
    expect(requests).toHaveLength(1)
  })

  test('Retry-After is honoured as a floor of the wait', async () => {
    respond(
      () => HttpResponse.text('slow down', { status: 429, headers: { 'retry-after': '1' } }),
      () => sse(frame(1, 'complete', { status: 'SUCCESS' })),
    )
    const delays: number[] = []
    const started = Date.now()
    const result = await drain(
      connect(URL, {
        ...fastOptions(),
        onReconnect: (info) => delays.push(info.delayMs),
      }),
    )
    expect(result.events).toHaveLength(1)
    expect(delays).toEqual([1000])
    expect(Date.now() - started).toBeGreaterThanOrEqual(990)
  })

  test('a half-open connection (no bytes at all) is dropped by the idle watchdog and resumed', async () => {
    const silent = pipe()
    const requests = respond(
      () => sse(silent.stream),
      () => sse(frame(2, 'complete', { status: 'SUCCESS' })),
    )
    const errors: Parameters<typeof fastOptions>[0] = []
    const result = await drain(
      connect(URL, { ...fastOptions(errors), idleTimeoutMs: 100, lastEventId: '1' }),
    )

    expect(result.events.map((e) => e.id)).toEqual(['2'])
    expect(errors.map((e) => e.error.code)).toEqual(['idle_timeout'])
    expect(requests[1]?.headers.get('last-event-id')).toBe('1')
    // The dead connection was let go of, not left open.
    expect(requests[0]?.signal.aborted).toBe(true)
  })

  test('heartbeat comments keep an otherwise quiet connection alive', async () => {
    const quiet = pipe()
    respond(() => sse(quiet.stream))
    const errors: Parameters<typeof fastOptions>[0] = []
    const subscription = connect(URL, { ...fastOptions(errors), idleTimeoutMs: 150 })
    const result = drain(subscription)
    // 300 ms of heartbeats 50 ms apart: longer than idleTimeoutMs, each gap shorter. (A stall of
    // this process delays the watchdog's timer too, and the ping's timer fires first.)
    for (let i = 0; i < 6; i++) {
      await pause(50)
      quiet.write(': ping\n\n')
    }
    quiet.write(frame(1, 'complete', { status: 'SUCCESS' }))
    expect((await result).events).toHaveLength(1)
    expect(errors).toEqual([])
  })

  test('a body cut mid-event is a retryable network error; the partial event is never dispatched', async () => {
    const cut = pipe()
    const requests = respond(
      () => sse(cut.stream),
      () => sse(frame(2, 'complete', { status: 'SUCCESS' })),
    )
    const errors: Parameters<typeof fastOptions>[0] = []
    const subscription = connect(URL, fastOptions(errors))
    const result = drain(subscription)
    cut.write(
      PREAMBLE +
        frame(1, 'llm_chunk', { text: 'a' }) +
        frame(2, 'llm_chunk', { text: 'b' }).slice(0, 30),
    )
    // The chunk was read (event 1 parsed, half of event 2 held) before the body fails.
    await until(() => subscription.lastEventId === '1', 10_000, 'event 1 to be read')
    cut.fail(new TypeError('terminated'))

    const { events } = await result
    expect(events.map((e) => [e.id, e.type])).toEqual([
      ['1', 'llm_chunk'],
      ['2', 'complete'],
    ])
    expect(errors.map((e) => [e.error.code, e.info.fatal])).toEqual([['network_error', false]])
    expect(requests[1]?.headers.get('last-event-id')).toBe('1')
  })
})
