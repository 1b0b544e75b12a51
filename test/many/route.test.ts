import { EventSource } from 'eventsource'
import { afterEach, describe, expect, it } from 'vitest'
import {
  FINISHED_POSITION,
  formatCompositeCursor,
  parseCompositeCursor,
} from '../../src/core/composite-cursor.js'
import { createNodeHandler } from '../../src/node.js'
import { createFetchHandler } from '../../src/server.js'
import { get, parseSse, post, readBody, startServer } from '../helpers/http.js'
import { testManager } from '../helpers/server.js'
import { waitFor } from '../helpers/wait.js'

// The many-stream route, `{basePath}/streams`, at the wire: the list, the composite cursor, the
// per-stream checks and ends.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const url = (query: string) => `http://localhost/api/v0/streams?${query}`
const envelope = (data: string) => JSON.parse(data) as { id: string; type: string; stream: string }

describe('the composite cursor', () => {
  it('is a position per stream in order: empty, a cursor (plain or qualified), or ~', () => {
    expect(parseCompositeCursor('12,,lz3kq9a1x0.7,~', 4)).toEqual(['12', '', 'lz3kq9a1x0.7', '~'])
    expect(formatCompositeCursor(['12', '', 'lz3kq9a1x0.7', FINISHED_POSITION])).toBe(
      '12,,lz3kq9a1x0.7,~',
    )
    expect(parseCompositeCursor('', 1)).toEqual([''])
    expect(parseCompositeCursor(',', 2)).toEqual(['', ''])
  })

  it('refuses a wrong count of positions and positions that are not cursors', () => {
    expect(parseCompositeCursor('1,2', 3)).toBeUndefined()
    expect(parseCompositeCursor('1,2,3', 2)).toBeUndefined()
    for (const bad of ['01,2', '1,x', '1,1.5', '1,-1', '1,~~', '1, 2']) {
      expect(parseCompositeCursor(bad, 2), bad).toBeUndefined()
    }
  })
})

