import { afterEach, describe, expect, test } from 'vitest'
import { connect, type RunstreamError } from '../../src/client.js'
import { createStreamManager, executionCatalog, memoryStore } from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'
import { createFaultProxy } from '../../src/testing.js'
import { startServer, waitFor } from '../helpers/http.js'

// The client against runstream's own server, when the server's store forgets a stream and starts
// it over at id 1: the client carries the stream's epoch in its cursor (from the epoch frame), so
// a resume in the new incarnation is told, never skipped as "replay overlap".

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function serve() {
  const store = memoryStore()
  const manager = createStreamManager({ catalog: executionCatalog, store })
  const handler = createNodeHandler(manager, { retryMs: 10, heartbeatMs: 60_000 })
  const server = await startServer((req, res) => void handler(req, res))
  const requests: (string | undefined)[] = []
  server.server.prependListener('request', (req) => {
    requests.push(req.headers['last-event-id'] as string | undefined)
  })
  cleanups.push(
    () => server.close(),
    () => handler.close(),
  )
  const emit = (from: number, to: number) => {
    for (let n = from; n <= to; n++)
      manager.stream('workflow:w').emit('llm_chunk', { text: `${n}` })
  }
  const url = `${server.url}/api/v0/executions/workflows/w/stream`
  return { store, manager, server, url, emit, requests }
}

/** A client that records each event's text and each error's code, in order. */
function follow(url: string, options: Parameters<typeof connect>[1] = {}) {
  const seen: string[] = []
  const subscription = connect(url, {
    ...options,
    onError: (error: RunstreamError) =>
      seen.push(`error:${error.code}:${error.details?.reason ?? ''}`),
  })
  cleanups.push(() => subscription.close())
  const done = (async () => {
    for await (const event of subscription) {
      seen.push(event.type === 'llm_chunk' ? (event.data as { text: string }).text : event.type)
    }
  })()
  return { seen, subscription, done, texts: () => seen.filter((s) => /^\d+$/.test(s)).length }
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => String(from + i))

describe('the client and a stream its server started over', () => {
  test('keeps a cursor qualified with the epoch the server announced', async () => {
    const { store, url, emit } = await serve()
    emit(1, 3)
    const client = follow(url)
    await waitFor(() => client.texts() === 3, 5000, 'three events')
    const { epoch } = store.read('workflow:w')
    expect(client.subscription.lastEventId).toBe(`${epoch}.3`)
  })

  test('follows a restart live: told with a gap, then given every new event', async () => {
    const { store, manager, url, emit } = await serve()
    emit(1, 5)
    const client = follow(url)
    await waitFor(() => client.texts() === 5, 5000, 'the first incarnation')
    store.clear('workflow:w')
    emit(101, 103)
    manager.stream('workflow:w').emit('complete', { status: 'SUCCESS' })
    await client.done
    expect(client.seen).toEqual([
      ...range(1, 5),
      'error:cursor_expired:restarted',
      ...range(101, 103),
      'complete',
    ])
    expect(client.subscription.lastEventId).toMatch(/^[a-z][0-9a-z]{9}\.4$/)
  })

  test('reports the gap after the events queued before it, for a consumer that starts late', async () => {
    const { store, manager, url, emit } = await serve()
    emit(1, 5)
    const log: string[] = []
    const subscription = connect(url, {
      onError: (error) => log.push(`error:${error.code}:${error.details?.reason ?? ''}`),
    })
    cleanups.push(() => subscription.close())
    await waitFor(() => /\.5$/.test(subscription.lastEventId ?? ''), 5000, 'the first 5 read')
    store.clear('workflow:w')
    emit(101, 102)
    manager.stream('workflow:w').emit('complete', { status: 'SUCCESS' })
    // Everything is read (and queued) before the loop starts: the gap must still come in place.
    await waitFor(() => /\.3$/.test(subscription.lastEventId ?? ''), 5000, 'the new run read')
    for await (const event of subscription) {
      log.push(event.type === 'llm_chunk' ? (event.data as { text: string }).text : event.type)
    }
    expect(log).toEqual([
      ...range(1, 5),
      'error:cursor_expired:restarted',
      '101',
      '102',
      'complete',
    ])
  })

  test('resumes through a drop during which the stream started over, told, losing nothing', async () => {
    const { store, manager, server, url, emit, requests } = await serve()
    const proxy = await createFaultProxy({ target: server.url })
    cleanups.push(() => proxy.close())
    emit(1, 50)
    const client = follow(url.replace(server.url, proxy.url), {
      reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
    })
    await waitFor(() => client.texts() === 50, 5000, 'the first incarnation')
    // The client is away while the store forgets the stream and a new run writes more events
    // than the client's cursor: a plain cursor ("50") would skip the new run's first 50.
    proxy.refuse(true)
    proxy.cutAll()
    store.clear('workflow:w')
    emit(101, 180)
    manager.stream('workflow:w').emit('complete', { status: 'SUCCESS' })
    proxy.refuse(false)
    await client.done
    expect(client.seen.filter((s) => !s.startsWith('error:network'))).toEqual([
      ...range(1, 50),
      'error:cursor_expired:restarted',
      ...range(101, 180),
      'complete',
    ])
    // It resumed with the cursor qualified by the first incarnation's epoch.
    expect(requests.at(-1)).toMatch(/^[a-z][0-9a-z]{9}\.50$/)
  })

  test('resumes from a qualified lastEventId option, and a plain one keeps its old meaning', async () => {
    const { store, manager, url, emit } = await serve()
    emit(1, 10)
    const old = `${store.read('workflow:w').epoch}.4`
    store.clear('workflow:w')
    emit(101, 108)
    manager.stream('workflow:w').emit('complete', { status: 'SUCCESS' })
    const qualified = follow(url, { lastEventId: old })
    await qualified.done
    expect(qualified.seen).toEqual([
      'error:cursor_expired:restarted',
      ...range(101, 108),
      'complete',
    ])
    // A plain id means that id in the incarnation the server holds now.
    const plain = follow(url, { lastEventId: '4' })
    await plain.done
    expect(plain.seen).toEqual([...range(105, 108), 'complete'])
  })
})
