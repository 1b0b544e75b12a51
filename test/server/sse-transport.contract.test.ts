import { afterEach, describe, expect, it } from 'vitest'
import { createStreamManager } from '../../src/index.js'
import { sseTransport } from '../../src/server.js'
import { contractCatalog, transportContract } from '../contract/transport.js'
import { parseSse, readBody, waitFor } from '../helpers/http.js'

/** The data lines of the event frames a response received, as the envelope JSON texts. */
function dataOf(text: string): string[] {
  return parseSse(text)
    .filter((message) => message.id !== undefined)
    .map((message) => message.data)
}

// The contract reads envelopes back: the transport writes them whole with framing: 'envelope'.
transportContract('sse', () => {
  const transport = sseTransport({ framing: 'envelope' })
  const body = readBody(transport.response().body)
  return {
    transport,
    async received(count) {
      await body.until((text) => dataOf(text).length >= count, 10_000)
      return dataOf(body.text).slice(0, count)
    },
    async close() {
      transport.close()
      await body.cancel()
    },
  }
})

describe('sseTransport', () => {
  const cleanups: (() => unknown)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  it('sends every response the same frames, opening with retry and a comment', async () => {
    const transport = sseTransport({ retryMs: 300 })
    cleanups.push(() => transport.close())
    const manager = createStreamManager({ catalog: contractCatalog, transports: [transport] })
    const a = readBody(transport.response().body)
    const b = readBody(transport.response().body)
    expect(transport.connections).toBe(2)
    manager.stream('firehose:1').emit('note', { text: 'x', n: 1 })
    manager.stream('firehose:2').emit('done', { ok: true })
    const expected = (text: string) => dataOf(text).length === 2
    const [textA, textB] = await Promise.all([a.until(expected), b.until(expected)])
    expect(textA).toBe(textB)
    // Payload framing by default: the envelope's id and type in the SSE fields, its data alone.
    expect(textA).toBe(
      'retry: 300\n: ok\n\nid: 1\nevent: note\ndata: {"text":"x","n":1}\n\nid: 1\nevent: done\ndata: {"ok":true}\n\n',
    )
  })

  it("writes whole envelopes with framing: 'envelope'", async () => {
    const transport = sseTransport({ framing: 'envelope' })
    cleanups.push(() => transport.close())
    const manager = createStreamManager({ catalog: contractCatalog, transports: [transport] })
    const body = readBody(transport.response().body)
    manager.stream('firehose:1').emit('note', { text: 'x', n: 1 })
    const text = await body.until((t) => dataOf(t).length === 1)
    const envelope = JSON.parse(dataOf(text)[0] ?? '')
    expect(envelope).toMatchObject({ id: '1', type: 'note', stream: 'firehose:1' })
    expect(text).toBe(
      `retry: 2000\n: ok\n\nid: 1\nevent: note\ndata: ${JSON.stringify(envelope)}\n\n`,
    )
  })

  it('ends a response that falls behind and keeps serving the others', async () => {
    const errors: string[] = []
    const transport = sseTransport({ maxQueuedBytes: 2000, onError: (e) => errors.push(e.code) })
    cleanups.push(() => transport.close())
    const manager = createStreamManager({ catalog: contractCatalog, transports: [transport] })
    const stalled = transport.response()
    const reading = readBody(transport.response().body)
    const stream = manager.stream('firehose:slow')
    for (let n = 1; n <= 50; n++) {
      stream.emit('note', { text: 'y'.repeat(100), n })
      await new Promise((resolve) => setImmediate(resolve))
    }
    await reading.until((text) => dataOf(text).length === 50)
    expect(errors).toEqual(['subscriber_overflow'])
    expect(transport.connections).toBe(1)
    const text = await new Response(stalled.body).text()
    expect(parseSse(text).at(-1)?.event).toBe('runstream.error')
  })

  it('releases a response whose request aborts, and refuses new ones once closed', async () => {
    const transport = sseTransport()
    const controller = new AbortController()
    const response = transport.response(new Request('http://x/', { signal: controller.signal }))
    expect(transport.connections).toBe(1)
    controller.abort()
    await waitFor(() => transport.connections === 0)
    await response.body?.cancel()
    transport.close()
    expect(transport.response().status).toBe(503)
  })
})