describe('GET {basePath}/streams', () => {
  it('replays each stream from its own position, then live, every frame an envelope with the composite cursor as its id', async () => {
    const { manager } = testManager()
    const handler = createFetchHandler(manager)
    const a = manager.stream('task:a')
    const b = manager.stream('task:b')
    a.emit('llm_chunk', { text: 'a1' })
    a.emit('llm_chunk', { text: 'a2' })
    b.emit('llm_chunk', { text: 'b1' })
    await manager.flush()
    const response = await handler(
      new Request(url('stream=task:a&stream=task:b'), { headers: { 'last-event-id': '1,' } }),
    )
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    const body = readBody(response.body)
    cleanups.push(() => body.cancel())
    await body.until((text) => parseSse(text).filter((m) => m.data !== '').length >= 2)
    b.emit('complete', { status: 'SUCCESS' })
    a.emit('llm_chunk', { text: 'a3' })
    a.emit('complete', { status: 'SUCCESS' })
    const text = await body.end()
    const messages = parseSse(text)
    const events = messages.filter((m) => m.event !== undefined)
    expect(events.map((m) => [envelope(m.data).stream, envelope(m.data).id, m.id])).toEqual([
      ['task:a', '2', '2,'],
      ['task:b', '1', '2,1'],
      ['task:b', '2', '2,~'],
      ['task:a', '3', '3,~'],
      ['task:a', '4', '~,~'],
    ])
    // Each stream's epoch frame, an id alone, before its first event: its position qualified.
    expect(text).toMatch(/^id: [a-z][0-9a-z]{9}\.1,\n\n/m)
    expect(text).toMatch(/^id: 2,[a-z][0-9a-z]{9}\.0\n\n/m)
  })

  it('ends a stream at its terminal event and the response once every stream has ended', async () => {
    const { manager } = testManager()
    const handler = createFetchHandler(manager)
    const response = await handler(new Request(url('stream=task:x,task:y')))
    const body = readBody(response.body)
    cleanups.push(() => body.cancel())
    manager.stream('task:x').emit('complete', { status: 'SUCCESS' })
    await body.until((text) => text.includes('"stream":"task:x"'))
    manager.stream('task:x').emit('llm_chunk', { text: 'after the end: refused by the store' })
    manager.stream('task:y').emit('llm_chunk', { text: 'y goes on' })
    await body.until((text) => text.includes('y goes on'))
    expect(body.ended).toBe(false)
    manager.stream('task:y').emit('complete', { status: 'SUCCESS' })
    const text = await body.end()
    expect(parseSse(text).at(-1)?.id).toBe('~,~')
    expect(handler.stats().connections).toBe(0)
  })

  it('answers 204 when every position is finished, and resumes only the others', async () => {
    const { manager } = testManager()
    const handler = createFetchHandler(manager)
    manager.stream('task:p').emit('complete', { status: 'SUCCESS' })
    manager.stream('task:q').emit('llm_chunk', { text: 'q1' })
    manager.stream('task:q').emit('complete', { status: 'SUCCESS' })
    await manager.flush()
    const list = 'stream=task:p&stream=task:q'
    const all = await handler(new Request(url(list), { headers: { 'last-event-id': '~,~' } }))
    expect(all.status).toBe(204)
    // A finished stream whose position is its last id counts as finished too.
    const atEnd = await handler(new Request(url(list), { headers: { 'last-event-id': '1,2' } }))
    expect(atEnd.status).toBe(204)
    const one = await handler(new Request(url(list), { headers: { 'last-event-id': '~,1' } }))
    const text = await one.text()
    expect(parseSse(text).map((m) => envelope(m.data).stream)).toEqual(['task:q'])
  })

  it('refuses a list past maxStreamsPerConnection with 400 too_many_streams, before any hook', async () => {
    const { manager } = testManager()
    let asked = 0
    const handler = createFetchHandler(manager, {
      maxStreamsPerConnection: 3,
      authorize: () => {
        asked++
        return true
      },
    })
    const four = await handler(new Request(url('stream=task:1,task:2,task:3,task:4')))
    expect(four.status).toBe(400)
    expect(await four.json()).toMatchObject({
      error: { code: 'too_many_streams', details: { streams: 4, maxStreamsPerConnection: 3 } },
    })
    expect(asked).toBe(0)
    const three = await handler(new Request(url('stream=task:1,task:2,task:3')))
    expect(three.status).toBe(200)
    await three.body?.cancel()
    expect(() => createFetchHandler(manager, { maxStreamsPerConnection: 0 })).toThrow(
      /maxStreamsPerConnection/,
    )
  })

  it('defaults maxStreamsPerConnection to 32', async () => {
    const { manager } = testManager()
    const handler = createFetchHandler(manager)
    const names = (n: number) => Array.from({ length: n }, (_, i) => `stream=task:t${i}`).join('&')
    const over = await handler(new Request(url(names(33))))
    expect(over.status).toBe(400)
    const at = await handler(new Request(url(names(32))))
    expect(at.status).toBe(200)
    await at.body?.cancel()
  })

  it('asks authorize about every stream, and one refusal refuses the whole request with 403', async () => {
    const { manager } = testManager()
    const asked: string[] = []
    const handler = createFetchHandler(manager, {
      authorize: (_request, stream) => {
        asked.push(stream)
        return stream !== 'task:secret'
      },
    })
    const refused = await handler(
      new Request(url('stream=task:a&stream=task:secret&stream=task:b')),
    )
    expect(refused.status).toBe(403)
    expect(await refused.json()).toMatchObject({ error: { code: 'forbidden' } })
    expect(asked.sort()).toEqual(['task:a', 'task:b', 'task:secret'])
    const allowed = await handler(new Request(url('stream=task:a&stream=task:b')))
    expect(allowed.status).toBe(200)
    await allowed.body?.cancel()
  })

  it('refuses bad lists and cursors with 400 saying what to send', async () => {
    const { manager } = testManager()
    const handler = createFetchHandler(manager)
    const cases: [string, Record<string, string>, string][] = [
      ['', {}, 'invalid_request'],
      ['stream=task:a&stream=task:a', {}, 'invalid_request'],
      ['stream=tasks:a', {}, 'invalid_stream_id'],
      ['stream=task:..', {}, 'invalid_stream_id'],
      ['stream=task:a&stream=task:b', { 'last-event-id': '3' }, 'invalid_cursor'],
      ['stream=task:a&format=text', {}, 'invalid_request'],
      ['stream=task:a&events=nope', {}, 'unknown_event'],
    ]
    for (const [query, headers, code] of cases) {
      const response = await handler(new Request(url(query), { headers }))
      expect(response.status, query).toBe(400)
      expect(await response.json(), query).toMatchObject({ error: { code } })
    }
    const put = await handler(new Request(url('stream=task:a'), { method: 'PUT' }))
    expect(put.status).toBe(405)
    expect(put.headers.get('allow')).toBe('GET, POST')
  })

  it('sends each stream its own runstream.gap, naming the stream', async () => {
    const { manager } = testManager()
    const handler = createFetchHandler(manager)
    manager.stream('task:g').emit('llm_chunk', { text: 'g1' })
    manager.stream('task:h').emit('llm_chunk', { text: 'h1' })
    manager.stream('task:h').emit('complete', { status: 'SUCCESS' })
    await manager.flush()
    // task:g resumes in an incarnation that is not the store's: told it restarted.
    const response = await handler(
      new Request(url('stream=task:g&stream=task:h'), {
        headers: { 'last-event-id': 'zzzzzzzzzz.1,1' },
      }),
    )
    const body = readBody(response.body)
    cleanups.push(() => body.cancel())
    const text = await body.until((t) => t.includes('"stream":"task:h","ts"'))
    const gaps = parseSse(text).filter((m) => m.event === 'runstream.gap')
    expect(gaps.map((m) => JSON.parse(m.data))).toEqual([
      expect.objectContaining({ stream: 'task:g', reason: 'restarted' }),
    ])
  })

  it('filters events with events= on every stream, terminal events always sent', async () => {
    const { manager } = testManager()
    const handler = createFetchHandler(manager)
    manager.stream('task:f').emit('llm_chunk', { text: 'skipped' })
    manager.stream('task:f').emit('tool_call', { tool_name: 'x', args: {} })
    manager.stream('task:f').emit('complete', { status: 'SUCCESS' })
    await manager.flush()
    const response = await handler(new Request(url('stream=task:f&events=tool_call')))
    const text = await response.text()
    expect(parseSse(text).map((m) => [m.event, m.id])).toEqual([
      ['tool_call', '2'],
      ['complete', '~'],
    ])
  })
})

