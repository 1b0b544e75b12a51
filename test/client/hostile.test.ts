import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { connect, type RunstreamError } from '../../src/client.js'
import { createFaultServer, type FaultServer } from '../../src/testing.js'
import { drain, until } from './helpers.js'

// A hostile (or broken) server cannot hold the client: every line of an event counts against
// maxEventBytes, whatever its field, and a redirect loop is not retried as a network failure.

const KIB = 1024
const MIB = 1024 * KIB

let faults: FaultServer | undefined
let server: Server | undefined
afterEach(async () => {
  await faults?.close()
  server?.closeAllConnections()
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
  faults = server = undefined
})

describe('lines that never end an event', () => {
  test.each([
    ['event: lines', 'event: x\n'],
    ['empty event: lines', 'event:\n'],
    ['id: lines', 'id: 1\n'],
    ['retry: lines', 'retry: 5\n'],
    ['unknown fields', 'bogus: 1\n'],
    ['lines without a colon', 'nonsense\n'],
    ['event: lines ended by CR', 'event: x\r'],
  ])('an endless run of %s hits maxEventBytes and fails cleanly', async (_, line) => {
    // 32 MiB of them, no blank line: endless, next to a 64 KiB bound.
    faults = await createFaultServer({
      answers: [
        {
          kind: 'stream',
          prelude: line.repeat(Math.ceil((32 * MIB) / line.length)),
          split: 64 * KIB,
          end: 'hang',
        },
      ],
    })
    const errors: RunstreamError[] = []
    const result = await drain(
      connect(faults.url, { maxEventBytes: 64 * KIB, onError: (error) => errors.push(error) }),
    )
    expect(result.events).toEqual([])
    expect(result.error).toMatchObject({
      code: 'parse_error',
      details: { maxEventBytes: 64 * KIB },
    })
    expect(errors).toHaveLength(1)
    // The client stopped reading: the server could hand the kernel only a few MiB of 32.
    expect(faults.requests).toHaveLength(1)
    expect(faults.requests[0]?.bytesSent).toBeLessThan(16 * MIB)
  })

  test('the events of such lines, each ended by its blank line, pass', async () => {
    faults = await createFaultServer({
      answers: [
        {
          kind: 'stream',
          prelude: `${'event: x\nbogus: 1\n'.repeat(1000)}\n`.repeat(50),
          events: [{ id: '1', event: 'complete', data: { status: 'SUCCESS' } }],
        },
      ],
    })
    const result = await drain(connect(faults.url, { maxEventBytes: 64 * KIB, onError: () => {} }))
    expect(result).toEqual({ events: [{ id: '1', type: 'complete', data: { status: 'SUCCESS' } }] })
  })

  test('data of exactly maxEventBytes bytes of UTF-8 passes; one byte more fails', async () => {
    // 'é' is two bytes: 8 KiB of data in 4 Ki characters, with an id and an event line.
    const exact = 'é'.repeat(4 * KIB)
    faults = await createFaultServer({
      answers: [
        {
          kind: 'stream',
          events: [
            { id: '1', event: 'note', data: exact },
            { id: '2', event: 'complete', data: '{}' },
          ],
        },
        { kind: 'stream', events: [{ id: '3', event: 'note', data: `${exact}x` }] },
      ],
    })
    const fits = await drain(connect(faults.url, { maxEventBytes: 8 * KIB, onError: () => {} }))
    expect(fits.events.map((event) => event.data)).toEqual([exact, {}])
    const over = await drain(connect(faults.url, { maxEventBytes: 8 * KIB, onError: () => {} }))
    expect(over.error).toMatchObject({ code: 'parse_error' })
  })
})

describe('redirects', () => {
  /** A server on port 0 that answers `/a` and `/b` by `route`, counting requests. */
  async function serve(
    route: (path: string) => { status: number; location?: string; body?: string },
  ) {
    const seen: string[] = []
    server = createServer((req, res) => {
      seen.push(req.url ?? '')
      const answer = route(req.url ?? '')
      res.writeHead(answer.status, {
        ...(answer.location ? { location: answer.location } : {}),
        ...(answer.body ? { 'content-type': 'text/event-stream' } : {}),
      })
      res.end(answer.body)
    })
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
    return { seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
  }

  test('a redirect loop is fatal after one attempt, with a message that says so', async () => {
    const { seen, url } = await serve((path) => ({
      status: 302,
      location: path === '/a' ? '/b' : '/a',
    }))
    const errors: { code: string; fatal: boolean }[] = []
    const subscription = connect(`${url}/a`, {
      reconnect: { initialDelayMs: 0, maxDelayMs: 0 },
      onError: (error, info) => errors.push({ code: error.code, fatal: info.fatal }),
    })
    const result = await drain(subscription)
    expect(result.error).toMatchObject({ code: 'http_error', details: { reason: 'redirect_loop' } })
    expect((result.error as RunstreamError).message).toMatch(/redirects in a loop; not retried/)
    expect(errors).toEqual([{ code: 'http_error', fatal: true }])
    // One attempt: the request and the 20 redirects fetch follows before it gives up.
    expect(seen).toHaveLength(21)
    await until(() => subscription.readyState === 'closed')
  })

  test('a redirect that ends at an event stream is followed as usual', async () => {
    const { seen, url } = await serve((path) =>
      path === '/old'
        ? { status: 301, location: '/new' }
        : { status: 200, body: 'id: 1\nevent: complete\ndata: {}\n\n' },
    )
    const result = await drain(connect(`${url}/old`, { onError: () => {} }))
    expect(result).toEqual({ events: [{ id: '1', type: 'complete', data: {} }] })
    expect(seen).toEqual(['/old', '/new'])
  })
})
