import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createNodeHandler } from '../../src/node.js'
import { createFetchHandler } from '../../src/server.js'
import { envelopesOf, get, parseSse, startServer, waitFor } from '../helpers/http.js'
import { testManager, trackTimers } from '../helpers/server.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const streamPath = (id: string) => `/api/v0/executions/agents/${id}/stream`

describe('a client that goes away', () => {
  it('releases its subscription, store registration and heartbeat timer', async () => {
    const { manager, store } = testManager()
    const handler = createNodeHandler(manager)
    const server = await startServer(handler)
    cleanups.push(() => server.close())
    const timers = trackTimers()
    cleanups.push(() => timers.stop())
    const response = await get(server.url + streamPath('gone'))
    await response.until((t) => t.includes(': ok'))
    expect(handler.stats().connections).toBe(1)
    expect(store.listening).toBe(1)
    // The handler's heartbeat timer, and nothing else of runstream's.
    expect(timers.active).toBe(1)
    response.destroy()
    await waitFor(() => handler.stats().connections === 0, 5000, 'the connection to be released')
    expect(store.listening).toBe(0)
    expect(timers.active).toBe(0)
  })

  it('leaves nothing behind after 2000 clients connected and dropped', async () => {
    const { manager, store } = testManager()
    const handler = createNodeHandler(manager, { heartbeatMs: 60_000 })
    const server = await startServer(handler)
    cleanups.push(() => server.close())
    const timers = trackTimers()
    cleanups.push(() => timers.stop())
    const listeners =
      server.server.listenerCount('request') + server.server.listenerCount('connection')
    const producer = manager.stream('agent:crowd')
    for (let wave = 0; wave < 10; wave++) {
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          get(server.url + streamPath(i % 2 === 0 ? 'crowd' : `solo-${wave}-${i}`)),
        ),
      )
      await Promise.all(responses.map((r) => r.until((t) => t.includes(': ok'))))
      // Live traffic while they are connected, so the drop happens mid-stream.
      producer.emit('llm_chunk', { text: `wave ${wave}` })
      expect(handler.stats().connections).toBe(200)
      for (const response of responses) response.destroy()
      await waitFor(() => handler.stats().connections === 0, 10_000, 'the wave to be released')
    }
    expect(handler.stats()).toEqual({ connections: 0, bufferedBytes: 0 })
    expect(store.listening).toBe(0)
    // Not one timer per connection left, and not the handler's heartbeat either.
    expect(timers.active).toBe(0)
    expect(server.server.listenerCount('request') + server.server.listenerCount('connection')).toBe(
      listeners,
    )
    await waitFor(() => server.sockets.size === 0, 5000, 'the sockets to close')
  }, 60_000)

  it('is released when its Fetch request aborts', async () => {
    const { manager, store } = testManager()
    const handler = createFetchHandler(manager)
    const timers = trackTimers()
    cleanups.push(() => timers.stop())
    const controller = new AbortController()
    const response = await handler(
      new Request(`http://x${streamPath('f')}`, { signal: controller.signal }),
    )
    expect(handler.stats().connections).toBe(1)
    await waitFor(() => store.listening === 1)
    controller.abort()
    expect(handler.stats().connections).toBe(0)
    await waitFor(() => store.listening === 0)
    expect(timers.active).toBe(0)
    await response.body?.cancel()
  })

  it('is released when its Fetch body is cancelled', async () => {
    const { manager, store } = testManager()
    const handler = createFetchHandler(manager)
    const response = await handler(new Request(`http://x${streamPath('c')}`))
    await waitFor(() => store.listening === 1)
    await response.body?.cancel()
    expect(handler.stats().connections).toBe(0)
    await waitFor(() => store.listening === 0)
  })
})

