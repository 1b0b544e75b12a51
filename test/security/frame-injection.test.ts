import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { connect } from '../../src/client.js'
import {
  createStreamManager,
  type DraftEvent,
  defineCatalog,
  type EventRecord,
  type EventStore,
  executionCatalog,
  memoryStore,
  type RunstreamError,
} from '../../src/index.js'
import { parseSse } from '../helpers/http.js'
import { collect, type Runstream, startRunstream } from '../reliability/harness.js'
import { rawGet } from './raw-http.js'

// CR, LF and NUL are what SSE frames are made of: wherever untrusted text meets the wire (event
// names, ids, cursors, filters), none of them may start a frame of its own.

let runstream: Runstream | undefined
afterEach(async () => {
  await runstream?.close()
  runstream = undefined
})

/** A draft as a store receives it, with any type: what another producer might have stored. */
function draft(type: string, data: unknown, stream = 'workflow:w1'): DraftEvent {
  const ts = '2026-01-01T00:00:00.000Z'
  const body = `"type":${JSON.stringify(type)},"stream":${JSON.stringify(stream)},"ts":"${ts}","data":${JSON.stringify(data)}}`
  return { type, stream, ts, data, terminal: type === 'complete', body }
}

describe('event names', () => {
  it('refuses an event type with CR, LF or NUL at emit, even with validation off', () => {
    const errors: RunstreamError[] = []
    const store = memoryStore()
    const manager = createStreamManager({
      catalog: executionCatalog,
      store,
      validate: false,
      onError: (error) => errors.push(error),
    })
    const stream = manager.stream('workflow:w1')
    for (const type of ['x\nid: 999\nevent: complete', 'a\rb', 'nul\0', '\n', '']) {
      stream.emit(type as 'llm_chunk', { text: 'injected' })
    }
    stream.emit('llm_chunk', { text: 'fine' })
    expect(store.read('workflow:w1').events.map((record) => record.envelope.data)).toEqual([
      { text: 'fine' },
    ])
    expect(errors.map((error) => error.code)).toEqual(Array(5).fill('unknown_event'))
    expect(errors[0]?.message).toContain('control characters')
  })

  it('refuses to define a catalog whose event names contain control characters', () => {
    expect(() => defineCatalog({ 'ok\nevent: complete': z.object({}) })).toThrow(
      /invalid event name/,
    )
    expect(() => defineCatalog({ 'nul\0': z.object({}) })).toThrow(TypeError)
    expect(() => defineCatalog({ '': z.object({}) })).toThrow(TypeError)
    expect(defineCatalog({ 'emoji 🚀 and spaces': z.object({}) }).names).toHaveLength(1)
  })

  it('skips a stored record whose type cannot be framed, reports it, and keeps the stream going', async () => {
    // Another producer (another language, an old version) wrote straight to the shared store.
    const store = memoryStore()
    store.append(draft('llm_chunk', { text: 'one' }))
    store.append(draft('llm_chunk\nid: 999\nevent: complete', { text: 'poison' }))
    store.append(draft('llm_chunk', { text: 'three' }))
    store.append(draft('complete', { status: 'SUCCESS' }))
    runstream = await startRunstream({ store })
    const { body, frames } = await streamFrames(runstream.url)
    expect(body).not.toContain('id: 999')
    // Every frame of the body is one of ours: the poisoned record added none.
    expect(frames.map((frame) => [frame.id, frame.event])).toEqual([
      ['1', 'llm_chunk'],
      ['3', 'llm_chunk'],
      ['4', 'complete'],
    ])
    expect(runstream.errors.map((error) => [error.code, error.details?.id])).toEqual([
      ['serialization_failed', '2'],
    ])
  })

  it('never frames an epoch that is not one, found in a shared store, and keeps the stream going', async () => {
    // A foreign producer wrote the stream's epoch itself: a line break in it would inject frames.
    const inner = memoryStore()
    const poisoned = (record: EventRecord): EventRecord => ({
      ...record,
      epoch: 'x\nevent: complete\ndata: {}\n\nid: 999',
    })
    const store: EventStore = {
      append: (d) => poisoned(inner.append(d)),
      read: (stream, options) => {
        const page = inner.read(stream, options)
        return {
          ...page,
          events: page.events.map(poisoned),
          epoch: poisoned(page.events[0] as EventRecord).epoch,
        }
      },
      listen: (stream, listener) =>
        inner.listen(stream, { event: (record) => listener.event(poisoned(record)) }),
    }
    store.append(draft('llm_chunk', { text: 'one' }))
    store.append(draft('llm_chunk', { text: 'two' }))
    store.append(draft('complete', { status: 'SUCCESS' }))
    runstream = await startRunstream({ store })
    const { body, frames } = await streamFrames(runstream.url)
    expect(body).not.toContain('id: 999')
    expect(frames.map((frame) => [frame.id, frame.event])).toEqual([
      ['1', 'llm_chunk'],
      ['2', 'llm_chunk'],
      ['3', 'complete'],
    ])
    expect(runstream.errors).toEqual([])
  })

  it('refuses a cursor whose epoch is not one, before any frame', async () => {
    runstream = await startRunstream()
    for (const cursor of [
      'x%0A.5',
      'x%0D.5',
      'x%00.5',
      '1.5',
      `${'a'.repeat(33)}.5`,
      '%2E5',
      'a.%0A5',
    ]) {
      const answer = await rawGet(
        runstream.url,
        `/api/v0/executions/workflows/w1/stream?lastEventId=${cursor}`,
      )
      expect(answer.raw.startsWith('HTTP/1.1 400'), cursor).toBe(true)
      expect(answer.raw).toContain('invalid_cursor')
      expect(answer.raw).not.toContain('text/event-stream')
    }
  })

  it('keeps a runstream client on a stream with such a record from reconnecting forever', async () => {
    const store = memoryStore()
    store.append(draft('llm_chunk', { text: 'one' }))
    store.append(draft('bad\r\ntype', { text: 'poison' }))
    store.append(draft('complete', { status: 'SUCCESS' }))
    runstream = await startRunstream({ store })
    const errors: RunstreamError[] = []
    const events = await collect(
      connect(runstream.streamUrl('workflow', 'w1'), {
        reconnect: { maxRetries: 2, initialDelayMs: 1, jitter: false },
        onError: (error) => errors.push(error),
      }),
    )
    expect(events.map((event) => event.id)).toEqual(['1', '3'])
    expect(errors).toEqual([])
  })
})

