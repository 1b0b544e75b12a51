import { afterEach, describe, expect, it } from 'vitest'
import * as z from 'zod'
import { createStreamManager, defineCatalog, executionCatalog } from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'
import {
  createFetchHandler,
  createSseResponse,
  type SseFraming,
  sseTransport,
} from '../../src/server.js'
import { get, readBody, startServer } from '../helpers/http.js'

// The two framings of docs/wire-format.md, byte for byte, through every SSE writer.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A catalog whose token deltas are raw text, as compozy writes `llm_chunk`. */
const textCatalog = defineCatalog(
  {
    llm_chunk: z.string(),
    note: z.object({ text: z.string() }),
    tick: z.undefined(),
    complete: z.object({ status: z.string() }),
  },
  { terminal: ['complete'] },
)

const OPENING = 'retry: 2000\n: ok\n\n'

/**
 * The epoch frame a stream's first event follows on a connection: its id alone, the cursor before
 * that event qualified with the stream's epoch (docs/wire-format.md#the-epoch-frame).
 */
async function epochFrame(
  manager: { store: { read(stream: string): unknown } },
  stream: string,
  before = 0,
): Promise<string> {
  const { epoch } = (await manager.store.read(stream)) as { epoch: string }
  return `id: ${epoch}.${before}\n\n`
}
const URL_OF = (id: string) => `http://localhost/api/v0/executions/agents/${id}/stream`

/** Opens a Fetch handler stream and returns a reader of its body. */
async function openFetch(
  manager: Parameters<typeof createFetchHandler>[0],
  id: string,
  framing?: SseFraming,
  headers: Record<string, string> = {},
) {
  const handler = createFetchHandler(manager, framing === undefined ? {} : { framing })
  cleanups.push(() => handler.close())
  const response = await handler(new Request(URL_OF(id), { headers }))
  const body = readBody(response.body)
  cleanups.push(() => body.cancel())
  await body.until((t) => t.startsWith(OPENING))
  return body
}

