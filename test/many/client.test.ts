import { afterEach, describe, expect, it } from 'vitest'
import { type ManyEvent, type RunstreamError, subscribeMany } from '../../src/client.js'
import { createStreamManager, executionCatalog, type StreamManager } from '../../src/index.js'
import { createNodeHandler, type NodeHandler } from '../../src/node.js'
import { createFaultProxy, type FaultProxy } from '../../src/testing.js'
import { startServer, type TestServer } from '../helpers/http.js'
import { waitFor } from '../helpers/wait.js'

// subscribeMany against the real Node handler, through a TCP proxy that drops every connection.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

interface Setup {
  manager: StreamManager<typeof executionCatalog>
  handler: NodeHandler
  server: TestServer
  proxy: FaultProxy
  /** The Last-Event-ID of every request, in order. */
  cursors: (string | undefined)[]
  /** The request URLs, in order. */
  urls: string[]
  base: string
}

async function setup(): Promise<Setup> {
  const manager = createStreamManager({ catalog: executionCatalog })
  const handler = createNodeHandler(manager, { heartbeatMs: 500, retryMs: 5, onError: () => {} })
  const cursors: (string | undefined)[] = []
  const urls: string[] = []
  const server = await startServer((req, res) => {
    cursors.push(req.headers['last-event-id'] as string | undefined)
    urls.push(req.url ?? '')
    void handler(req, res)
  })
  const proxy = await createFaultProxy({ target: server.url, chunkBytes: 97 })
  cleanups.push(
    () => manager.close(),
    () => server.close(),
    () => handler.close(),
    () => proxy.close(),
  )
  return { manager, handler, server, proxy, cursors, urls, base: `${proxy.url}/api/v0` }
}

const FAST = { initialDelayMs: 5, maxDelayMs: 20 }

