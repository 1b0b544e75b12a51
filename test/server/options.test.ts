import { afterEach, describe, expect, it } from 'vitest'
import { createStreamManager, executionCatalog, type RunstreamError } from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'
import { createFetchHandler, createSseResponse, sseTransport } from '../../src/server.js'
import { get, startServer } from '../helpers/http.js'
import { testManager } from '../helpers/server.js'

// Every option of the server side is checked where it is given, and a failure goes to the
// manager's onError unless the handler has one of its own.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const STREAM_URL = 'http://localhost/api/v0/executions/workflows/w1/stream'

type AnyOptions = Record<string, unknown>
const makers: readonly [string, (options: AnyOptions) => unknown][] = [
  ['createFetchHandler', (o) => createFetchHandler(testManager().manager, o)],
  ['createNodeHandler', (o) => createNodeHandler(testManager().manager, o)],
]

describe('server options are checked where they are given', () => {
  it.each(makers)('%s refuses maxBufferedBytes, naming maxQueuedBytes', (_, make) => {
    expect(() => make({ maxBufferedBytes: 1024 })).toThrow(TypeError)
    expect(() => make({ maxBufferedBytes: 1024 })).toThrow(
      /`maxBufferedBytes` was renamed `maxQueuedBytes`/,
    )
  })

  it('sseTransport refuses maxBufferedBytes, naming maxQueuedBytes', () => {
    expect(() => sseTransport({ maxBufferedBytes: 1024 } as AnyOptions)).toThrow(
      /renamed `maxQueuedBytes`/,
    )
  })

  it('createSseResponse refuses maxBufferedBytes at the call', async () => {
    const { manager } = testManager()
    await expect(
      createSseResponse(manager, new Request(STREAM_URL), 'w:1', {
        maxBufferedBytes: 1,
      } as AnyOptions),
    ).rejects.toThrow(/renamed `maxQueuedBytes`/)
  })

  const BAD: readonly [string, AnyOptions, RegExp][] = [
    ['heartbeatMs: 0', { heartbeatMs: 0 }, /`heartbeatMs` must be a positive integer, got 0/],
    ['heartbeatMs: 1.5', { heartbeatMs: 1.5 }, /`heartbeatMs` must be a positive integer/],
    ['heartbeatMs past a timer', { heartbeatMs: 2 ** 31 }, /at most 2147483647/],
    ['heartbeatMs as a string', { heartbeatMs: '15000' }, /`heartbeatMs`.*got "15000"/],
    ['retryMs: -1', { retryMs: -1 }, /`retryMs` must be a non-negative integer/],
    ['maxQueuedBytes: 0', { maxQueuedBytes: 0 }, /`maxQueuedBytes` must be a positive integer/],
    ['framing: json', { framing: 'json' }, /`framing` must be 'payload'.*or 'envelope'/],
    ['authorize: true', { authorize: true }, /`authorize` must be a function/],
    ['streamExists: {}', { streamExists: {} }, /`streamExists` must be a function/],
    ['onError: "log"', { onError: 'log' }, /`onError` must be a function/],
    ['cors: "*"', { cors: '*' }, /`cors` must be an object/],
    ['cors.origin: 1', { cors: { origin: 1 } }, /`cors.origin` must be/],
    [
      'cors.credentials: "yes"',
      { cors: { origin: 'https://a.example', credentials: 'yes' } },
      /`cors.credentials` must be true or false/,
    ],
    [
      'credentials with *',
      { cors: { origin: '*', credentials: true } },
      /cannot be used with `origin: '\*'`/,
    ],
    [
      'cors.allowHeaders: "x"',
      { cors: { origin: '*', allowHeaders: 'x-id' } },
      /`cors.allowHeaders` must be a list of header names/,
    ],
    [
      'cors.allowHeaders with a space',
      { cors: { origin: '*', allowHeaders: ['x id'] } },
      /`cors.allowHeaders`/,
    ],
    [
      'cors.maxAgeSeconds: -1',
      { cors: { origin: '*', maxAgeSeconds: -1 } },
      /`cors.maxAgeSeconds` must be a non-negative integer/,
    ],
    ['basePath: api', { basePath: 'api' }, /`basePath` must be a path starting with "\/"/],
    [
      'maxConnections: 0',
      { maxConnections: 0 },
      /`maxConnections` must be a positive integer \(or Infinity/,
    ],
    [
      'maxConnectionsPerClient: 2.5',
      { maxConnectionsPerClient: 2.5 },
      /`maxConnectionsPerClient` must be a positive integer/,
    ],
    ['clientKey: "ip"', { clientKey: 'ip' }, /`clientKey` must be a function/],
  ]

  for (const [name, make] of makers) {
    it.each(BAD)(
      `${name} refuses %s with a TypeError that says how to fix it`,
      (_, options, message) => {
        expect(() => make(options)).toThrow(TypeError)
        expect(() => make(options)).toThrow(message)
      },
    )
  }

  it.each(makers)('%s refuses options that are not an object', (_, make) => {
    expect(() => make('fast' as unknown as AnyOptions)).toThrow(/options must be an object/)
    expect(() => make(null as unknown as AnyOptions)).toThrow(/options must be an object/)
  })

  it('refuses a first argument that is not a stream manager, at the call', () => {
    const notAManager = { catalog: executionCatalog } as unknown as Parameters<
      typeof createFetchHandler
    >[0]
    expect(() => createFetchHandler(notAManager)).toThrow(/must be a stream manager/)
    expect(() => createNodeHandler(notAManager)).toThrow(/createStreamManager/)
  })

  it('sseTransport checks its own options too', () => {
    expect(() => sseTransport({ framing: 'raw' as 'payload' })).toThrow(/`framing`/)
    expect(() => sseTransport({ filter: 'llm_chunk' as unknown as () => boolean })).toThrow(
      /`filter` must be a function/,
    )
    expect(() => sseTransport({ heartbeatMs: -5 })).toThrow(/sseTransport: `heartbeatMs`/)
  })

  it('Fetch needs clientKey for a per-client cap, and says why', () => {
    expect(() => createFetchHandler(testManager().manager, { maxConnectionsPerClient: 5 })).toThrow(
      /needs `clientKey`/,
    )
  })

  it('accepts the documented values', () => {
    const { manager } = testManager()
    const all = {
      framing: 'envelope',
      heartbeatMs: 1000,
      retryMs: 0,
      maxQueuedBytes: 1,
      authorize: () => true,
      streamExists: () => true,
      cors: {
        origin: ['https://a.example'],
        credentials: true,
        allowHeaders: ['x-id'],
        maxAgeSeconds: 0,
      },
      onError: () => undefined,
      basePath: '/streams/',
      maxConnections: Number.POSITIVE_INFINITY,
      maxConnectionsPerClient: 3,
      clientKey: () => 'k',
    } as const
    createFetchHandler(manager, all).close()
    createNodeHandler(manager, all).close()
    sseTransport({ framing: 'payload', maxQueuedBytes: 10, filter: () => true }).close()
  })
})

describe('handlers report to the manager onError unless given their own', () => {
  const throwingAuthorize = () => {
    throw new Error('hook broke')
  }

  function managerWithErrors() {
    const errors: RunstreamError[] = []
    const manager = createStreamManager({
      catalog: executionCatalog,
      onError: (error) => errors.push(error),
    })
    return { manager, errors }
  }

  it('the Fetch handler reports a failing hook to the manager onError', async () => {
    const { manager, errors } = managerWithErrors()
    const handler = createFetchHandler(manager, { authorize: throwingAuthorize })
    const response = await handler(new Request(STREAM_URL))
    expect(response.status).toBe(500)
    expect(errors.map((e) => e.code)).toEqual(['handler_failed'])
    expect(errors[0]?.message).toContain('hook broke')
  })

  it('the Node handler reports a failing hook to the manager onError', async () => {
    const { manager, errors } = managerWithErrors()
    const server = await startServer(createNodeHandler(manager, { authorize: throwingAuthorize }))
    cleanups.push(() => server.close())
    const response = await get(`${server.url}/api/v0/executions/workflows/w1/stream`)
    expect(response.status).toBe(500)
    await response.end()
    expect(errors.map((e) => e.code)).toEqual(['handler_failed'])
  })

  it('createSseResponse reports to the manager onError', async () => {
    const { manager, errors } = managerWithErrors()
    const response = await createSseResponse(manager, new Request(STREAM_URL), 'workflow:w1', {
      authorize: throwingAuthorize,
    })
    expect(response.status).toBe(500)
    expect(errors.map((e) => e.code)).toEqual(['handler_failed'])
  })

  it('a handler onError of its own receives the failure instead', async () => {
    const { manager, errors } = managerWithErrors()
    const own: RunstreamError[] = []
    const handler = createFetchHandler(manager, {
      authorize: throwingAuthorize,
      onError: (error) => own.push(error),
    })
    expect((await handler(new Request(STREAM_URL))).status).toBe(500)
    expect(own.map((e) => e.code)).toEqual(['handler_failed'])
    expect(errors).toEqual([])
  })
})
