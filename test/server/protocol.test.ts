import { afterEach, describe, expect, it } from 'vitest'
import * as z from 'zod'
import { connect } from '../../src/client.js'
import { createStreamManager, defineCatalog } from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'
import { createFetchHandler, createSseResponse, type SseProtocol } from '../../src/server.js'
import { get, readBody, startServer } from '../helpers/http.js'

// The `protocol` option of docs/wire-format.md: what control events hold and what ends a stream,
// for AG-UI's HttpAgent and the AI SDK's transports, which read every `data:` as their own event.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Payloads that are the protocol's own events, `type` included, as the adapters store them. */
const catalog = defineCatalog(
  {
    'text-delta': z.looseObject({ type: z.literal('text-delta'), delta: z.string() }),
    finish: z.looseObject({ type: z.literal('finish') }),
  },
  { terminal: ['finish'] },
)

const URL_OF = (id: string) => `http://localhost/api/v0/executions/agents/${id}/stream`
const ABORTED = 'The server is closing this stream. Reconnect with Last-Event-ID to resume.'

function managerWith(id: string, finish: boolean) {
  const manager = createStreamManager({ catalog })
  const stream = manager.stream(`agent:${id}`)
  stream.emit('text-delta', { type: 'text-delta', delta: 'Hel' })
  if (finish) stream.emit('finish', { type: 'finish' })
  return manager
}

describe('protocol', () => {
  it("'ai-sdk': its header, the event frames unchanged, and data: [DONE] after the terminal event", async () => {
    const manager = managerWith('d', true)
    const handler = createFetchHandler(manager, { protocol: 'ai-sdk' })
    const response = await handler(new Request(URL_OF('d')))
    expect(response.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1')
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    // The epoch frame (an id alone) dispatches nothing in the AI SDK's reader either.
    const { epoch } = await manager.store.read('agent:d')
    expect(await readBody(response.body).end()).toBe(
      'retry: 2000\n: ok\n\n' +
        `id: ${epoch}.0\n\n` +
        'id: 1\nevent: text-delta\ndata: {"type":"text-delta","delta":"Hel"}\n\n' +
        'id: 2\nevent: finish\ndata: {"type":"finish"}\n\n' +
        'data: [DONE]\n\n',
    )
  })

  it.each([
    ['runstream', `{"code":"aborted","message":"${ABORTED}"}`],
    ['ag-ui', `{"type":"RUN_ERROR","message":"${ABORTED}","code":"aborted"}`],
    ['ai-sdk', `{"type":"error","errorText":"${ABORTED}","code":"aborted","message":"${ABORTED}"}`],
  ] as const)(
    "%s: a runstream.error holds the protocol's error event, without [DONE]",
    async (protocol, data) => {
      const handler = createFetchHandler(managerWith('e', false), { protocol, heartbeatMs: 20 })
      const body = readBody((await handler(new Request(URL_OF('e')))).body)
      cleanups.push(() => body.cancel())
      await body.until((t) => t.includes('"delta":"Hel"'))
      handler.close()
      const text = await body.end()
      expect(text.endsWith(`event: runstream.error\ndata: ${data}\n\n`)).toBe(true)
      expect(text).not.toContain('[DONE]')
    },
  )

  it.each([
    ['runstream', '{"reason":"unknown","after":"9","firstId":"1","lastId":"1"}'],
    [
      'ag-ui',
      '{"type":"RUN_ERROR","message":"Events after 9 are gone (unknown); the stream goes on from the oldest event held.","code":"cursor_expired","reason":"unknown","after":"9","firstId":"1","lastId":"1"}',
    ],
    [
      'ai-sdk',
      '{"type":"error","errorText":"Events after 9 are gone (unknown); the stream goes on from the oldest event held.","code":"cursor_expired","message":"Events after 9 are gone (unknown); the stream goes on from the oldest event held.","reason":"unknown","after":"9","firstId":"1","lastId":"1"}',
    ],
  ] as const)(
    '%s: a runstream.gap holds the protocol error event and the gap',
    async (protocol, data) => {
      const manager = managerWith('g', false)
      const handler = createFetchHandler(manager, { protocol })
      const body = readBody(
        (await handler(new Request(URL_OF('g'), { headers: { 'last-event-id': '9' } }))).body,
      )
      cleanups.push(() => body.cancel())
      const text = await body.until((t) => t.includes('"delta":"Hel"'))
      const { epoch } = await manager.store.read('agent:g')
      expect(text.slice(0, text.indexOf('id: 1\n'))).toBe(
        `retry: 2000\n: ok\n\nevent: runstream.gap\ndata: ${data}\n\nid: ${epoch}.0\n\n`,
      )
    },
  )

  it("runstream's client still reads both control events in the 'ai-sdk' protocol", async () => {
    const manager = managerWith('c', false)
    const handler = createFetchHandler(manager, { protocol: 'ai-sdk', retryMs: 1 })
    const node = await startServer(createNodeHandler(manager, { protocol: 'ai-sdk', retryMs: 1 }))
    cleanups.push(() => node.close())
    const codes: string[] = []
    let attempts = 0
    const subscription = connect(`${node.url}/api/v0/executions/agents/c/stream`, {
      lastEventId: '9',
      reconnect: { initialDelayMs: 1, maxDelayMs: 5 },
      onError(error) {
        codes.push(error.code)
        // Resumed on the Node handler: the run may end now.
        if (error.code === 'aborted') manager.stream('agent:c').emit('finish', { type: 'finish' })
      },
      // The first attempt is served by the Fetch handler, closed once the event arrived.
      fetch: (url, init) => (++attempts === 1 ? handler(new Request(url, init)) : fetch(url, init)),
    })
    const seen: unknown[] = []
    for await (const event of subscription) {
      seen.push(event.data)
      if (seen.length === 1) handler.close()
    }
    expect(codes).toEqual(['cursor_expired', 'aborted'])
    expect(seen).toEqual([{ type: 'text-delta', delta: 'Hel' }, { type: 'finish' }])
  })

  it('the Node handler and createSseResponse write the same bytes', async () => {
    const manager = managerWith('n', true)
    for (const protocol of ['runstream', 'ag-ui', 'ai-sdk'] as SseProtocol[]) {
      const node = await startServer(createNodeHandler(manager, { protocol }))
      cleanups.push(() => node.close())
      const viaNode = await get(`${node.url}/api/v0/executions/agents/n/stream`)
      const viaResponse = await createSseResponse(manager, new Request(URL_OF('n')), 'agent:n', {
        protocol,
      })
      expect(await viaNode.end()).toBe(await readBody(viaResponse.body).end())
      expect(viaNode.headers['x-vercel-ai-ui-message-stream']).toBe(
        protocol === 'ai-sdk' ? 'v1' : undefined,
      )
    }
  })

  it('refuses an unknown protocol, and envelope framing with a protocol of events', () => {
    const manager = managerWith('x', true)
    expect(() => createFetchHandler(manager, { protocol: 'sse' as SseProtocol })).toThrowError(
      /`protocol` must be 'runstream' \(the default\), 'ag-ui' or 'ai-sdk'/,
    )
    expect(() =>
      createFetchHandler(manager, { protocol: 'ag-ui', framing: 'envelope' }),
    ).toThrowError(/needs `framing: 'payload'`/)
  })
})
