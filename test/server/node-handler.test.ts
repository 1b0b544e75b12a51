import http2 from 'node:http2'
import express from 'express'
import Fastify from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { StreamManager } from '../../src/index.js'
import { createNodeHandler, type NodeHandler } from '../../src/node.js'
import { type HandlerOptions, jsonError } from '../../src/server.js'
import { envelopesOf, get, parseSse, startServer, waitFor } from '../helpers/http.js'
import { testManager } from '../helpers/server.js'
import { pause } from '../helpers/wait.js'

const OPENING = 'retry: 2000\n: ok\n\n'
const cleanups: (() => unknown)[] = []

afterEach(async () => {
  vi.useRealTimers()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function serve(options: HandlerOptions = {}, storeOptions = {}) {
  const { manager, store, errors } = testManager(storeOptions)
  const handler = createNodeHandler(manager, { onError: (e) => errors.push(e), ...options })
  const server = await startServer(handler)
  cleanups.push(() => server.close())
  const open = async (path: string, headers: Record<string, string> = {}) => {
    const response = await get(server.url + path, headers)
    cleanups.push(() => response.destroy())
    return response
  }
  return { manager, store, errors, handler, server, open }
}

/**
 * The frames of the held events of a stream, in order, in payload framing (the default): used to
 * compare a replay with what is held; the exact bytes themselves are spelled out below.
 */
async function framesOf(manager: StreamManager, stream: string, after?: string): Promise<string> {
  const { events, epoch } = await manager.store.read(stream, { lastEventId: after })
  // A connection's first event follows the epoch frame: the cursor before it, qualified.
  const first = events[0]
  const epochFrame = first === undefined ? '' : `id: ${epoch}.${Number(first.envelope.id) - 1}\n\n`
  return (
    epochFrame +
    events
      .map(
        (r) =>
          `id: ${r.envelope.id}\nevent: ${r.envelope.type}\ndata: ${JSON.stringify(r.envelope.data)}\n\n`,
      )
      .join('')
  )
}

function emitChunks(manager: StreamManager, stream: string, texts: string[]): void {
  const handle = manager.stream(stream)
  for (const text of texts) handle.emit('llm_chunk', { text })
}

const path = (kind: string, id: string, query = '') =>
  `/api/v0/executions/${kind}/${id}/stream${query}`

describe('createNodeHandler: streaming', () => {
  it('sends the SSE headers and opens with retry and a comment before any event', async () => {
    const { open } = await serve()
    const response = await open(path('workflows', 'w1'))
    expect(response.status).toBe(200)
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(response.headers['cache-control']).toBe('no-cache, no-transform')
    expect(response.headers['x-accel-buffering']).toBe('no')
    expect(response.headers['content-length']).toBeUndefined()
    expect(response.headers['access-control-allow-origin']).toBeUndefined()
    expect(await response.until((t) => t.length >= OPENING.length)).toBe(OPENING)
  })

  it('writes each event as id, event and the payload JSON, byte for byte, then ends at the terminal event', async () => {
    const { manager, open } = await serve()
    const response = await open(path('workflows', 'w1'))
    await response.until((t) => t === OPENING)
    const stream = manager.stream('workflow:w1')
    stream.emit('workflow_start', { workflow_id: 'wf', execution_id: 'w1' })
    stream.emit('llm_chunk', { text: 'line\nbreak "quoted" é' })
    stream.emit('complete', { status: 'SUCCESS' })
    const { epoch } = await manager.store.read('workflow:w1')
    expect(await response.end()).toBe(
      OPENING +
        // The epoch frame: the cursor before the first event, qualified with the stream's epoch.
        `id: ${epoch}.0\n\n` +
        'id: 1\nevent: workflow_start\ndata: {"workflow_id":"wf","execution_id":"w1"}\n\n' +
        'id: 2\nevent: llm_chunk\ndata: {"text":"line\\nbreak \\"quoted\\" é"}\n\n' +
        'id: 3\nevent: complete\ndata: {"status":"SUCCESS"}\n\n',
    )
  })

  it("writes the whole envelope in data: with framing: 'envelope', byte for byte", async () => {
    const { manager, open } = await serve({ framing: 'envelope' })
    const response = await open(path('workflows', 'w1'))
    await response.until((t) => t === OPENING)
    const stream = manager.stream('workflow:w1')
    stream.emit('llm_chunk', { text: 'a\nb' })
    stream.emit('complete', { status: 'SUCCESS' })
    const text = await response.end()
    const { events, epoch } = await manager.store.read('workflow:w1')
    const [chunk, complete] = events.map((r) => r.envelope)
    expect(text).toBe(
      OPENING +
        `id: ${epoch}.0\n\n` +
        `id: 1\nevent: llm_chunk\ndata: {"id":"1","type":"llm_chunk","stream":"workflow:w1","ts":"${chunk?.ts}","data":{"text":"a\\nb"}}\n\n` +
        `id: 2\nevent: complete\ndata: {"id":"2","type":"complete","stream":"workflow:w1","ts":"${complete?.ts}","data":{"status":"SUCCESS"}}\n\n`,
    )
    expect(chunk?.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  })

  it('serves a stream that has no event yet and delivers its first when it comes', async () => {
    const { manager, open } = await serve()
    const response = await open(path('agents', 'early'))
    await response.until((t) => t === OPENING)
    emitChunks(manager, 'agent:early', ['first'])
    await response.until((t) => t.includes('"first"'))
  })

  it('replays what the store holds and then goes live, with no gap and no duplicate', async () => {
    const { manager, open } = await serve()
    emitChunks(manager, 'task:t1', ['a', 'b', 'c'])
    const response = await open(path('tasks', 't1'))
    await response.until((t) => envelopesOf(t).length === 3)
    emitChunks(manager, 'task:t1', ['d', 'e'])
    manager.stream('task:t1').emit('complete', { status: 'SUCCESS' })
    const text = await response.end()
    expect(envelopesOf(text).map((e) => e.id)).toEqual(['1', '2', '3', '4', '5', '6'])
  })

  it('keeps order and completeness for events emitted while the replay is read', async () => {
    const { manager, open } = await serve()
    emitChunks(
      manager,
      'task:seam',
      Array.from({ length: 300 }, (_, i) => `e${i}`),
    )
    const response = await open(path('tasks', 'seam'), { 'last-event-id': '100' })
    emitChunks(
      manager,
      'task:seam',
      Array.from({ length: 300 }, (_, i) => `f${i}`),
    )
    manager.stream('task:seam').emit('complete', { status: 'SUCCESS' })
    const ids = envelopesOf(await response.end()).map((e) => Number(e.id))
    expect(ids).toEqual(Array.from({ length: 501 }, (_, i) => i + 101))
  })

  it('resumes after the Last-Event-ID header', async () => {
    const { manager, open } = await serve()
    emitChunks(manager, 'agent:r', ['a', 'b', 'c', 'd'])
    const response = await open(path('agents', 'r'), { 'Last-Event-ID': '2' })
    const text = await response.until((t) => envelopesOf(t).length === 2)
    expect(text).toBe(OPENING + (await framesOf(manager, 'agent:r', '2')))
  })

  it('resumes after the lastEventId query parameter, and the header wins over it', async () => {
    const { manager, open } = await serve()
    emitChunks(manager, 'agent:q', ['a', 'b', 'c', 'd'])
    const byQuery = await open(path('agents', 'q', '?lastEventId=3'))
    expect(envelopesOf(await byQuery.until((t) => t.includes('id: 4'))).map((e) => e.id)).toEqual([
      '4',
    ])
    const both = await open(path('agents', 'q', '?lastEventId=1'), { 'last-event-id': '3' })
    await both.until((t) => t.includes('id: 4'))
    expect(envelopesOf(both.text).map((e) => e.id)).toEqual(['4'])
  })

  it('replays the tail of a finished stream and closes', async () => {
    const { manager, open } = await serve()
    emitChunks(manager, 'task:done', ['a', 'b'])
    manager.stream('task:done').emit('complete', { status: 'SUCCESS' })
    const response = await open(path('tasks', 'done'), { 'last-event-id': '1' })
    expect(response.status).toBe(200)
    const text = await response.end()
    expect(envelopesOf(text).map((e) => e.type)).toEqual(['llm_chunk', 'complete'])
  })

  it('answers 204 to a cursor at the end of a finished stream', async () => {
    const { manager, open } = await serve()
    emitChunks(manager, 'task:f', ['a'])
    manager.stream('task:f').emit('error', { status: 'FAILED', error: { message: 'x' } })
    const atEnd = await open(path('tasks', 'f'), { 'last-event-id': '2' })
    expect(atEnd.status).toBe(204)
    expect(await atEnd.end()).toBe('')
    const beyond = await open(path('tasks', 'f', '?lastEventId=9'))
    expect(beyond.status).toBe(204)
  })

  it('sends runstream.gap without an id, then goes on from the oldest held event, when the cursor expired', async () => {
    const { manager, open } = await serve({}, { maxEventsPerStream: 5 })
    emitChunks(
      manager,
      'agent:g',
      Array.from({ length: 10 }, (_, i) => `c${i}`),
    )
    const response = await open(path('agents', 'g'), { 'last-event-id': '2' })
    const text = await response.until((t) => envelopesOf(t).length === 5)
    expect(text.startsWith(`${OPENING}event: runstream.gap\ndata: `)).toBe(true)
    const [gap] = parseSse(text)
    expect(gap?.id).toBeUndefined()
    expect(JSON.parse(gap?.data ?? '')).toEqual({
      reason: 'expired',
      after: '2',
      firstId: '6',
      lastId: '10',
    })
    expect(envelopesOf(text).map((e) => e.id)).toEqual(['6', '7', '8', '9', '10'])
  })

  it('sends runstream.gap for a cursor ahead of the stream', async () => {
    const { manager, open } = await serve()
    emitChunks(manager, 'agent:ahead', ['a'])
    const response = await open(path('agents', 'ahead'), { 'last-event-id': '50' })
    const text = await response.until((t) => t.includes('id: 1\n'))
    const [gap] = parseSse(text)
    expect(gap?.event).toBe('runstream.gap')
    expect(JSON.parse(gap?.data ?? '')).toMatchObject({
      reason: 'unknown',
      after: '50',
      lastId: '1',
    })
  })
})

describe('createNodeHandler: filters and text mode', () => {
  it('sends only the event types listed in events, and always the terminal event', async () => {
    const { manager, open } = await serve()
    const response = await open(path('workflows', 'w', '?events=tool_call,workflow_status'))
    await response.until((t) => t === OPENING)
    const stream = manager.stream('workflow:w')
    stream.emit('llm_chunk', { text: 'hidden' })
    stream.emit('tool_call', { tool_name: 'search', args: {} })
    stream.emit('workflow_status', { status: 'RUNNING' })
    stream.emit('llm_chunk', { text: 'hidden' })
    stream.emit('complete', { status: 'SUCCESS' })
    const envelopes = envelopesOf(await response.end())
    expect(envelopes.map((e) => e.type)).toEqual(['tool_call', 'workflow_status', 'complete'])
    expect(envelopes.map((e) => e.id)).toEqual(['2', '3', '5'])
  })

  it('accepts events repeated and with spaces', async () => {
    const { manager, open } = await serve()
    emitChunks(manager, 'agent:sp', ['a'])
    manager.stream('agent:sp').emit('agent_status', { status: 'RUNNING' })
    const response = await open(path('agents', 'sp', '?events=%20agent_status%20&events=tool_call'))
    const text = await response.until((t) => t.includes('agent_status'))
    expect(envelopesOf(text).map((e) => e.type)).toEqual(['agent_status'])
  })

  it('refuses an unknown event name with a 400 that lists the valid ones', async () => {
    const { open } = await serve()
    const response = await open(path('workflows', 'w', '?events=llm_chunk,nope'))
    expect(response.status).toBe(400)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    const body = JSON.parse(await response.end())
    expect(body).toMatchObject({
      status: 400,
      error: { code: 'unknown_event', details: { unknown: ['nope'] } },
    })
    expect(body.error.details.valid).toContain('llm_chunk')
    expect(body.error.message).toContain('workflow_start, workflow_status')
  })

  it('streams the llm_chunk text of an agent as text/plain, ending at the terminal event', async () => {
    const { manager, open } = await serve()
    emitChunks(manager, 'agent:txt', ['Hel'])
    const response = await open(path('agents', 'txt', '?format=text'))
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(response.headers['x-content-type-options']).toBe('nosniff')
    await response.until((t) => t === 'Hel')
    manager.stream('agent:txt').emit('tool_call', { tool_name: 'x', args: {} })
    emitChunks(manager, 'agent:txt', ['lo ', 'wörld\n'])
    manager.stream('agent:txt').emit('complete', { status: 'SUCCESS' })
    expect(await response.end()).toBe('Hello wörld\n')
  })

  it('resumes text mode after a cursor', async () => {
    const { manager, open } = await serve()
    emitChunks(manager, 'task:tx', ['a', 'b', 'c'])
    manager.stream('task:tx').emit('complete', { status: 'SUCCESS' })
    const response = await open(path('tasks', 'tx', '?format=text&lastEventId=1'))
    expect(await response.end()).toBe('bc')
  })

  it('refuses text mode on a workflow stream, and with events', async () => {
    const { open } = await serve()
    const workflow = await open(path('workflows', 'w', '?format=text'))
    expect(workflow.status).toBe(400)
    expect(JSON.parse(await workflow.end()).error.code).toBe('invalid_request')
    const combined = await open(path('agents', 'a', '?format=text&events=llm_chunk'))
    expect(combined.status).toBe(400)
    const unknown = await open(path('agents', 'a', '?format=xml'))
    expect(unknown.status).toBe(400)
  })
})

describe('createNodeHandler: refusals before the stream', () => {
  it.each(['abc', '-1', '01', '1.5', '99999999999999999', 'a..5', 'a.05', `${'a'.repeat(33)}.5`])(
    'answers 400 invalid_cursor to the cursor %j',
    async (cursor) => {
      const { open } = await serve()
      const response = await open(path('agents', 'a'), { 'last-event-id': cursor })
      expect(response.status).toBe(400)
      expect(JSON.parse(await response.end())).toMatchObject({
        status: 400,
        error: { code: 'invalid_cursor' },
      })
    },
  )

  it('answers 404 with a JSON body to a path that is no stream route', async () => {
    const { open } = await serve()
    const response = await open('/api/v0/executions/runs/x/stream')
    expect(response.status).toBe(404)
    expect(JSON.parse(await response.end())).toMatchObject({
      status: 404,
      error: { code: 'not_found' },
    })
  })

  it('answers 400 to an invalid id and 405 to another method than GET', async () => {
    const { server } = await serve()
    const bad = await get(`${server.url}${path('agents', '..%2Fetc')}`)
    expect(bad.status).toBe(400)
    expect(JSON.parse(await bad.end()).error.code).toBe('invalid_stream_id')
    const post = await fetch(server.url + path('agents', 'a'), { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET')
    expect((await post.json()).error.code).toBe('method_not_allowed')
  })

  it('answers 403 when authorize says no, and the response authorize returns as it is', async () => {
    const seen: string[] = []
    const { open } = await serve({
      authorize(request, stream) {
        seen.push(
          `${stream} ${request.headers.get('authorization')} ${new URL(request.url).search}`,
        )
        if (stream === 'agent:mine') return true
        if (request.headers.has('authorization')) return false
        return jsonError(401, 'unauthorized', 'Send a bearer token.')
      },
    })
    const denied = await open(path('agents', 'other'), { authorization: 'Bearer x' })
    expect(denied.status).toBe(403)
    expect(JSON.parse(await denied.end()).error.code).toBe('forbidden')
    const anonymous = await open(path('agents', 'other', '?lastEventId=1'))
    expect(anonymous.status).toBe(401)
    expect(JSON.parse(await anonymous.end())).toEqual({
      status: 401,
      error: { code: 'unauthorized', message: 'Send a bearer token.' },
    })
    const allowed = await open(path('agents', 'mine'))
    expect(allowed.status).toBe(200)
    expect(seen).toEqual([
      'agent:other Bearer x ',
      'agent:other null ?lastEventId=1',
      'agent:mine null ',
    ])
  })

  it('answers 500 without the internal message when a hook throws, and reports it', async () => {
    const { open, errors } = await serve({
      authorize() {
        throw new Error('db password is hunter2')
      },
    })
    const response = await open(path('agents', 'a'))
    expect(response.status).toBe(500)
    const text = await response.end()
    expect(text).not.toContain('hunter2')
    expect(JSON.parse(text).error.code).toBe('internal_error')
    expect(errors.map((e) => e.code)).toEqual(['handler_failed'])
    expect(errors[0]?.message).toContain('hunter2')
  })

  it('answers 500 and reports, instead of crashing, when the response of a hook fails', async () => {
    const { open, errors } = await serve({
      authorize: () =>
        new Response(
          new ReadableStream({
            pull(controller) {
              controller.error(new Error('body broke'))
            },
          }),
        ),
    })
    const response = await open(path('agents', 'a'))
    expect(response.status).toBe(500)
    expect(JSON.parse(await response.end()).error.code).toBe('internal_error')
    expect(errors.map((e) => e.code)).toEqual(['handler_failed'])
  })

  it('answers 404 stream_not_found when streamExists says no', async () => {
    const { open } = await serve({ streamExists: (stream) => stream === 'task:known' })
    expect((await open(path('tasks', 'unknown'))).status).toBe(404)
    expect((await open(path('tasks', 'known'))).status).toBe(200)
  })

  it('answers 503 store_failed when the store cannot be read, without its message', async () => {
    const { open, store, errors } = await serve()
    store.failReads()
    const response = await open(path('tasks', 't'), { 'last-event-id': '1' })
    expect(response.status).toBe(503)
    expect(response.headers['retry-after']).toBe('5')
    const text = await response.end()
    expect(JSON.parse(text).error.code).toBe('store_failed')
    expect(text).not.toContain('secret-host')
    expect(errors.map((e) => e.code)).toEqual(['store_failed'])
  })

  it('passes other paths to next() as an Express middleware', async () => {
    const { manager } = testManager()
    const app = express()
    app.use(createNodeHandler(manager))
    app.get('/health', (_req, res) => {
      res.send('fine')
    })
    const server = await startServer(app)
    cleanups.push(() => server.close())
    expect(await (await fetch(`${server.url}/health`)).text()).toBe('fine')
    emitChunks(manager, 'agent:e', ['x'])
    const response = await get(server.url + path('agents', 'e'))
    cleanups.push(() => response.destroy())
    await response.until((t) => t.includes('"x"'))
  })

  it('serves the routes of an Express router mounted under a prefix', async () => {
    const { manager } = testManager()
    const app = express()
    app.use('/api/v0', createNodeHandler(manager))
    const server = await startServer(app)
    cleanups.push(() => server.close())
    const response = await get(server.url + path('agents', 'm'))
    cleanups.push(() => response.destroy())
    expect(response.status).toBe(200)
  })
})

describe('createNodeHandler: Fastify', () => {
  it('streams, resumes and releases everything through a hijacked Fastify route', async () => {
    const { manager } = testManager()
    const handler = createNodeHandler(manager)
    const app = Fastify()
    app.get('/api/v0/executions/*', (request, reply) => {
      reply.hijack()
      return handler(request.raw, reply.raw)
    })
    const address = await app.listen({ port: 0, host: '127.0.0.1' })
    cleanups.push(() => app.close())
    emitChunks(manager, 'agent:f', ['a', 'b', 'c'])

    const first = await get(address + path('agents', 'f'))
    cleanups.push(() => first.destroy())
    expect(first.status).toBe(200)
    expect(first.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(await first.until((t) => t.includes('id: 3'))).toBe(
      OPENING + (await framesOf(manager, 'agent:f')),
    )
    expect(handler.stats().connections).toBe(1)
    // The client goes away: the handler notices through Fastify's raw response.
    first.destroy()
    await waitFor(() => handler.stats().connections === 0)

    const resumed = await get(address + path('agents', 'f'), { 'last-event-id': '2' })
    cleanups.push(() => resumed.destroy())
    emitChunks(manager, 'agent:f', ['d'])
    expect(await resumed.until((t) => t.includes('id: 4'))).toBe(
      OPENING + (await framesOf(manager, 'agent:f', '2')),
    )
  })
})

describe('createNodeHandler: CORS', () => {
  it('sends no CORS header and refuses preflights unless configured', async () => {
    const { server } = await serve()
    const preflight = await fetch(server.url + path('agents', 'a'), {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
    })
    expect(preflight.status).toBe(405)
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('answers a preflight of an allowed origin and marks its streams', async () => {
    const { server, open } = await serve({
      cors: { origin: ['https://app.example'], credentials: true, allowHeaders: ['X-Trace'] },
    })
    const preflight = await fetch(server.url + path('agents', 'a'), {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' },
    })
    expect(preflight.status).toBe(204)
    expect(Object.fromEntries(preflight.headers)).toMatchObject({
      'access-control-allow-origin': 'https://app.example',
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET, OPTIONS',
      'access-control-allow-headers': 'last-event-id, authorization, content-type, x-trace',
      'access-control-max-age': '600',
      vary: 'Origin',
    })
    const stream = await open(path('agents', 'a'), { origin: 'https://app.example' })
    expect(stream.headers['access-control-allow-origin']).toBe('https://app.example')
    const error = await open(path('agents', 'a', '?events=nope'), { origin: 'https://app.example' })
    expect(error.status).toBe(400)
    expect(error.headers['access-control-allow-origin']).toBe('https://app.example')
  })

  it('refuses the preflight of another origin and gives its requests no CORS header', async () => {
    const { server, open } = await serve({ cors: { origin: (o) => o.endsWith('.trusted') } })
    const preflight = await fetch(server.url + path('agents', 'a'), {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example' },
    })
    expect(preflight.status).toBe(403)
    const stream = await open(path('agents', 'a'), { origin: 'https://evil.example' })
    expect(stream.headers['access-control-allow-origin']).toBeUndefined()
    expect(stream.headers.vary).toBe('Origin')
  })

  it('refuses credentials with a wildcard origin at creation', () => {
    const { manager } = testManager()
    expect(() => createNodeHandler(manager, { cors: { origin: '*', credentials: true } })).toThrow(
      TypeError,
    )
  })
})

describe('createNodeHandler: heartbeats, failures and shutdown', () => {
  it('sends a heartbeat comment every heartbeatMs', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const { open } = await serve()
    const response = await open(path('agents', 'hb'))
    await response.until((t) => t === OPENING)
    vi.advanceTimersByTime(14_999)
    // A window for a ping that should not be there (the interval is fake: none can come late).
    await pause(50)
    expect(response.text).toBe(OPENING)
    vi.advanceTimersByTime(1)
    await response.until((t) => t === `${OPENING}: ping\n\n`)
    vi.advanceTimersByTime(15_000)
    await response.until((t) => t === `${OPENING}: ping\n\n: ping\n\n`)
  })

  it('keeps one heartbeat timer for all its connections, and none once they are gone', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const { open, handler } = await serve()
    const first = await open(path('agents', 'one'))
    await first.until((t) => t === OPENING)
    vi.advanceTimersByTime(10_000)
    const others = [await open(path('agents', 'two')), await open(path('tasks', 'three'))]
    for (const response of others) await response.until((t) => t === OPENING)
    expect(vi.getTimerCount()).toBe(1)
    // The next tick reaches every connection, the late ones less than a period after they opened.
    vi.advanceTimersByTime(5_000)
    for (const response of [first, ...others]) {
      await response.until((t) => t === `${OPENING}: ping\n\n`)
    }
    handler.close()
    for (const response of [first, ...others]) await response.end()
    await waitFor(() => handler.stats().connections === 0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('ends with runstream.error store_failed, without the internal message, when live delivery fails', async () => {
    const { manager, store, open, errors, handler } = await serve()
    emitChunks(manager, 'agent:s', ['a'])
    const response = await open(path('agents', 's'))
    await response.until((t) => t.includes('id: 1'))
    store.breakLive()
    const text = await response.end()
    expect(text).not.toContain('secret-host')
    const last = parseSse(text).at(-1)
    expect(last?.event).toBe('runstream.error')
    expect(last?.id).toBeUndefined()
    expect(JSON.parse(last?.data ?? '')).toMatchObject({ code: 'store_failed' })
    expect(errors.map((e) => e.code)).toEqual(['store_failed'])
    await waitFor(() => handler.stats().connections === 0)
  })

  it('ends every stream with runstream.error aborted on close(), and answers 503 afterwards', async () => {
    const { open, handler } = await serve()
    const response = await open(path('agents', 'c'))
    await response.until((t) => t === OPENING)
    handler.close()
    const text = await response.end()
    expect(text).toBe(
      `${OPENING}event: runstream.error\ndata: {"code":"aborted","message":"The server is closing this stream. Reconnect with Last-Event-ID to resume."}\n\n`,
    )
    const refused = await open(path('agents', 'c'))
    expect(refused.status).toBe(503)
    expect(JSON.parse(await refused.end()).error.code).toBe('unavailable')
  })
})

describe('createNodeHandler: HTTP/2', () => {
  it('streams over HTTP/2 without hop-by-hop headers', async () => {
    const { manager } = testManager()
    const handler: NodeHandler = createNodeHandler(manager)
    const server = http2.createServer(handler)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    const session = http2.connect(`http://127.0.0.1:${port}`)
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          session.destroy()
          server.close(() => resolve())
        }),
    )
    emitChunks(manager, 'agent:h2', ['over h2'])
    manager.stream('agent:h2').emit('complete', { status: 'SUCCESS' })
    const request = session.request({ ':path': path('agents', 'h2') })
    const headers = await new Promise<http2.IncomingHttpHeaders>((resolve) =>
      request.once('response', resolve),
    )
    let text = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => {
      text += chunk
    })
    await new Promise((resolve) => request.once('end', resolve))
    expect(headers[':status']).toBe(200)
    expect(headers['content-type']).toBe('text/event-stream; charset=utf-8')
    for (const name of ['connection', 'keep-alive', 'transfer-encoding', 'upgrade']) {
      expect(headers[name]).toBeUndefined()
    }
    expect(envelopesOf(text).map((e) => e.type)).toEqual(['llm_chunk', 'complete'])
  })
})
