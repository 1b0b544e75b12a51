import { afterEach, describe, expect, it } from 'vitest'
import { createStreamManager, executionCatalog } from '../../src/index.js'
import type { HandlerOptions } from '../../src/node.js'
import { createFetchHandler } from '../../src/server.js'
import { eventually, type Runstream, startRunstream } from '../reliability/harness.js'
import { type RawAnswer, rawGet } from './raw-http.js'

// A browser hands a cross-origin answer to a page only when the answer says so. Unless CORS is
// configured, no answer of the handlers says so: not a stream, not an error, not a preflight.

let runstream: Runstream | undefined
afterEach(async () => {
  await runstream?.close()
  runstream = undefined
})

const STREAM = '/api/v0/executions/workflows/w1/stream'
const EVIL = 'https://evil.example'

/** One request of every kind of answer the handlers give. */
const REQUESTS: {
  name: string
  method?: string
  target: string
  headers?: Record<string, string>
}[] = [
  { name: 'a stream (200)', target: STREAM },
  { name: 'a finished cursor (204)', target: STREAM, headers: { 'Last-Event-ID': '2' } },
  { name: 'a bad cursor (400)', target: `${STREAM}?lastEventId=x` },
  { name: 'a bad id (400)', target: '/api/v0/executions/workflows/a%20b/stream' },
  { name: 'no route (404)', target: '/api/v0/nothing' },
  { name: 'a POST (405)', method: 'POST', target: STREAM },
  {
    name: 'a preflight',
    method: 'OPTIONS',
    target: STREAM,
    headers: {
      'Access-Control-Request-Method': 'GET',
      'Access-Control-Request-Headers': 'last-event-id',
    },
  },
  { name: 'the connection cap (429)', target: STREAM, headers: { 'x-user': 'capped' } },
]

async function answersTo(origin: string, options: HandlerOptions = {}): Promise<RawAnswer[]> {
  runstream = await startRunstream({
    maxConnectionsPerClient: 1,
    clientKey: (request) => request.headers.get('x-user') ?? undefined,
    ...options,
  })
  const producer = runstream.manager.stream('workflow:w1')
  producer.emit('llm_chunk', { text: 'x' })
  producer.emit('complete', { status: 'SUCCESS' })
  // The capped user holds its one stream on another workflow, still open.
  const holder = rawGet(
    runstream.url,
    '/api/v0/executions/workflows/held/stream',
    { 'x-user': 'capped' },
    // Read until the server closes it at the end of the test.
    { timeoutMs: 60_000, done: () => false },
  )
  await eventually(() => runstream?.handler.stats().connections === 1, 'the held stream to open')
  const answers: RawAnswer[] = []
  for (const request of REQUESTS) {
    answers.push(
      await rawGet(
        runstream.url,
        request.target,
        { Origin: origin, ...request.headers },
        { method: request.method ?? 'GET' },
      ),
    )
  }
  await runstream.close()
  runstream = undefined
  await holder
  return answers
}

function corsHeadersOf(answer: RawAnswer): string[] {
  return Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'))
}

describe('CORS', () => {
  it('is closed unless configured: no answer of the Node handler carries an Access-Control header', async () => {
    const answers = await answersTo(EVIL)
    expect(answers.map((answer) => answer.status)).toEqual([200, 204, 400, 400, 404, 405, 405, 429])
    for (const answer of answers) expect(corsHeadersOf(answer)).toEqual([])
  })

  it('is closed unless configured on the Fetch handler too', async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    manager.stream('workflow:w1').emit('complete', { status: 'SUCCESS' })
    const handler = createFetchHandler(manager, { onError: () => undefined })
    for (const request of REQUESTS.slice(0, -1)) {
      const response = await handler(
        new Request(`http://127.0.0.1${request.target}`, {
          method: request.method ?? 'GET',
          headers: { origin: EVIL, ...request.headers },
        }),
      )
      await response.body?.cancel()
      expect(
        [...response.headers.keys()].filter((name) => name.startsWith('access-control-')),
      ).toEqual([])
    }
    handler.close()
  })

  it.each([
    ['another site', EVIL],
    ['a suffix of the allowed host', 'https://app.example.com.evil.example'],
    ['a prefix trick', 'https://evil.example/https://app.example.com'],
    ['plain http', 'http://app.example.com'],
    ['another port', 'https://app.example.com:8443'],
    ['a trailing slash', 'https://app.example.com/'],
    ['upper case', 'HTTPS://APP.EXAMPLE.COM'],
    ['the null origin (sandboxed frames, file:)', 'null'],
  ])('gives %s no access when one origin is allowed', async (_, origin) => {
    const answers = await answersTo(origin, {
      cors: { origin: 'https://app.example.com', credentials: true },
    })
    for (const answer of answers) {
      expect(answer.headers['access-control-allow-origin']).toBeUndefined()
      expect(answer.headers['access-control-allow-credentials']).toBeUndefined()
    }
    // The preflight is refused outright.
    expect(answers[6]?.status).toBe(403)
  })

  it('gives the allowed origin access on every answer, errors and refusals included', async () => {
    const origin = 'https://app.example.com'
    const answers = await answersTo(origin, { cors: { origin, credentials: true } })
    expect(answers.map((answer) => answer.status)).toEqual([200, 204, 400, 400, 404, 405, 204, 429])
    for (const answer of answers) {
      expect(answer.headers['access-control-allow-origin']).toBe(origin)
      expect(answer.headers.vary).toMatch(/origin/i)
    }
  })

  it('refuses every origin when an origin function throws', async () => {
    const answers = await answersTo('https://app.example.com', {
      cors: {
        origin: () => {
          throw new Error('lookup failed')
        },
      },
    })
    for (const answer of answers)
      expect(answer.headers['access-control-allow-origin']).toBeUndefined()
  })
})