describe('limits of one many-stream connection', () => {
  it('sends one heartbeat per period for the connection, not one per stream', async () => {
    const { manager } = testManager()
    const handler = createFetchHandler(manager, { heartbeatMs: 30 })
    const names = Array.from({ length: 10 }, (_, i) => `stream=task:hb${i}`).join('&')
    const response = await handler(new Request(url(names)))
    const body = readBody(response.body)
    cleanups.push(() => body.cancel())
    const text = await body.until((t) => (t.match(/: ping/g) ?? []).length >= 3)
    // Three periods, ten streams: never ten pings at once.
    expect((text.match(/: ping/g) ?? []).length).toBeLessThan(6)
    handler.close()
  })

  it('gives a client that stopped pulling what was queued of every stream, then runstream.error subscriber_overflow', async () => {
    const { manager } = testManager()
    const errors: string[] = []
    const handler = createFetchHandler(manager, {
      maxQueuedBytes: 2000,
      heartbeatMs: 20,
      onError: (e) => errors.push(e.code),
    })
    const response = await handler(new Request(url('stream=task:s1&stream=task:s2')))
    // Nobody pulls the body: what is written waits in the stream's own buffer, for both streams.
    for (let i = 0; i < 20; i++) {
      manager.stream('task:s1').emit('llm_chunk', { text: 'y'.repeat(100) })
      manager.stream('task:s2').emit('llm_chunk', { text: 'z'.repeat(100) })
    }
    await waitFor(() => errors.length > 0, { what: 'the client to be found too slow' })
    // The bound, plus the frames that crossed it (one per stream) and the error event.
    expect(handler.stats().bufferedBytes).toBeLessThan(2000 + 2 * 300 + 150)
    const text = await new Response(response.body).text()
    const frames = parseSse(text)
    const events = frames.filter((m) => m.event === 'llm_chunk').map((m) => envelope(m.data))
    expect(events.length).toBeGreaterThan(0)
    expect(events.length).toBeLessThan(40)
    for (const stream of ['task:s1', 'task:s2']) {
      const ids = events.filter((e) => e.stream === stream).map((e) => Number(e.id))
      expect(ids).toEqual(ids.map((_, i) => i + 1))
    }
    expect(frames.at(-1)?.event).toBe('runstream.error')
    expect(JSON.parse(frames.at(-1)?.data ?? '')).toMatchObject({ code: 'subscriber_overflow' })
    expect(errors).toEqual(['subscriber_overflow'])
    expect(handler.stats().connections).toBe(0)
  })
})