describe("framing: 'payload' (the default)", () => {
  it('writes a JSON payload on one data: line, after id: and event:', async () => {
    const manager = createStreamManager({ catalog: textCatalog })
    const body = await openFetch(manager, 'p1')
    manager.stream('agent:p1').emit('note', { text: 'a\nb "q" é' })
    manager.stream('agent:p1').emit('complete', { status: 'SUCCESS' })
    const epoch = await epochFrame(manager, 'agent:p1')
    expect(await body.end()).toBe(
      `${OPENING}${epoch}id: 1\nevent: note\ndata: {"text":"a\\nb \\"q\\" é"}\n\nid: 2\nevent: complete\ndata: {"status":"SUCCESS"}\n\n`,
    )
  })

  it('writes a string payload as raw text, one data: line per line, CR, LF and CRLF alike', async () => {
    const manager = createStreamManager({ catalog: textCatalog })
    const body = await openFetch(manager, 'p2')
    const stream = manager.stream('agent:p2')
    for (const text of ['Hel', 'a\nb', 'c\r\nd\re', '', '\n', ' x', '42', 'true', 'null', '"x"'])
      stream.emit('llm_chunk', text)
    stream.emit('complete', { status: 'SUCCESS' })
    const epoch = await epochFrame(manager, 'agent:p2')
    expect(await body.end()).toBe(
      OPENING +
        epoch +
        'id: 1\nevent: llm_chunk\ndata: Hel\n\n' +
        'id: 2\nevent: llm_chunk\ndata: a\ndata: b\n\n' +
        'id: 3\nevent: llm_chunk\ndata: c\ndata: d\ndata: e\n\n' +
        'id: 4\nevent: llm_chunk\ndata:\n\n' +
        'id: 5\nevent: llm_chunk\ndata:\ndata:\n\n' +
        'id: 6\nevent: llm_chunk\ndata:  x\n\n' +
        'id: 7\nevent: llm_chunk\ndata: 42\n\n' +
        'id: 8\nevent: llm_chunk\ndata: true\n\n' +
        'id: 9\nevent: llm_chunk\ndata: null\n\n' +
        'id: 10\nevent: llm_chunk\ndata: "x"\n\n' +
        'id: 11\nevent: complete\ndata: {"status":"SUCCESS"}\n\n',
    )
  })

  it('writes an event without a payload as one empty data: line, so EventSource dispatches it', async () => {
    const manager = createStreamManager({ catalog: textCatalog })
    const body = await openFetch(manager, 'p3')
    manager.stream('agent:p3').emit('tick')
    const epoch = await epochFrame(manager, 'agent:p3')
    expect(await body.until((t) => t.includes('event: tick\ndata:\n\n'))).toBe(
      `${OPENING}${epoch}id: 1\nevent: tick\ndata:\n\n`,
    )
  })

  it('keeps a 3-character token delta within 48 bytes on the wire', async () => {
    const manager = createStreamManager({ catalog: textCatalog })
    const execution = createStreamManager({ catalog: executionCatalog })
    for (let i = 1; i < 42; i++) {
      manager.stream('agent:b').emit('llm_chunk', 'x')
      execution.stream('agent:b').emit('llm_chunk', { text: 'x' })
    }
    const raw = await openFetch(manager, 'b', undefined, { 'last-event-id': '41' })
    const object = await openFetch(execution, 'b', undefined, { 'last-event-id': '41' })
    const envelope = await openFetch(execution, 'b', 'envelope', { 'last-event-id': '41' })
    manager.stream('agent:b').emit('llm_chunk', 'Hel')
    execution.stream('agent:b').emit('llm_chunk', { text: 'Hel' })
    // Each connection starts with one epoch frame (19 bytes here, once per connection, not per
    // event): the event's frame follows it.
    const epoch = await epochFrame(execution, 'agent:b', 41)
    const frameOf = async (body: typeof raw) => {
      const text = await body.until((t) => t.includes('event: llm_chunk') && t.endsWith('\n\n'))
      const rest = text.slice(OPENING.length)
      expect(rest).toMatch(/^id: [a-z][0-9a-z]{9}\.41\n\n/)
      return rest.slice(rest.indexOf('\n\n') + 2)
    }
    const bytes = async (body: typeof raw) => Buffer.byteLength(await frameOf(body))
    expect(Buffer.byteLength(epoch)).toBe(19)
    // compozy's raw-text llm_chunk, and the execution catalog's { text } object.
    expect(await frameOf(raw)).toBe('id: 42\nevent: llm_chunk\ndata: Hel\n\n')
    expect(await bytes(raw)).toBe(35)
    expect(await frameOf(object)).toBe('id: 42\nevent: llm_chunk\ndata: {"text":"Hel"}\n\n')
    expect(await bytes(object)).toBe(46)
    expect(await bytes(object)).toBeLessThanOrEqual(48)
    // What the envelope costs on top: its id, type, stream and ts once more.
    expect(await bytes(envelope)).toBe(135)
  })
})

describe('control events are the same in both framings', () => {
  it.each(['payload', 'envelope'] as const)(
    '%s: the gap, the error, the retry line and the heartbeat',
    async (framing) => {
      const manager = createStreamManager({ catalog: textCatalog })
      manager.stream('agent:c').emit('llm_chunk', 'a')
      const handler = createFetchHandler(manager, { framing, heartbeatMs: 20, retryMs: 1500 })
      const response = await handler(
        new Request(URL_OF('c'), { headers: { 'last-event-id': '9' } }),
      )
      const body = readBody(response.body)
      cleanups.push(() => body.cancel())
      await body.until((t) => t.includes(': ping\n\n'))
      handler.close()
      const text = await body.end()
      const gap =
        'event: runstream.gap\ndata: {"reason":"unknown","after":"9","firstId":"1","lastId":"1"}\n\n' +
        (await epochFrame(manager, 'agent:c'))
      const error =
        'event: runstream.error\ndata: {"code":"aborted","message":"The server is closing this stream. Reconnect with Last-Event-ID to resume."}\n\n'
      expect(text.startsWith(`retry: 1500\n: ok\n\n${gap}id: 1\nevent: llm_chunk\n`)).toBe(true)
      expect(text).toContain(': ping\n\n')
      expect(text.endsWith(error)).toBe(true)
    },
  )
})

