/**
 * runstream's client reading what other servers write, byte for byte as their own encoders write
 * it: AG-UI's `EventEncoder` (the whole event in `data:`, no `id:` or `event:`) and the AI SDK's
 * `JsonToSseTransformStream` (one chunk per `data:`, ended by `data: [DONE]`). And runstream's own
 * server in both of its framings, giving the client the same events.
 */
import { type BaseEvent, EventType } from '@ag-ui/core'
import { EventEncoder } from '@ag-ui/encoder'
import { JsonToSseTransformStream, type UIMessageChunk } from 'ai'
import { afterEach, describe, expect, it } from 'vitest'
import { connect } from '../../src/client.js'
import { executionCatalog } from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'
import type { SseFraming } from '../../src/server/options.js'
import { startServer } from '../helpers/http.js'
import { testManager } from '../helpers/server.js'
import { drain, fastOptions, scriptedFetch, sseResponse } from './helpers.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** The bytes the AI SDK's own transform writes for `chunks`, `data: [DONE]` included. */
async function aiSdkBytes(chunks: UIMessageChunk[]): Promise<string> {
  const transform = new JsonToSseTransformStream()
  const writer = transform.writable.getWriter()
  const reading = (async () => {
    const reader = transform.readable.getReader()
    let text = ''
    for (let read = await reader.read(); !read.done; read = await reader.read()) text += read.value
    return text
  })()
  for (const chunk of chunks) await writer.write(chunk)
  await writer.close()
  return reading
}

describe('the client reads foreign framings as they are written', () => {
  it("takes AG-UI's EventEncoder output, ending on RUN_FINISHED by a terminal predicate", async () => {
    const encoder = new EventEncoder()
    const events = [
      { type: EventType.RUN_STARTED, threadId: 't1', runId: 'r1' },
      { type: EventType.TEXT_MESSAGE_START, messageId: 'm1', role: 'assistant' },
      { type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'm1', delta: '42' },
      { type: EventType.TEXT_MESSAGE_CONTENT, messageId: 'm1', delta: ' is "the" answer' },
      { type: EventType.TEXT_MESSAGE_END, messageId: 'm1' },
      { type: EventType.RUN_FINISHED, threadId: 't1', runId: 'r1' },
    ] as BaseEvent[]
    const bytes = events.map((event) => encoder.encodeSSE(event)).join('')
    const fetch = scriptedFetch(sseResponse(bytes))
    const subscription = connect('http://agui.test/run', {
      ...fastOptions(),
      fetch,
      terminal: (event) => (event.data as { type?: string }).type === 'RUN_FINISHED',
    })
    const { events: received, error } = await drain(subscription)
    expect(error).toBeUndefined()
    // No `event:` line: every event is a `message` whose data is the AG-UI event, unchanged.
    expect(received.map((event) => event.type)).toEqual(events.map(() => 'message'))
    expect(received.map((event) => event.data)).toEqual(events)
    // The stream ended on the predicate: no reconnect was attempted.
    expect(fetch.calls).toHaveLength(1)
  })

  it("takes the AI SDK's UI message stream, ending on data: [DONE] without an event for it", async () => {
    const chunks: UIMessageChunk[] = [
      { type: 'start', messageId: 'msg-1' },
      { type: 'text-start', id: 'text-1' },
      { type: 'text-delta', id: 'text-1', delta: 'null' },
      { type: 'text-delta', id: 'text-1', delta: ' and\nmore' },
      { type: 'text-end', id: 'text-1' },
      { type: 'finish' },
    ]
    const bytes = await aiSdkBytes(chunks)
    expect(bytes.endsWith('data: [DONE]\n\n')).toBe(true)
    const fetch = scriptedFetch(sseResponse(bytes))
    const { events: received, error } = await drain(
      connect('http://ai.test/api/chat', { ...fastOptions(), fetch, terminal: () => false }),
    )
    expect(error).toBeUndefined()
    expect(received.map((event) => event.data)).toEqual(chunks)
    expect(fetch.calls).toHaveLength(1)
  })
})

describe("runstream's server in both framings", () => {
  it.each<SseFraming>(['payload', 'envelope'])(
    'gives the client the same events, raw text kept, in %s framing',
    async (framing) => {
      const { manager } = testManager()
      const handler = createNodeHandler(manager, { framing })
      const server = await startServer((req, res) => void handler(req, res))
      cleanups.push(() => server.close())
      const producer = manager.stream('agent:both')
      const texts = ['42', 'true', 'null', '"x"', 'two\nlines', '']
      for (const text of texts) producer.emit('llm_chunk', { text })
      producer.emit('complete', { status: 'SUCCESS' })

      const { events, error } = await drain(
        connect(`${server.url}/api/v0/executions/agents/both/stream`, {
          ...fastOptions(),
          catalog: executionCatalog,
          stream: 'agent:both',
        }),
      )
      expect(error).toBeUndefined()
      expect(events.map((event) => event.id)).toEqual(['1', '2', '3', '4', '5', '6', '7'])
      expect(events.slice(0, 6).map((event) => event.data)).toEqual(texts.map((text) => ({ text })))
      expect(events.at(-1)).toMatchObject({ type: 'complete', data: { status: 'SUCCESS' } })
    },
  )
})
