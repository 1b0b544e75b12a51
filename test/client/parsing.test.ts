import { HttpResponse, http } from 'msw'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { createSseReader } from '../../src/client/parse.js'
import { connect } from '../../src/client.js'
import { bodyOf, drain, fastOptions, scriptedFetch, sseResponse } from './helpers.js'

const URL = 'http://api.test/api/v0/executions/agents/a1/stream'
const server = setupServer()
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())

const envelope = (id: string, type: string, data: unknown) =>
  JSON.stringify({ id, type, stream: 'agent:a1', ts: '2026-01-01T00:00:00.000Z', data })

// Every line ending the standard allows, multi-byte characters of 2, 3 and 4 bytes, a leading
// BOM, comments, a multi-line plain-text event and a plain JSON event.
const FIXTURE =
  '\uFEFFevent: greeting\ndata: hi\n\n' +
  'retry: 10\r\n: ok\r\n\r\n' +
  `id: 1\r\nevent: llm_chunk\r\ndata: ${envelope('1', 'llm_chunk', { text: 'héllo 🌍 世界' })}\r\n\r\n` +
  `id: 2\revent: llm_chunk\rdata: ${envelope('2', 'llm_chunk', { text: 'line\nbreak €' })}\r\r` +
  ': ping\n\n' +
  'id: 3\nevent: note\ndata: first line ✓\ndata: second line\n\n' +
  'id: 4\ndata: {"plain":"json ü"}\n\n' +
  `id: 5\nevent: complete\ndata: ${envelope('5', 'complete', { status: 'SUCCESS' })}\n\n`

const EXPECTED = [
  { id: '', type: 'greeting', data: 'hi' },
  { id: '1', type: 'llm_chunk', data: { text: 'héllo 🌍 世界' } },
  { id: '2', type: 'llm_chunk', data: { text: 'line\nbreak €' } },
  { id: '3', type: 'note', data: 'first line ✓\nsecond line' },
  { id: '4', type: 'message', data: { plain: 'json ü' } },
  { id: '5', type: 'complete', data: { status: 'SUCCESS' } },
]

const BYTES = new TextEncoder().encode(FIXTURE)

/** Serves the fixture split into the given chunks, through msw. */
function serveChunks(chunks: Uint8Array[]): void {
  server.use(
    http.get(URL, () => {
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk)
          controller.close()
        },
      })
      return new HttpResponse(stream, { headers: { 'content-type': 'text/event-stream' } })
    }),
  )
}

