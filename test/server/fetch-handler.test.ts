import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { createNodeHandler } from '../../src/node.js'
import { createFetchHandler, createSseResponse } from '../../src/server.js'
import { envelopesOf, get, readBody, startServer, waitFor } from '../helpers/http.js'
import { testManager } from '../helpers/server.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const OPENING = 'retry: 2000\n: ok\n\n'
const streamUrl = (kind: string, id: string, query = '') =>
  `http://localhost/api/v0/executions/${kind}/${id}/stream${query}`

describe('createFetchHandler', () => {
  it('answers with a Response at once whose body opens with retry and a comment', async () => {
    const { manager } = testManager()
    const handler = createFetchHandler(manager)
    const response = await handler(new Request(streamUrl('workflows', 'w1')))
    expect(response.status).toBe(200)
    expect(Object.fromEntries(response.headers)).toEqual({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    })
    const body = readBody(response.body)
    cleanups.push(() => body.cancel())
    expect(await body.until((t) => t.length >= OPENING.length)).toBe(OPENING)
  })

  it('sends the same bytes as the Node handler, both served by real servers', async () => {
    const { manager } = testManager()
    const producer = manager.stream('agent:same')
    producer.emit('agent_status', { status: 'RUNNING' })
    producer.emit('llm_chunk', { text: 'multi\nline é 🚀' })
    producer.emit('tool_call', { tool_name: 'search', args: { q: 'x' } })
    producer.emit('complete', { status: 'SUCCESS' })
    const viaFetch = await startServer(getRequestListener(createFetchHandler(manager)))
    const viaNode = await startServer(createNodeHandler(manager))
    cleanups.push(
      () => viaFetch.close(),
      () => viaNode.close(),
    )
    const path = '/api/v0/executions/agents/same/stream?lastEventId=1'
    const [a, b] = await Promise.all([get(viaFetch.url + path), get(viaNode.url + path)])
    const [textA, textB] = await Promise.all([a.end(), b.end()])
    expect(envelopesOf(textA).map((e) => e.id)).toEqual(['2', '3', '4'])
    expect(textA).toBe(textB)
    expect(a.headers['content-type']).toBe(b.headers['content-type'])
  })

  it('serves its routes inside a Hono app, live', async () => {
    const { manager } = testManager()
    const handler = createFetchHandler(manager)
    const app = new Hono()
    app.get('/api/v0/executions/*', (c) => handler(c.req.raw))
    const server = await startServer(getRequestListener(app.fetch))
    cleanups.push(() => server.close())
    const response = await get(`${server.url}/api/v0/executions/tasks/h/stream`)
    cleanups.push(() => response.destroy())
    await response.until((t) => t === OPENING)
    manager.stream('task:h').emit('llm_chunk', { text: 'live' })
    manager.stream('task:h').emit('complete', { status: 'SUCCESS' })
    expect(envelopesOf(await response.end()).map((e) => e.type)).toEqual(['llm_chunk', 'complete'])
    await waitFor(() => handler.stats().connections === 0)
  })

  it('answers JSON errors: 404 off the routes, 405 for POST, 400 for a bad cursor', async () => {
    const { manager } = testManager()
    const handler = createFetchHandler(manager)
    const notFound = await handler(new Request('http://localhost/elsewhere'))
    expect(notFound.status).toBe(404)
    expect(await notFound.json()).toMatchObject({ status: 404, error: { code: 'not_found' } })
    const post = await handler(new Request(streamUrl('agents', 'a'), { method: 'POST' }))
    expect(post.status).toBe(405)
    const cursor = await handler(
      new Request(streamUrl('agents', 'a'), { headers: { 'last-event-id': 'x' } }),
    )
    expect(cursor.status).toBe(400)
    expect(await cursor.json()).toMatchObject({ error: { code: 'invalid_cursor' } })
  })

  it('answers 204 to a cursor at the end of a finished stream', async () => {
    const { manager } = testManager()
    manager.stream('task:fin').emit('complete', { status: 'SUCCESS' })
    const handler = createFetchHandler(manager)
    const response = await handler(new Request(streamUrl('tasks', 'fin', '?lastEventId=1')))
    expect(response.status).toBe(204)
    expect(response.body).toBeNull()
    expect(handler.stats().connections).toBe(0)
  })

  it('serves a custom route through respond(), sharing the handler options and counts', async () => {
    const { manager } = testManager()
    const handler = createFetchHandler(manager, { retryMs: 500 })
    manager.stream('run:custom').emit('llm_chunk', { text: 'c' })
    const response = await handler.respond(
      new Request('http://localhost/runs/custom'),
      'run:custom',
    )
    expect(handler.stats().connections).toBe(1)
    const body = readBody(response.body)
    cleanups.push(() => body.cancel())
    const text = await body.until((t) => t.includes('"c"'))
    expect(text.startsWith('retry: 500\n: ok\n\n')).toBe(true)
  })

  it('refuses bad options with a TypeError that names them', () => {
    const { manager } = testManager()
    expect(() => createFetchHandler(manager, { heartbeatMs: 0 })).toThrow(/heartbeatMs/)
    expect(() => createFetchHandler(manager, { maxQueuedBytes: -1 })).toThrow(/maxQueuedBytes/)
    expect(() => createFetchHandler(manager, { basePath: 'api' })).toThrow(/basePath/)
  })
})

describe('createSseResponse', () => {
  it('answers one request with one stream, whatever the method and path', async () => {
    const { manager } = testManager()
    const producer = manager.stream('run:7')
    producer.emit('llm_chunk', { text: 'started' })
    const response = await createSseResponse(
      manager,
      new Request('http://localhost/runs', { method: 'POST', body: '{}' }),
      'run:7',
      { retryMs: 100, location: '/runs/7/events' },
    )
    expect(response.headers.get('location')).toBe('/runs/7/events')
    expect(response.headers.get('content-location')).toBe('/runs/7/events')
    const body = readBody(response.body)
    await body.until((t) => t.includes('"started"'))
    producer.emit('complete', { status: 'SUCCESS' })
    const text = await body.end()
    expect(text.startsWith('retry: 100\n: ok\n\n')).toBe(true)
    expect(envelopesOf(text).map((e) => e.type)).toEqual(['llm_chunk', 'complete'])
  })

  it('reads the cursor, filter and format from the request as the routes do', async () => {
    const { manager } = testManager()
    const producer = manager.stream('run:8')
    producer.emit('llm_chunk', { text: 'a' })
    producer.emit('llm_chunk', { text: 'b' })
    producer.emit('complete', { status: 'SUCCESS' })
    const text = await createSseResponse(
      manager,
      new Request('http://localhost/runs/8?format=text&lastEventId=1'),
      'run:8',
    )
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await text.text()).toBe('b')
  })

  it('answers 400 to a stream name with control characters', async () => {
    const { manager } = testManager()
    const response = await createSseResponse(manager, new Request('http://localhost/'), 'a\nb')
    expect(response.status).toBe(400)
  })
})
