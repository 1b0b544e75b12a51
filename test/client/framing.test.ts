import { describe, expect, test } from 'vitest'
import * as z from 'zod/mini'
import { connect, createStreamClient } from '../../src/client.js'
import { defineCatalog } from '../../src/core/catalog.js'
import { executionCatalog } from '../../src/index.js'
import { drain, fastOptions, frame, PREAMBLE, scriptedFetch, sseResponse } from './helpers.js'

// The two framings a server may write (docs/wire-format.md), as exact bytes: payload framing
// (`id:`, `event:`, the payload alone in `data:`; a string payload as raw text, one `data:` line
// per line) and runstream's envelope framing.

const URL = 'http://api.test/api/v0/executions/agents/a1/stream'

/** A payload frame as WIRE.md says the server writes it: a string raw, split on line breaks. */
function payload(id: number | undefined, type: string | undefined, data: unknown): string {
  const text = typeof data === 'string' ? data : JSON.stringify(data)
  const lines = text.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`)
  return `${id === undefined ? '' : `id: ${id}\n`}${type === undefined ? '' : `event: ${type}\n`}${lines.join('')}\n`
}

const tokens = defineCatalog(
  {
    token: z.string(),
    count: z.number(),
    flag: z.boolean(),
    either: z.union([z.string(), z.number()]),
    done: z.object({ ok: z.boolean() }),
  },
  { terminal: ['done'] },
)

describe('payload framing', () => {
  test('id and type come from the SSE fields, data is the payload, stream is the given name, and there is no ts', async () => {
    const fetch = scriptedFetch(
      sseResponse(
        PREAMBLE +
          payload(1, 'llm_chunk', { text: 'Hel' }) +
          payload(2, 'llm_chunk', { text: 'lo' }) +
          payload(3, 'complete', { status: 'SUCCESS' }),
      ),
    )
    const seen: unknown[] = []
    for await (const event of connect(URL, {
      ...fastOptions(),
      fetch,
      catalog: executionCatalog,
      stream: 'agent:a1',
    })) {
      seen.push(event)
    }
    expect(seen).toEqual([
      { id: '1', type: 'llm_chunk', data: { text: 'Hel' }, stream: 'agent:a1' },
      { id: '2', type: 'llm_chunk', data: { text: 'lo' }, stream: 'agent:a1' },
      { id: '3', type: 'complete', data: { status: 'SUCCESS' }, stream: 'agent:a1' },
    ])
    expect(seen.every((event) => !Object.hasOwn(event as object, 'ts'))).toBe(true)
  })

  test('raw text stays text when the schema takes a string: 42, true, null, "x", JSON-looking text, line breaks, nothing', async () => {
    const texts = [
      '42',
      'true',
      'null',
      '"x"',
      '{"a":1}',
      '[1,2]',
      ' spaced ',
      'a\nb\nc',
      '',
      '{',
      '-',
    ]
    const fetch = scriptedFetch(
      sseResponse(
        texts.map((text, i) => payload(i + 1, 'token', text)).join('') +
          payload(99, 'done', { ok: true }),
      ),
    )
    const errors: Parameters<typeof fastOptions>[0] = []
    const result = await drain(connect(URL, { ...fastOptions(errors), fetch, catalog: tokens }))
    expect(errors).toEqual([])
    expect(result.events.slice(0, -1).map((event) => event.data)).toEqual(texts)
    expect(result.events.at(-1)?.data).toEqual({ ok: true })
  })

  test('a payload whose schema is not a string is its JSON value; a string-or-number schema keeps the text', async () => {
    const fetch = scriptedFetch(
      sseResponse(
        payload(1, 'count', 42) +
          payload(2, 'count', -1.5) +
          payload(3, 'flag', false) +
          payload(4, 'either', 7) +
          payload(5, 'either', 'seven') +
          payload(6, 'done', { ok: false }),
      ),
    )
    const result = await drain(connect(URL, { ...fastOptions(), fetch, catalog: tokens }))
    expect(result.events.map((event) => event.data)).toEqual([
      42,
      -1.5,
      false,
      '7',
      'seven',
      { ok: false },
    ])
  })

  test('a payload that fails its schema either way is reported with the error of its JSON value', async () => {
    const fetch = scriptedFetch(
      sseResponse(
        payload(1, 'count', 'many') + payload(2, 'count', true) + payload(3, 'done', { ok: true }),
      ),
    )
    const errors: Parameters<typeof fastOptions>[0] = []
    const result = await drain(connect(URL, { ...fastOptions(errors), fetch, catalog: tokens }))
    expect(result.events.map((event) => event.id)).toEqual(['3'])
    expect(errors.map((e) => [e.error.code, e.error.details?.eventType, e.info.fatal])).toEqual([
      ['validation_failed', 'count', false],
      ['validation_failed', 'count', false],
    ])
  })

  test('createStreamClient names the stream of payload frames', async () => {
    const fetch = scriptedFetch(sseResponse(payload(1, 'complete', { status: 'SUCCESS' })))
    const client = createStreamClient({
      baseUrl: 'http://api.test',
      fetch,
      catalog: executionCatalog,
    })
    const seen: unknown[] = []
    for await (const event of client.task('t 1', fastOptions())) seen.push(event)
    expect(seen).toEqual([
      { id: '1', type: 'complete', data: { status: 'SUCCESS' }, stream: 'task:t 1' },
    ])
  })
})

describe('envelope framing, beside payload framing', () => {
  test('an envelope whose id and type match the SSE fields is the event, ts and stream included', async () => {
    const fetch = scriptedFetch(
      sseResponse(
        frame(1, 'llm_chunk', { text: 'a' }, 'agent:a1') +
          frame(2, 'complete', { status: 'SUCCESS' }, 'agent:a1'),
      ),
    )
    const seen: unknown[] = []
    for await (const event of connect(URL, {
      ...fastOptions(),
      fetch,
      catalog: executionCatalog,
      stream: 'ignored',
    })) {
      seen.push(event)
    }
    expect(seen[0]).toEqual({
      id: '1',
      type: 'llm_chunk',
      stream: 'agent:a1',
      ts: '2026-01-01T00:00:00.000Z',
      data: { text: 'a' },
    })
  })

  test('an object payload that merely looks like an envelope (another id or type) is a payload', async () => {
    const lookalike = { id: '9', type: 'note', stream: 's', ts: 't', data: 1 }
    const fetch = scriptedFetch(
      sseResponse(
        payload(1, 'note', lookalike) +
          payload(2, 'other', { ...lookalike, id: '2' }) +
          payload(3, 'complete', {}),
      ),
    )
    const result = await drain(connect(URL, { ...fastOptions(), fetch }))
    expect(result.events).toEqual([
      { id: '1', type: 'note', data: lookalike },
      { id: '2', type: 'other', data: { ...lookalike, id: '2' } },
      { id: '3', type: 'complete', data: {} },
    ])
  })
})

describe("other servers' framings", () => {
  test("the AI SDK's stream: data-only JSON frames, and data: [DONE] ends it without being an event", async () => {
    const parts = [
      { type: 'start', messageId: 'm1' },
      { type: 'text-start', id: '0' },
      { type: 'text-delta', id: '0', delta: 'Hi' },
      { type: 'text-end', id: '0' },
      { type: 'finish' },
    ]
    const fetch = scriptedFetch(
      sseResponse(
        `${parts.map((part) => `data: ${JSON.stringify(part)}\n\n`).join('')}data: [DONE]\n\n`,
      ),
    )
    const errors: Parameters<typeof fastOptions>[0] = []
    const subscription = connect('http://api.test/api/chat', {
      ...fastOptions(errors),
      fetch,
      terminal: [],
    })
    const result = await drain(subscription)
    expect(result).toEqual({ events: parts.map((data) => ({ id: '', type: 'message', data })) })
    expect(errors).toEqual([])
    expect(fetch.calls).toHaveLength(1)
    expect(subscription.readyState).toBe('closed')
  })

  test("AG-UI's stream ends at RUN_FINISHED with a terminal predicate, before the server closes", async () => {
    const events = [
      { type: 'RUN_STARTED', threadId: 't', runId: 'r' },
      { type: 'TEXT_MESSAGE_CONTENT', messageId: 'm', delta: 'Hello' },
      { type: 'RUN_FINISHED', threadId: 't', runId: 'r' },
      { type: 'CUSTOM', name: 'after the end' },
    ]
    const fetch = scriptedFetch(
      sseResponse(events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join('')),
    )
    const result = await drain(
      connect('http://api.test/agui', {
        ...fastOptions(),
        fetch,
        terminal: (event) => (event.data as { type?: string }).type === 'RUN_FINISHED',
      }),
    )
    expect(result.events.map((event) => (event.data as { type: string }).type)).toEqual([
      'RUN_STARTED',
      'TEXT_MESSAGE_CONTENT',
      'RUN_FINISHED',
    ])
    expect(fetch.calls).toHaveLength(1)
  })

  test('a terminal predicate sees the validated, typed event', async () => {
    const fetch = scriptedFetch(
      sseResponse(payload(1, 'count', 1) + payload(2, 'count', 2) + payload(3, 'count', 3)),
    )
    const result = await drain(
      connect(URL, {
        ...fastOptions(),
        fetch,
        catalog: tokens,
        terminal: (event) => event.type === 'count' && event.data === 2,
      }),
    )
    expect(result.events.map((event) => event.data)).toEqual([1, 2])
  })
})

describe('several streams on one connection', () => {
  test('envelopes of interleaved streams each keep their own cursor: nothing is taken for a replay', async () => {
    // What sseTransport's firehose writes: every stream's events, in emit order.
    const mixed = [
      frame(1, 'llm_chunk', { text: 'a1' }, 'agent:a'),
      frame(1, 'llm_chunk', { text: 'b1' }, 'agent:b'),
      frame(2, 'llm_chunk', { text: 'a2' }, 'agent:a'),
      frame(5, 'llm_chunk', { text: 'c5' }, 'agent:c'),
      frame(2, 'llm_chunk', { text: 'b2' }, 'agent:b'),
      frame(3, 'llm_chunk', { text: 'a3' }, 'agent:a'),
      frame(3, 'llm_chunk', { text: 'b3' }, 'agent:b'),
    ]
    const fetch = scriptedFetch(
      sseResponse(mixed.join('')),
      // A server that replays each stream from its start: what each stream has is dropped, per stream.
      sseResponse(
        [
          frame(2, 'llm_chunk', { text: 'a2' }, 'agent:a'),
          frame(3, 'llm_chunk', { text: 'b3' }, 'agent:b'),
          frame(3, 'llm_chunk', { text: 'a3' }, 'agent:a'),
          frame(4, 'llm_chunk', { text: 'a4' }, 'agent:a'),
          frame(3, 'llm_chunk', { text: 'b3' }, 'agent:b'),
          frame(4, 'llm_chunk', { text: 'b4' }, 'agent:b'),
          frame(6, 'complete', { status: 'SUCCESS' }, 'agent:c'),
        ].join(''),
      ),
    )
    const result = await drain(connect('http://api.test/debug/events', { ...fastOptions(), fetch }))
    expect(
      result.events.map((event) => (event.data as { text?: string }).text ?? event.type),
    ).toEqual(['a1', 'b1', 'a2', 'c5', 'b2', 'a3', 'b3', 'a4', 'b4', 'complete'])
  })

  test('payload frames of several streams (no stream in the frame) are all delivered, whatever their ids', async () => {
    const fetch = scriptedFetch(
      sseResponse(
        payload(7, 'llm_chunk', { text: 'a7' }) +
          payload(2, 'llm_chunk', { text: 'b2' }) +
          payload(8, 'llm_chunk', { text: 'a8' }) +
          payload(1, 'llm_chunk', { text: 'c1' }) +
          payload(3, 'complete', { status: 'SUCCESS' }),
      ),
    )
    const result = await drain(connect('http://api.test/debug/events', { ...fastOptions(), fetch }))
    expect(result.events.map((event) => event.id)).toEqual(['7', '2', '8', '1', '3'])
  })

  test('a stream that starts over (ids from 1) on an open connection is followed, not dropped', async () => {
    const fetch = scriptedFetch(
      sseResponse(
        payload(49, 'llm_chunk', { text: 'old' }) +
          payload(50, 'llm_chunk', { text: 'old' }) +
          payload(1, 'llm_chunk', { text: 'new' }) +
          payload(2, 'complete', { status: 'SUCCESS' }),
      ),
    )
    const subscription = connect(URL, { ...fastOptions(), fetch, lastEventId: '48' })
    const result = await drain(subscription)
    expect(result.events.map((event) => event.id)).toEqual(['49', '50', '1', '2'])
    expect(subscription.lastEventId).toBe('2')
  })
})