describe('parsing the byte stream', () => {
  test('the fixture parses to the expected events in one chunk', async () => {
    serveChunks([BYTES])
    const result = await drain(connect(URL, fastOptions()))
    expect(result).toEqual({ events: EXPECTED })
  })

  test('the same events arrive whatever byte boundary the stream is split at (CR|LF and multi-byte characters included)', async () => {
    // Check the fixture really straddles what it claims to.
    expect(FIXTURE).toContain('\r\n')
    expect(FIXTURE).toMatch(/\r[^\n]/)
    expect(BYTES.length).toBeGreaterThan(FIXTURE.length)

    for (let at = 1; at < BYTES.length; at++) {
      serveChunks([BYTES.slice(0, at), BYTES.slice(at)])
      const result = await drain(connect(URL, fastOptions()))
      expect(result, `split at byte ${at}`).toEqual({ events: EXPECTED })
    }
  })

  test('the same events arrive when every byte is a chunk of its own', async () => {
    serveChunks(Array.from(BYTES, (byte) => Uint8Array.of(byte)))
    expect(await drain(connect(URL, fastOptions()))).toEqual({ events: EXPECTED })
  })

  test('an event with no terminating blank line at the end of a connection is never dispatched, and does not leak into the next connection', async () => {
    const fetch = scriptedFetch(
      sseResponse(
        `id: 1\nevent: note\ndata: ${envelope('1', 'note', 'one')}\n\nid: 2\nevent: note\ndata: half`,
      ),
      sseResponse(
        `id: 2\nevent: note\ndata: ${envelope('2', 'note', 'two')}\n\nid: 3\nevent: complete\ndata: done\n\n`,
      ),
    )
    const result = await drain(connect(URL, { ...fastOptions(), fetch }))
    expect(result.events).toEqual([
      { id: '1', type: 'note', data: 'one' },
      { id: '2', type: 'note', data: 'two' },
      { id: '3', type: 'complete', data: 'done' },
    ])
    expect(fetch.calls[1]?.headers.get('last-event-id')).toBe('1')
  })

  test('a multi-byte character cut by the end of a connection is not glued to the next connection', async () => {
    const bytes = new TextEncoder().encode('id: 1\ndata: "🌍"\n\nid: 2\ndata: "🌍')
    const fetch = scriptedFetch(
      sseResponse(
        new Response(bytes.slice(0, bytes.length - 2)).body as ReadableStream<Uint8Array>,
      ),
      sseResponse('id: 2\nevent: complete\ndata: "ok"\n\n'),
    )
    const result = await drain(connect(URL, { ...fastOptions(), fetch }))
    expect(result.events).toEqual([
      { id: '1', type: 'message', data: '🌍' },
      { id: '2', type: 'complete', data: 'ok' },
    ])
  })

  test('an event larger than maxEventBytes is a fatal parse_error', async () => {
    const big = 'x'.repeat(5000)
    const fetch = scriptedFetch(sseResponse(`id: 1\ndata: "small"\n\nid: 2\ndata: "${big}"\n\n`))
    const errors: Parameters<typeof fastOptions>[0] = []
    const result = await drain(connect(URL, { ...fastOptions(errors), fetch, maxEventBytes: 1000 }))
    expect(result.events).toEqual([{ id: '1', type: 'message', data: 'small' }])
    expect(result.error).toMatchObject({ code: 'parse_error', details: { maxEventBytes: 1000 } })
    expect(errors.map((e) => e.info.fatal)).toEqual([true])
    expect(fetch.calls).toHaveLength(1)
  })

  test('an event that grows past maxEventBytes across chunks stops the parser before it is buffered whole', async () => {
    const chunks = ['id: 1\ndata: "', ...Array.from({ length: 50 }, () => 'y'.repeat(100))]
    const fetch = scriptedFetch(sseResponse(bodyOf(...chunks)))
    const result = await drain(connect(URL, { ...fastOptions(), fetch, maxEventBytes: 1000 }))
    expect(result.events).toEqual([])
    expect(result.error).toMatchObject({ code: 'parse_error' })
  })

  test('the reader reports retry: and ignores unknown fields', () => {
    const seen: unknown[] = []
    const reader = createSseReader(
      {
        event: (data, event, id) => seen.push({ id, event, data }),
        id: (id) => seen.push({ lastEventId: id }),
        retry: (ms) => seen.push({ retry: ms }),
        tooLarge: () => seen.push('too large'),
      },
      100,
    )
    reader.push(new TextEncoder().encode('retry: 250\nbogus: 1\nretry: soon\ndata: x\n\n'))
    expect(seen).toEqual([{ retry: 250 }, { id: undefined, event: undefined, data: 'x' }])
  })

  test('a frame with an id and no data dispatches no event but reports the id, as the standard says', () => {
    const seen: unknown[] = []
    const reader = createSseReader(
      {
        event: (data, event, id) => seen.push({ id, event, data }),
        id: (id) => seen.push({ lastEventId: id }),
        retry: () => undefined,
        tooLarge: () => seen.push('too large'),
      },
      100,
    )
    // runstream's epoch frame, then an event; a frame with neither id nor data reports nothing.
    reader.push(
      new TextEncoder().encode('id: k3x9q2ab1c.41\n\nid: 42\nevent: e\ndata: x\n\nevent: y\n\n'),
    )
    expect(seen).toEqual([{ lastEventId: 'k3x9q2ab1c.41' }, { id: '42', event: 'e', data: 'x' }])
  })

  test('an id with a NUL is ignored, in a chunk with good ids too; a name that changes is read anew', () => {
    const seen: { id: string | undefined; event: string | undefined; data: string }[] = []
    const reader = createSseReader(
      {
        event: (data, event, id) => seen.push({ id, event, data }),
        id: () => undefined,
        retry: () => undefined,
        tooLarge: () => undefined,
      },
      100,
    )
    const encode = (text: string) => new TextEncoder().encode(text)
    reader.push(encode('id: 1\nevent: e\ndata: a\n\nid: 2\u00003\nevent: e\ndata: b\n\n'))
    reader.push(encode('id: 4\nevent: e\ndata: c\n\nid: 5\nevent: ee\ndata: d\n\ndata: \u0000\n\n'))
    expect(seen).toEqual([
      { id: '1', event: 'e', data: 'a' },
      { id: undefined, event: 'e', data: 'b' },
      { id: '4', event: 'e', data: 'c' },
      { id: '5', event: 'ee', data: 'd' },
      { id: undefined, event: undefined, data: '\u0000' },
    ])
  })
})