describe('subscribeMany', () => {
  it('follows 20 task streams over one connection through server-side drops: every event of every stream once, in order', async () => {
    const s = await setup()
    const names = Array.from({ length: 20 }, (_, i) => `task:t${i}`)
    const errors: RunstreamError[] = []
    const subscription = subscribeMany(s.base, names, {
      catalog: executionCatalog,
      reconnect: FAST,
      onError: (error) => errors.push(error),
    })
    cleanups.push(() => subscription.close())
    const events: ManyEvent<typeof executionCatalog>[] = []
    const consumed = (async () => {
      for await (const event of subscription) events.push(event)
    })()
    await waitFor(() => subscription.readyState === 'open', { what: 'the first connection' })
    const rounds = 40
    let drops = 0
    for (let k = 1; k <= rounds; k++) {
      for (const name of names) s.manager.stream(name).emit('llm_chunk', { text: `${name}/${k}` })
      if (k % 8 === 0) {
        // Cut an open connection while events are in flight: some of this round is on the wire,
        // some not yet read by the server's subscriptions.
        await waitFor(() => s.cursors.length === drops + 1 && subscription.readyState === 'open', {
          what: `connection ${drops + 1} to open`,
        })
        const before = events.length
        await waitFor(() => events.length > before, { what: 'events on the new connection' })
        s.proxy.cutAll()
        drops++
      }
    }
    // Streams end one after the other: each ends only its own part of the connection.
    for (const name of names) s.manager.stream(name).emit('complete', { status: 'SUCCESS' })
    await consumed

    expect(drops).toBe(5)
    expect(s.proxy.accepted).toBeGreaterThanOrEqual(6)
    expect(errors.length).toBeGreaterThanOrEqual(5)
    expect(errors.every((error) => error.code === 'network_error')).toBe(true)
    for (const name of names) {
      const own = events.filter((event) => event.stream === name)
      expect(own.map((event) => event.id)).toEqual(
        Array.from({ length: rounds + 1 }, (_, i) => String(i + 1)),
      )
      expect(own.slice(0, rounds).map((event) => (event.data as { text: string }).text)).toEqual(
        Array.from({ length: rounds }, (_, i) => `${name}/${i + 1}`),
      )
      expect(own.at(-1)?.type).toBe('complete')
    }
    expect(events).toHaveLength(20 * (rounds + 1))
    expect(subscription.readyState).toBe('closed')
    expect(subscription.lastEventId).toBe(names.map(() => '~').join(','))
    // One connection at a time, each resuming with the composite cursor of the 20 streams.
    const resumed = s.cursors.slice(1)
    expect(resumed.length).toBeGreaterThanOrEqual(5)
    for (const cursor of resumed) expect(cursor?.split(',')).toHaveLength(20)
    await waitFor(() => s.handler.stats().connections === 0, { what: 'the server to let go' })
  }, 60_000)

  it('adds and removes streams on a new connection, the streams kept going on from their place', async () => {
    const s = await setup()
    const subscription = subscribeMany(s.base, ['task:a', 'task:b'], {
      catalog: executionCatalog,
      reconnect: FAST,
      onError: () => {},
    })
    cleanups.push(() => subscription.close())
    const events: ManyEvent<typeof executionCatalog>[] = []
    const consumed = (async () => {
      for await (const event of subscription) events.push(event)
    })()
    const emit = (name: string, text: string) => s.manager.stream(name).emit('llm_chunk', { text })
    emit('task:a', 'a1')
    emit('task:b', 'b1')
    emit('task:c', 'c1')
    await waitFor(() => events.length === 2, { what: 'a1 and b1' })
    subscription.update(['task:a', 'task:c'])
    expect(subscription.streams).toEqual(['task:a', 'task:c'])
    await waitFor(() => events.length === 3, { what: 'c1, from its start' })
    emit('task:a', 'a2')
    emit('task:b', 'b2')
    await waitFor(() => events.length === 4, { what: 'a2' })
    // b is no longer followed; taken back, it goes on after b1.
    subscription.update(['task:a', 'task:b', 'task:c'])
    await waitFor(() => events.length === 5, { what: 'b2' })
    for (const name of ['task:a', 'task:b', 'task:c']) {
      s.manager.stream(name).emit('complete', { status: 'SUCCESS' })
    }
    await consumed
    const texts = events.map((event) =>
      event.type === 'llm_chunk' ? event.data.text : `${event.stream}:end`,
    )
    expect(texts).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', ...texts.slice(5)])
    expect(texts.slice(5).sort()).toEqual(['task:a:end', 'task:b:end', 'task:c:end'])
    // The second connection asked for a and c, a resuming after a1 and c from its start.
    expect(s.urls[1]).toBe('/api/v0/streams?stream=task%3Aa&stream=task%3Ac')
    expect(s.cursors[1]).toMatch(/^[a-z0-9]+\.1,$/)
    // The third resumed every stream from its own place, b after b1.
    expect(s.cursors[2]).toMatch(/^[a-z0-9]+\.2,[a-z0-9]+\.1,[a-z0-9]+\.1$/)
  })

  it('sends a long list in a POST body, again on every reconnect', async () => {
    const s = await setup()
    const names = Array.from({ length: 30 }, (_, i) => `task:${'long-id-'.repeat(10)}${i}`)
    const subscription = subscribeMany(s.base, names, { reconnect: FAST, onError: () => {} })
    cleanups.push(() => subscription.close())
    const seen: string[] = []
    subscription.on('*', (event) => seen.push(`${event.stream}`))
    for (const name of names) s.manager.stream(name).emit('llm_chunk', { text: 'x' })
    await waitFor(() => seen.length === 30, { what: 'one event of each stream' })
    s.proxy.cutAll()
    for (const name of names) s.manager.stream(name).emit('complete', { status: 'SUCCESS' })
    await waitFor(() => subscription.readyState === 'closed', { what: 'every stream to end' })
    expect(seen).toHaveLength(60)
    expect(s.urls.length).toBeGreaterThanOrEqual(2)
    expect(s.urls.every((url) => url === '/api/v0/streams')).toBe(true)
  })

  it('resumes from a saved lastEventId, and refuses one of another list', async () => {
    const s = await setup()
    s.manager.stream('task:r1').emit('llm_chunk', { text: 'one' })
    s.manager.stream('task:r1').emit('llm_chunk', { text: 'two' })
    s.manager.stream('task:r2').emit('complete', { status: 'SUCCESS' })
    s.manager.stream('task:r1').emit('complete', { status: 'SUCCESS' })
    await s.manager.flush()
    const events: ManyEvent[] = []
    const subscription = subscribeMany(s.base, ['task:r1', 'task:r2'], { lastEventId: '1,~' })
    for await (const event of subscription) events.push(event)
    expect(events.map((event) => `${event.stream}#${event.id}`)).toEqual(['task:r1#2', 'task:r1#3'])
    expect(() => subscribeMany(s.base, ['task:r1'], { lastEventId: '1,~' })).toThrow(TypeError)
    expect(() => subscribeMany(s.base, ['task:r1', 'task:r1'])).toThrow(/distinct/)
    expect(() => subscribeMany(s.base, [])).toThrow(TypeError)
  })

  it('takes a gap in one stream as that stream starting over, the others keeping their place', async () => {
    const s = await setup()
    for (let i = 1; i <= 3; i++) {
      s.manager.stream('task:g').emit('llm_chunk', { text: `g${i}` })
      s.manager.stream('task:h').emit('llm_chunk', { text: `h${i}` })
    }
    s.manager.stream('task:g').emit('complete', { status: 'SUCCESS' })
    s.manager.stream('task:h').emit('complete', { status: 'SUCCESS' })
    await s.manager.flush()
    const errors: RunstreamError[] = []
    // task:g resumes in an incarnation the store does not have, past its last id: it restarted.
    const subscription = subscribeMany(s.base, ['task:g', 'task:h'], {
      lastEventId: 'zzzzzzzzzz.9,2',
      onError: (error) => errors.push(error),
    })
    const events: ManyEvent[] = []
    for await (const event of subscription) events.push(event)
    expect(events.map((event) => `${event.stream}#${event.id}`).sort()).toEqual(
      ['task:g#1', 'task:g#2', 'task:g#3', 'task:g#4', 'task:h#3', 'task:h#4'].sort(),
    )
    expect(errors.map((error) => [error.code, error.details?.stream])).toEqual([
      ['cursor_expired', 'task:g'],
    ])
    expect(subscription.cursor('task:g')).toBe('~')
  })
})