describe('replayed events are framed as live ones', () => {
  it.each(['payload', 'envelope'] as const)(
    '%s: a follower replaying the events the store holds compactly gets the live bytes',
    async (framing) => {
      const manager = createStreamManager({ catalog: textCatalog })
      const live = await openFetch(manager, 'r', framing)
      const stream = manager.stream('agent:r')
      // More than the newest events the store keeps as live records (docs/core.md).
      for (let i = 0; i < 300; i++) {
        if (i % 3 === 0) stream.emit('note', { text: `n${i} "é"` })
        else if (i % 3 === 1) stream.emit('llm_chunk', `t${i}\n`)
        else stream.emit('tick', undefined)
      }
      stream.emit('complete', { status: 'SUCCESS' })
      const liveText = await live.end()
      const replay = await openFetch(manager, 'r', framing)
      expect(await replay.end()).toBe(liveText)
      expect(liveText.split('\nevent: ').length - 1).toBe(301)
    },
  )
})

describe('every SSE writer takes framing', () => {
  it('the Node handler writes the same bytes as the Fetch handler, in both framings', async () => {
    const manager = createStreamManager({ catalog: textCatalog })
    manager.stream('agent:n').emit('llm_chunk', 'a\nb')
    manager.stream('agent:n').emit('note', { text: 'x' })
    manager.stream('agent:n').emit('complete', { status: 'SUCCESS' })
    for (const framing of ['payload', 'envelope'] as const) {
      const node = await startServer(createNodeHandler(manager, { framing }))
      cleanups.push(() => node.close())
      const viaNode = await (await get(`${node.url}/api/v0/executions/agents/n/stream`)).end()
      const handler = createFetchHandler(manager, { framing })
      const viaFetch = await readBody((await handler(new Request(URL_OF('n')))).body).end()
      expect(viaNode).toBe(viaFetch)
      expect(viaNode.includes('data: a\ndata: b\n')).toBe(framing === 'payload')
      expect(viaNode.includes('"stream":"agent:n"')).toBe(framing === 'envelope')
    }
  })

  it('createSseResponse writes payloads by default and envelopes when asked', async () => {
    const manager = createStreamManager({ catalog: textCatalog })
    manager.stream('run:1').emit('llm_chunk', 'tok')
    manager.stream('run:1').emit('complete', { status: 'SUCCESS' })
    const request = () => new Request('http://localhost/runs/1')
    const payload = await readBody(
      (await createSseResponse(manager, request(), 'run:1')).body,
    ).end()
    expect(payload).toBe(
      `${OPENING}${await epochFrame(manager, 'run:1')}id: 1\nevent: llm_chunk\ndata: tok\n\nid: 2\nevent: complete\ndata: {"status":"SUCCESS"}\n\n`,
    )
    const envelope = await readBody(
      (await createSseResponse(manager, request(), 'run:1', { framing: 'envelope' })).body,
    ).end()
    expect(envelope).toContain('data: {"id":"1","type":"llm_chunk","stream":"run:1","ts":"')
    expect(envelope).toContain('","data":"tok"}\n\n')
  })

  it('sseTransport writes payloads by default and envelopes when asked', async () => {
    const payload = sseTransport()
    const envelope = sseTransport({ framing: 'envelope' })
    cleanups.push(
      () => payload.close(),
      () => envelope.close(),
    )
    const manager = createStreamManager({ catalog: textCatalog, transports: [payload, envelope] })
    const a = readBody(payload.response().body)
    const b = readBody(envelope.response().body)
    manager.stream('agent:t').emit('llm_chunk', 'x\ny')
    expect(await a.until((t) => t.endsWith('\n\n') && t.length > OPENING.length)).toBe(
      `${OPENING}id: 1\nevent: llm_chunk\ndata: x\ndata: y\n\n`,
    )
    expect(await b.until((t) => t.includes('"data":'))).toMatch(
      /^retry: 2000\n: ok\n\nid: 1\nevent: llm_chunk\ndata: \{"id":"1","type":"llm_chunk","stream":"agent:t","ts":"[^"]+","data":"x\\ny"\}\n\n$/,
    )
  })

  it('text mode sends a raw-text llm_chunk as it is', async () => {
    const manager = createStreamManager({ catalog: textCatalog })
    manager.stream('agent:x').emit('llm_chunk', 'Hello, ')
    manager.stream('agent:x').emit('llm_chunk', 'world.')
    manager.stream('agent:x').emit('complete', { status: 'SUCCESS' })
    const handler = createFetchHandler(manager)
    const response = await handler(new Request(`${URL_OF('x')}?format=text`))
    expect(await readBody(response.body).end()).toBe('Hello, world.')
  })
})