describe('POST {basePath}/streams', () => {
  it('takes the list (and a cursor) from a JSON body, on the Node edge as on the Fetch one', async () => {
    const { manager } = testManager()
    manager.stream('task:m').emit('llm_chunk', { text: 'm1' })
    manager.stream('task:m').emit('complete', { status: 'SUCCESS' })
    manager.stream('task:n').emit('llm_chunk', { text: 'n1' })
    manager.stream('task:n').emit('complete', { status: 'SUCCESS' })
    await manager.flush()
    const node = await startServer(createNodeHandler(manager))
    cleanups.push(() => node.close())
    const viaNode = await post(
      `${node.url}/api/v0/streams`,
      JSON.stringify({ streams: ['task:m', 'task:n'], lastEventId: '1,' }),
    )
    expect(viaNode.status).toBe(200)
    const nodeText = await viaNode.end()
    const fetchHandler = createFetchHandler(manager)
    const viaFetch = await fetchHandler(
      new Request('http://localhost/api/v0/streams', {
        method: 'POST',
        body: JSON.stringify({ streams: ['task:m', 'task:n'] }),
        headers: { 'last-event-id': '1,' },
      }),
    )
    const fetchText = await viaFetch.text()
    const ids = (text: string) => parseSse(text).map((m) => [envelope(m.data).stream, m.id])
    expect(ids(nodeText)).toEqual([
      ['task:m', '~,'],
      ['task:n', '~,1'],
      ['task:n', '~,~'],
    ])
    expect(ids(fetchText)).toEqual(ids(nodeText))
    // The same list by GET gives the same frames, byte for byte.
    const viaGet = await get(`${node.url}/api/v0/streams?stream=task:m&stream=task:n`, {
      'last-event-id': '1,',
    })
    expect(await viaGet.end()).toBe(nodeText)
  })

  it('refuses a body that is not {"streams": [...]} with 400 invalid_body', async () => {
    const { manager } = testManager()
    const handler = createFetchHandler(manager)
    for (const body of [
      'not json',
      '{"streams": "task:a"}',
      '[]',
      '{"streams": ["task:a"], "lastEventId": 3}',
    ]) {
      const response = await handler(
        new Request('http://localhost/api/v0/streams', { method: 'POST', body }),
      )
      expect(response.status, body).toBe(400)
      expect(await response.json()).toMatchObject({ error: { code: 'invalid_body' } })
    }
  })
})

describe('a native EventSource on the many-stream route', () => {
  it('resumes every stream after a drop with the composite Last-Event-ID it was sent', async () => {
    const { manager } = testManager()
    const handler = createNodeHandler(manager, { heartbeatMs: 1000, retryMs: 10 })
    const lastEventIds: (string | undefined)[] = []
    const server = await startServer((req, res) => {
      lastEventIds.push(req.headers['last-event-id'] as string | undefined)
      void handler(req, res)
    })
    cleanups.push(
      () => server.close(),
      () => handler.close(),
    )
    const names = ['task:e0', 'task:e1', 'task:e2']
    const source = new EventSource(
      `${server.url}/api/v0/streams?${names.map((n) => `stream=${n}`).join('&')}`,
    )
    cleanups.push(() => source.close())
    const seen: string[] = []
    const ids: string[] = []
    for (const type of ['llm_chunk', 'complete']) {
      source.addEventListener(type, (event) => {
        const { stream, id } = envelope(event.data)
        seen.push(`${stream}#${id}`)
        ids.push(event.lastEventId)
      })
    }
    await waitFor(() => source.readyState === EventSource.OPEN, { what: 'the EventSource to open' })
    for (let k = 1; k <= 5; k++)
      for (const n of names) manager.stream(n).emit('llm_chunk', { text: `${k}` })
    await waitFor(() => seen.length === 15, { what: '15 events before the drop' })
    const before = ids.at(-1)
    expect(before).toBe('5,5,5')
    server.dropConnections()
    await waitFor(() => lastEventIds.length === 2, { what: 'the EventSource to reconnect' })
    expect(lastEventIds[1]).toBe(before)
    for (const n of names) {
      manager.stream(n).emit('llm_chunk', { text: '6' })
      manager.stream(n).emit('complete', { status: 'SUCCESS' })
    }
    await waitFor(() => seen.length === 21, { what: 'every event once' })
    for (const n of names) {
      expect(seen.filter((s) => s.startsWith(`${n}#`))).toEqual(
        [1, 2, 3, 4, 5, 6, 7].map((id) => `${n}#${id}`),
      )
    }
    expect(ids.at(-1)).toBe('~,~,~')
  })
})
