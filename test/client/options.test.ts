import { describe, expect, test } from 'vitest'
import { connect, createStreamClient } from '../../src/client.js'
import { executionCatalog } from '../../src/index.js'
import { drain, fastOptions, frame, scriptedFetch, sseResponse } from './helpers.js'

// Every option is checked where it is given: misuse throws a TypeError whose message names the
// option and says what to pass, before any request is made.

const URL = 'http://api.test/api/v0/executions/workflows/w1/stream'

/** Calls connect() with `options` and returns the TypeError's message; fails if none is thrown or a request went out. */
function refusal(options: Record<string, unknown>): string {
  const fetch = scriptedFetch()
  try {
    connect(URL, { fetch, ...options } as never)
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError)
    expect(fetch.calls).toHaveLength(0)
    return (error as TypeError).message
  }
  throw new Error(`connect accepted ${JSON.stringify(Object.keys(options))}`)
}

describe('renamed options', () => {
  test('maxEventSize and highWaterMark throw a TypeError naming their new names', () => {
    expect(refusal({ maxEventSize: 1000 })).toMatch(
      /^connect: maxEventSize was renamed: use maxEventBytes/,
    )
    expect(refusal({ highWaterMark: 10 })).toBe(
      'connect: highWaterMark was renamed: use maxQueuedEvents.',
    )
  })

  test('an unknown option (a typo) is refused with the list of options', () => {
    expect(refusal({ lastEventID: '3' })).toMatch(
      /^connect: lastEventID is not an option; the options are .*lastEventId/,
    )
    expect(refusal({ reconnect: { maxRetry: 3 } })).toMatch(
      /^connect: reconnect: maxRetry is not an option; the options are .*maxRetries/,
    )
  })
})

describe('numbers', () => {
  test.each([
    ['maxQueuedEvents', [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '5'], 1],
    ['maxEventBytes', [0, -5, 2.5, Number.NaN, '1000', 2 ** 31], 1],
    ['idleTimeoutMs', [-1, 1.5, 2 ** 31, Number.NaN, '45000'], 0],
  ])('%s out of range is refused with its range', (name, values, min) => {
    for (const value of values) {
      expect(refusal({ [name]: value })).toMatch(
        new RegExp(`^connect: ${name} must be a whole number from ${min} to \\d+, not `),
      )
    }
  })

  test('maxQueuedEvents: 1 (the least) delivers every event', async () => {
    const fetch = scriptedFetch(
      sseResponse(
        [1, 2, 3, 4].map((id) => frame(id, 'llm_chunk', { text: `${id}` })).join('') +
          frame(5, 'complete', { status: 'SUCCESS' }),
      ),
    )
    const result = await drain(connect(URL, { ...fastOptions(), fetch, maxQueuedEvents: 1 }))
    expect(result.events.map((event) => event.id)).toEqual(['1', '2', '3', '4', '5'])
  })
})

describe('the reconnect policy', () => {
  test.each([
    [
      { initialDelayMs: -1 },
      /^connect: reconnect: initialDelayMs must be a whole number from 0 to 600000/,
    ],
    [{ initialDelayMs: 1.5 }, /initialDelayMs must be a whole number/],
    [
      { maxDelayMs: 700_000 },
      /^connect: reconnect: maxDelayMs must be a whole number from 0 to 600000/,
    ],
    [{ initialDelayMs: 10, maxDelayMs: 5 }, /maxDelayMs must be a whole number from 10 to 600000/],
    [{ factor: 0.5 }, /^connect: reconnect: factor must be a number from 1 to 10, not 0.5/],
    [{ factor: 11 }, /factor must be a number from 1 to 10/],
    [
      { maxRetries: -1 },
      /^connect: reconnect: maxRetries must be a whole number from 0 to Infinity/,
    ],
    [{ maxRetries: 2.5 }, /maxRetries must be a whole number/],
    [{ healthyAfterMs: -1 }, /healthyAfterMs must be a whole number from 0/],
    [{ jitter: 'yes' }, /^connect: reconnect: jitter must be a boolean, not "yes"/],
    [{ random: 0.5 }, /^connect: reconnect: random must be a function, not 0.5/],
  ])('%o is refused', (policy, message) => {
    expect(refusal({ reconnect: policy })).toMatch(message)
  })

  test('reconnect must be a policy or false', () => {
    expect(refusal({ reconnect: true })).toBe(
      'connect: reconnect must be a policy object or false, not boolean.',
    )
  })

  test('maxRetries: Infinity and an explicit undefined are accepted', () => {
    expect(() =>
      connect(URL, {
        // An undefined option (from a spread, say) means its default.
        reconnect: { maxRetries: Number.POSITIVE_INFINITY, maxDelayMs: undefined } as never,
        signal: AbortSignal.abort(),
      }),
    ).not.toThrow()
  })
})

