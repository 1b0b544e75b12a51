import { afterEach, describe, expect, it } from 'vitest'
import { ResumableChatTransport } from '../../src/ai-sdk.js'
import { gates, recordingFetch } from '../ag-ui/helpers.js'
import { waitFor } from '../helpers/http.js'
import { AI_MAJOR } from './ai.js'
import { chatServer, lastMessage, sendOptions, textOf } from './helpers.js'

// ResumableChatTransport: every chunk once through drops, re-attaching, and the stop button.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const FAST = { initialDelayMs: 1, maxDelayMs: 5 }

/** A reply in four parts of three words, each part waiting for the test's gate. */
function gatedReply() {
  const gate = gates()
  const parts = [0, 1, 2, 3].map((part) => [0, 1, 2].map((word) => `p${part}w${word} `))
  const run = async function* () {
    yield { type: 'start', messageId: 'm1' }
    yield { type: 'text-start', id: 't1' }
    for (const [part, deltas] of parts.entries()) {
      if (part > 0) await gate.wait(part)
      for (const delta of deltas) yield { type: 'text-delta', id: 't1', delta }
    }
    yield { type: 'text-end', id: 't1' }
    yield { type: 'finish', finishReason: 'stop' }
  }
  return { gate, run, text: parts.flat().join('') }
}

describe(`ResumableChatTransport (ai@${AI_MAJOR})`, () => {
  it('gets every chunk once, in order, through three server-side drops', async () => {
    const { gate, run, text } = gatedReply()
    const served = await chatServer(run)
    cleanups.push(() => served.close())
    const recorder = recordingFetch()
    const transport = new ResumableChatTransport({
      api: served.api,
      fetch: recorder.fetch,
      reconnect: FAST,
      onError: () => undefined,
    })
    const stream = await transport.sendMessages(sendOptions('drops'))
    const chunks: { type: string }[] = []
    let drops = 0
    const reader = stream.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      const deltas = chunks.filter((chunk) => chunk.type === 'text-delta').length
      if (deltas === (drops + 1) * 3 && drops < 3) {
        drops++
        served.server.dropConnections()
        gate.open(drops)
      }
    }
    expect(drops).toBe(3)
    const stored: unknown[] = []
    const name = (await served.manager.store.read('chat-run:drops')).events[0]?.envelope
      .data as string
    for await (const event of served.manager.subscribe({ stream: name })) stored.push(event.data)
    expect(chunks).toEqual(stored)
    expect(chunks).toHaveLength(4 + 12)
    expect(recorder.requests[0]).toBe('POST /api/chat')
    expect(recorder.requests.slice(1)).toHaveLength(3)
    for (const request of recorder.requests.slice(1)) {
      // After its cursor: the last id, qualified with the stream's epoch.
      expect(request).toMatch(/^GET \/api\/chat\/drops\/stream after [a-z][0-9a-z]{9}\.\d+$/)
    }
    expect(
      chunks
        .filter((c) => c.type === 'text-delta')
        .map((c) => (c as unknown as { delta: string }).delta)
        .join(''),
    ).toBe(text)
  })

  it('re-attaches on page load to the running reply from its start, and gets null once it ended', async () => {
    const { gate, run, text } = gatedReply()
    const served = await chatServer(run)
    cleanups.push(() => served.close())
    const page = new ResumableChatTransport({ api: served.api, reconnect: FAST })
    const first = await page.sendMessages(sendOptions('reload'))
    // The page reads the first words, then is closed: its stream is cancelled, the run goes on.
    const reader = first.getReader()
    await reader.read()
    await reader.cancel()
    const reloaded = new ResumableChatTransport({ api: served.api, reconnect: FAST })
    const attached = await reloaded.reconnectToStream({ chatId: 'reload' })
    expect(attached).not.toBeNull()
    for (const part of [1, 2, 3]) gate.open(part)
    expect(textOf(await lastMessage(attached as ReadableStream))).toBe(text)
    expect(await reloaded.reconnectToStream({ chatId: 'reload' })).toBeNull()
    expect(await reloaded.reconnectToStream({ chatId: 'never-used' })).toBeNull()
  })

  it('close() releases the replies it follows without stopping them (Chat.dispose in ai@7)', async () => {
    const { gate, run, text } = gatedReply()
    const served = await chatServer(run)
    cleanups.push(() => served.close())
    const transport = new ResumableChatTransport({ api: served.api, reconnect: FAST })
    const stream = await transport.sendMessages(sendOptions('dispose'))
    const reader = stream.getReader()
    expect((await reader.read()).done).toBe(false)
    transport.close()
    // The followed reply ends for its reader, while the run goes on on the server.
    for (;;) if ((await reader.read()).done) break
    const attached = await transport.reconnectToStream({ chatId: 'dispose' })
    expect(attached).not.toBeNull()
    for (const part of [1, 2, 3]) gate.open(part)
    expect(textOf(await lastMessage(attached as ReadableStream))).toBe(text)
  })

  it("cancels the run when useChat's stop aborts the request, and errors the stream as fetch does", async () => {
    const served = await chatServer(async function* (_request, { signal }) {
      yield { type: 'start' }
      yield { type: 'text-start', id: 't1' }
      yield { type: 'text-delta', id: 't1', delta: 'Hel' }
      await new Promise((resolve) => signal.addEventListener('abort', resolve))
    })
    cleanups.push(() => served.close())
    const transport = new ResumableChatTransport({ api: served.api, reconnect: FAST })
    const stop = new AbortController()
    const stream = await transport.sendMessages(sendOptions('stop', stop.signal))
    const reader = stream.getReader()
    await reader.read()
    stop.abort()
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return
      })(),
    ).rejects.toMatchObject({ name: 'AbortError' })
    const pointer = (await served.manager.store.read('chat-run:stop')).events[0]?.envelope
      .data as string
    await waitFor(() => served.manager.stream(pointer).finished, 5000, 'the run to end')
    const { events } = await served.manager.store.read(pointer)
    expect(events.at(-1)?.envelope.data).toEqual({ type: 'abort', reason: 'Canceled by request.' })
  })
})