describe('request input', () => {
  it.each([
    ['a cursor with an encoded line break', '?lastEventId=1%0Aevent:%20complete', 'invalid_cursor'],
    ['a cursor with an encoded NUL', '?lastEventId=1%00', 'invalid_cursor'],
    ['an events filter with a line break', '?events=llm_chunk%0Aid:%209', 'unknown_event'],
    ['an events filter with a NUL', '?events=complete%00', 'unknown_event'],
  ])('refuses %s with a JSON 400 before any stream byte', async (_, query, code) => {
    runstream = await startRunstream()
    runstream.manager.stream('workflow:w1').emit('llm_chunk', { text: 'x' })
    const answer = await rawGet(runstream.url, `/api/v0/executions/workflows/w1/stream${query}`)
    expect(answer.status).toBe(400)
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(answer.raw).not.toMatch(/\n(id|event|data): /)
    const json = JSON.parse(answer.raw.slice(answer.raw.indexOf('{')).replace(/\r\n0\r\n\r\n$/, ''))
    expect(json.error.code).toBe(code)
  })

  it.each([
    ['a bare CR', '1\revent: complete'],
    ['a NUL', '1\0'],
  ])('never streams to a request whose Last-Event-ID header carries %s', async (_, value) => {
    runstream = await startRunstream()
    runstream.manager.stream('workflow:w1').emit('llm_chunk', { text: 'x' })
    const answer = await rawGet(runstream.url, '/api/v0/executions/workflows/w1/stream', {
      'Last-Event-ID': value,
    })
    // Node's HTTP parser refuses it before the handler sees it: no frame at all.
    expect(answer.status).toBe(400)
    expect(answer.raw).not.toMatch(/\n(id|event|data): /)
  })

  it('refuses a client cursor with CR, LF or NUL before sending anything', () => {
    for (const lastEventId of ['1\n', '1\r', '1\0x']) {
      expect(() => connect('http://127.0.0.1:1/s', { lastEventId })).toThrow(TypeError)
    }
  })
})

/** GETs the stream `workflow:w1` on a raw socket: the body as sent, and its frames unchunked. */
async function streamFrames(url: string) {
  const answer = await rawGet(url, '/api/v0/executions/workflows/w1/stream')
  const body = answer.raw.slice(answer.raw.indexOf('\r\n\r\n') + 4)
  return { body, frames: parseSse(body.replace(/^[0-9a-f]+\r\n|\r\n/gm, '')) }
}