describe('functions and other values', () => {
  test.each(['fetch', 'onOpen', 'onError', 'onReconnect'])('%s must be a function', (name) => {
    expect(refusal({ [name]: 'yes' })).toBe(`connect: ${name} must be a function, not "yes".`)
  })

  test('terminal must be names or a predicate', () => {
    expect(refusal({ terminal: 'complete' })).toMatch(
      /^connect: terminal must be a list of event names or a function/,
    )
    expect(refusal({ terminal: ['complete', 7] })).toMatch(/terminal must be a list/)
  })

  test('catalog, headers, signal, strict, stream, method and lastEventId are checked', () => {
    expect(refusal({ catalog: { complete: {} } })).toBe(
      'connect: catalog must be a catalog made with defineCatalog().',
    )
    expect(refusal({ headers: 42 })).toMatch(/^connect: headers must be headers/)
    expect(refusal({ signal: {} })).toBe('connect: signal must be an AbortSignal.')
    expect(refusal({ strict: 'yes' })).toBe('connect: strict must be a boolean, not "yes".')
    expect(refusal({ stream: 7 })).toBe('connect: stream must be a string, not 7.')
    expect(refusal({ method: 7 })).toBe('connect: method must be a string, not 7.')
    expect(refusal({ lastEventId: 42 })).toBe('connect: lastEventId must be a string, not 42.')
    expect(refusal({ lastEventId: '1\n2' })).toBe(
      'connect: lastEventId cannot contain CR, LF or NUL.',
    )
    expect(refusal({ body: 'x' })).toBe(
      "connect: body cannot go with GET; pass method: 'POST' to send one.",
    )
  })
})

describe('createStreamClient', () => {
  const refused = (options: Record<string, unknown>) => () => createStreamClient(options as never)

  test('checks its own options when the client is made', () => {
    expect(refused({})).toThrow(
      "createStreamClient: baseUrl must be the server's origin, or '' for the page's own.",
    )
    expect(refused({ baseUrl: 42 })).toThrow(
      /^createStreamClient: baseUrl must be the server's origin/,
    )
    expect(refused({ baseUrl: 'http://a.test', basePath: 'api' })).toThrow(
      /^createStreamClient: basePath must be a path that starts with '\/'/,
    )
    expect(refused({ baseUrl: 'http://a.test', fetch: {} })).toThrow(
      'createStreamClient: fetch must be a function, not object.',
    )
    expect(refused({ baseUrl: 'http://a.test', catalog: {} })).toThrow(
      'createStreamClient: catalog must be a catalog made with defineCatalog().',
    )
    expect(refused({ baseUrl: 'http://a.test', highWaterMark: 5 })).toThrow(
      /^createStreamClient: highWaterMark is not an option/,
    )
  })

  test("checks a watch's options at the call", () => {
    const client = createStreamClient({ baseUrl: 'http://a.test', catalog: executionCatalog })
    expect(() => client.workflow('w1', { maxQueuedEvents: 0 })).toThrow(
      /^connect: maxQueuedEvents must be a whole number from 1/,
    )
  })
})
