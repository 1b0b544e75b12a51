import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { createStreamClient, type RunstreamError } from '../../src/client.js'
import { createStreamManager, executionCatalog, type StreamManager } from '../../src/index.js'
import { createNodeHandler, type NodeHandler } from '../../src/node.js'
import { pause } from '../helpers/wait.js'
import { drain, until } from './helpers.js'

interface Harness {
  manager: StreamManager<typeof executionCatalog>
  handler: NodeHandler
  server: Server
  baseUrl: string
  sockets: Set<Socket>
  requests: { url: string; lastEventId: string | undefined }[]
  /** Destroys every open socket: the connection drops with no goodbye. */
  dropAll(): number
}

const harnesses: Harness[] = []

/** The real Node handler on a real server on 127.0.0.1, port 0. */
async function startServer(): Promise<Harness> {
  const manager = createStreamManager({ catalog: executionCatalog })
  const handler = createNodeHandler(manager, { heartbeatMs: 500, retryMs: 5, onError: () => {} })
  const sockets = new Set<Socket>()
  const requests: Harness['requests'] = []
  const server = createServer((req, res) => {
    requests.push({
      url: req.url ?? '',
      lastEventId: req.headers['last-event-id'] as string | undefined,
    })
    void handler(req, res)
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const harness: Harness = {
    manager,
    handler,
    server,
    baseUrl: `http://127.0.0.1:${port}`,
    sockets,
    requests,
    dropAll() {
      const count = sockets.size
      for (const socket of sockets) socket.destroy()
      return count
    },
  }
  harnesses.push(harness)
  return harness
}

afterEach(async () => {
  for (const { handler, server, manager, sockets } of harnesses.splice(0)) {
    handler.close()
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
    await manager.close()
  }
})

describe('end to end against the real Node handler', () => {
  test('the server drops the connection mid-stream several times and every event arrives exactly once, in order', async () => {
    const h = await startServer()
    const client = createStreamClient({ baseUrl: h.baseUrl, catalog: executionCatalog })
    const errors: RunstreamError[] = []
    const subscription = client.workflow('e2e', {
      reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
      onError: (error) => errors.push(error),
    })
    const received = drain(subscription)
    const stream = h.manager.stream('workflow:e2e')
    const total = 400
    let drops = 0

    await until(() => subscription.readyState === 'open')
    for (let i = 1; i <= total; i++) {
      stream.emit('llm_chunk', { text: `t${i}` })
      // A steady producer, so that the drops land mid-stream.
      if (i % 20 === 0) await pause(3)
      // Drop while the client is connected, so the cut lands mid-stream.
      if (i % 80 === 0) {
        await until(() => subscription.readyState === 'open' && h.sockets.size > 0)
        drops += h.dropAll()
      }
    }
    stream.emit('complete', { status: 'SUCCESS' })
    const { events, error } = await received

    expect(error).toBeUndefined()
    expect(drops).toBeGreaterThanOrEqual(5)
    const texts = events.map((e) =>
      e.type === 'llm_chunk' ? (e.data as { text: string }).text : e.type,
    )
    expect(texts).toEqual([...Array.from({ length: total }, (_, i) => `t${i + 1}`), 'complete'])
    expect(events.map((e) => e.id)).toEqual(
      Array.from({ length: total + 1 }, (_, i) => String(i + 1)),
    )
    // Each drop was a reconnect that resumed from the client's cursor.
    expect(h.requests.length).toBeGreaterThanOrEqual(6)
    expect(h.requests.slice(1).every((r) => r.lastEventId !== undefined)).toBe(true)
    expect(errors.length).toBeGreaterThanOrEqual(5)
    expect(errors.every((e) => e.code === 'network_error')).toBe(true)
  })

  test('a cursor at the end of a finished stream gets a 204 and ends quietly', async () => {
    const h = await startServer()
    const stream = h.manager.stream('workflow:done')
    stream.emit('llm_chunk', { text: 'a' })
    stream.emit('complete', { status: 'SUCCESS' })
    await h.manager.flush()
    const client = createStreamClient({ baseUrl: h.baseUrl, catalog: executionCatalog })
    const errors: RunstreamError[] = []
    const result = await drain(
      client.workflow('done', { lastEventId: '2', onError: (e) => errors.push(e) }),
    )
    expect(result).toEqual({ events: [] })
    expect(errors).toEqual([])
    expect(h.requests).toHaveLength(1)
  })

  test('break closes the connection on the server side too', async () => {
    const h = await startServer()
    const client = createStreamClient({ baseUrl: h.baseUrl, catalog: executionCatalog })
    const subscription = client.agent('a1')
    const stream = h.manager.stream('agent:a1')
    await until(() => subscription.readyState === 'open')
    stream.emit('llm_chunk', { text: 'one' })
    for await (const event of subscription) {
      expect(event.type).toBe('llm_chunk')
      break
    }
    await until(() => h.handler.stats().connections === 0)
  })

  test('events= filters on the server, and the terminal event still ends the subscription', async () => {
    const h = await startServer()
    const stream = h.manager.stream('task:t1')
    stream.emit('task_status', { status: 'RUNNING' })
    stream.emit('llm_chunk', { text: 'x' })
    stream.emit('complete', { status: 'SUCCESS' })
    const client = createStreamClient({ baseUrl: h.baseUrl, catalog: executionCatalog })
    const result = await drain(client.task('t1', { events: ['llm_chunk', 'complete'] }))
    expect(result.events.map((e) => e.type)).toEqual(['llm_chunk', 'complete'])
    expect(h.requests[0]?.url).toContain('events=llm_chunk,complete')
  })

  test('text mode reads the concatenated llm_chunk text of an agent', async () => {
    const h = await startServer()
    const stream = h.manager.stream('agent:writer')
    const client = createStreamClient({ baseUrl: h.baseUrl })
    let text = ''
    const reading = (async () => {
      for await (const part of client.text('agent', 'writer')) text += part
      return text
    })()
    await until(() => h.sockets.size > 0)
    // Each part arrives before the next is emitted.
    for (const part of ['Hel', 'lo, ', 'wörld 🌍']) {
      stream.emit('llm_chunk', { text: part })
      await until(() => text.endsWith(part), 10_000, `the text to end with "${part}"`)
    }
    stream.emit('complete', { status: 'SUCCESS' })
    expect(await reading).toBe('Hello, wörld 🌍')
  })

  test('a JSON error of the server reaches the caller as a StreamHttpError', async () => {
    const h = await startServer()
    const client = createStreamClient({ baseUrl: h.baseUrl, basePath: '/api/v0' })
    const result = await drain(
      client.workflow('w', { lastEventId: 'not-a-number', onError: () => {} }),
    )
    expect(result.error).toMatchObject({
      code: 'http_error',
      status: 400,
      body: { status: 400, error: { code: expect.any(String), message: expect.any(String) } },
    })
  })
})