describe('backpressure', () => {
  /** Opens a raw connection that sends a GET and then never reads. */
  async function stalledClient(url: string, path: string): Promise<net.Socket> {
    const { port } = new URL(url)
    const socket = net.connect(Number(port), '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)
    socket.pause()
    cleanups.push(() => socket.destroy())
    return socket
  }

  it('disconnects a client that stops reading once maxQueuedBytes wait, and keeps serving the others', async () => {
    const { manager, store, errors } = testManager()
    const maxQueuedBytes = 64 * 1024
    const handler = createNodeHandler(manager, {
      maxQueuedBytes,
      heartbeatMs: 100,
      onError: (e) => errors.push(e),
    })
    const server = await startServer(handler)
    cleanups.push(() => server.close())
    await stalledClient(server.url, streamPath('flood'))
    const reader = await get(server.url + streamPath('flood'))
    cleanups.push(() => reader.destroy())
    await waitFor(() => handler.stats().connections === 2)

    // Far more than the kernel's socket buffers can hide: 64 MiB in 64 KiB events.
    const producer = manager.stream('agent:flood')
    const text = 'x'.repeat(64 * 1024)
    let peak = 0
    for (let i = 0; i < 1024 && handler.stats().connections === 2; i++) {
      producer.emit('llm_chunk', { text })
      peak = Math.max(peak, handler.stats().bufferedBytes)
      await new Promise((resolve) => setImmediate(resolve))
    }
    await waitFor(() => handler.stats().connections === 1, 10_000, 'the stalled client to be cut')
    // The bound held: never more than maxQueuedBytes per client, plus one event.
    expect(peak).toBeLessThanOrEqual(2 * (maxQueuedBytes + 66 * 1024))
    expect(errors.map((e) => e.code)).toContain('subscriber_overflow')
    expect(errors.find((e) => e.code === 'subscriber_overflow')?.details).toMatchObject({
      stream: 'agent:flood',
      maxQueuedBytes,
    })
    // The reading client is still served live.
    producer.emit('llm_chunk', { text: 'still here' })
    await reader.until((t) => t.includes('still here'), 10_000)
    expect(store.listening).toBe(1)
  }, 30_000)

  it('gives a client that stopped pulling what it had queued, then runstream.error subscriber_overflow', async () => {
    const { manager } = testManager()
    const errors: string[] = []
    const handler = createFetchHandler(manager, {
      maxQueuedBytes: 1000,
      heartbeatMs: 20,
      onError: (e) => errors.push(e.code),
    })
    const response = await handler(new Request(`http://x${streamPath('slow')}`))
    // Nobody pulls the body: what is written waits in the stream's own buffer.
    const producer = manager.stream('agent:slow')
    for (let i = 0; i < 20; i++) producer.emit('llm_chunk', { text: 'y'.repeat(100) })
    await waitFor(() => errors.length > 0, 2000, 'the client to be found too slow')
    // The bound, plus the one frame that crossed it and the error event.
    expect(handler.stats().bufferedBytes).toBeLessThan(1000 + 250 + 150)
    const text = await new Response(response.body).text()
    const ids = envelopesOf(text).map((e) => Number(e.id))
    // Whole frames, in order, up to the bound; the rest is left to the store.
    expect(ids.length).toBeGreaterThan(0)
    expect(ids.length).toBeLessThan(20)
    expect(ids).toEqual(ids.map((_, i) => i + 1))
    const last = parseSse(text).at(-1)
    expect(last?.event).toBe('runstream.error')
    expect(JSON.parse(last?.data ?? '')).toMatchObject({ code: 'subscriber_overflow' })
    expect(errors).toEqual(['subscriber_overflow'])
    expect(handler.stats().connections).toBe(0)
  })

  it('replays more than maxQueuedBytes to a client that reads, without cutting it', async () => {
    const { manager, errors } = testManager()
    const handler = createNodeHandler(manager, {
      maxQueuedBytes: 16 * 1024,
      onError: (e) => errors.push(e),
    })
    const server = await startServer(handler)
    cleanups.push(() => server.close())
    const producer = manager.stream('agent:big')
    for (let i = 0; i < 2000; i++) producer.emit('llm_chunk', { text: `${i} ${'z'.repeat(1000)}` })
    producer.emit('complete', { status: 'SUCCESS' })
    const response = await get(server.url + streamPath('big'))
    cleanups.push(() => response.destroy())
    const ids = envelopesOf(await response.end(10_000)).map((e) => Number(e.id))
    expect(ids).toEqual(Array.from({ length: 2001 }, (_, i) => i + 1))
    expect(errors).toEqual([])
  })
})
