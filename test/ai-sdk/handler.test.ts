import { afterEach, describe, expect, it } from 'vitest'
import { readBody } from '../helpers/http.js'
import { AI_MAJOR, ai, mockModel, words } from './ai.js'
import { chatServer, lastMessage, sendOptions, textOf, USER_MESSAGE } from './helpers.js'

// createChatHandler with the AI SDK's own, unmodified DefaultChatTransport and a real streamText.

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function streamTextServer(deltas: readonly string[], delayMs = 0) {
  const served = await chatServer((_request, { signal }) =>
    ai.streamText({ model: mockModel(deltas, delayMs), prompt: 'hi', abortSignal: signal }),
  )
  cleanups.push(() => served.close())
  return served
}

describe(`createChatHandler (ai@${AI_MAJOR})`, () => {
  it('DefaultChatTransport sends a message and reads the whole reply of a real streamText', async () => {
    const { api, errors } = await streamTextServer(['Hello', ', world'])
    const transport = new ai.DefaultChatTransport({ api })
    const stream = await transport.sendMessages(sendOptions('c1'))
    const message = await lastMessage(stream)
    expect(message?.role).toBe('assistant')
    expect(textOf(message)).toBe('Hello, world')
    expect(errors).toEqual([])
  })

  it("DefaultChatTransport's reconnectToStream gets null for a finished chat and a chat with none", async () => {
    const { api } = await streamTextServer(['Hello'])
    const transport = new ai.DefaultChatTransport({ api })
    await lastMessage(await transport.sendMessages(sendOptions('done')))
    expect(await transport.reconnectToStream({ chatId: 'done' })).toBeNull()
    expect(await transport.reconnectToStream({ chatId: 'never' })).toBeNull()
  })

  it("DefaultChatTransport's reconnectToStream attaches to a running reply from its start", async () => {
    const { api } = await streamTextServer(words(40), 5)
    const transport = new ai.DefaultChatTransport({ api })
    const sending = lastMessage(await transport.sendMessages(sendOptions('running')))
    const attached = await transport.reconnectToStream({ chatId: 'running' })
    expect(attached).not.toBeNull()
    const [first, second] = await Promise.all([sending, lastMessage(attached as ReadableStream)])
    expect(textOf(second)).toBe(words(40).join(''))
    expect(textOf(first)).toBe(textOf(second))
  })

  it("writes the AI SDK's framing: its header, chunks with ids, data: [DONE] at the end", async () => {
    const { api } = await streamTextServer(['Hi'])
    const response = await fetch(api, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'bytes', messages: [USER_MESSAGE], trigger: 'submit-message' }),
    })
    expect(response.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1')
    const location = response.headers.get('location') ?? ''
    expect(location).toMatch(/^\/api\/chat\/bytes\/stream\?runId=[\w-]+$/)
    const text = await readBody(response.body).end()
    // After the opening, the epoch frame (an id alone, which the AI SDK's reader skips).
    expect(text).toMatch(
      /^retry: 1\n: ok\n\nid: [a-z][0-9a-z]{9}\.0\n\nid: 1\nevent: start\ndata: \{"type":"start"\}\n\n/,
    )
    expect(text).toContain(
      'event: text-delta\ndata: {"type":"text-delta","id":"t1","delta":"Hi"}\n\n',
    )
    expect(
      text.endsWith(
        'event: finish\ndata: {"type":"finish","finishReason":"stop"}\n\ndata: [DONE]\n\n',
      ),
    ).toBe(true)
    // The run's own stream keeps its history; after its last id, 204.
    const origin = new URL(api).origin
    const history = await fetch(`${origin}${location}`)
    expect(await readBody(history.body).end()).toContain('event: finish')
    const lastId = /id: (\d+)\nevent: finish\n/.exec(text)?.[1]
    expect(
      (await fetch(`${origin}${location}`, { headers: { 'last-event-id': lastId ?? '' } })).status,
    ).toBe(204)
  })

  it('refuses a body that is no chat request, answers 404 off its routes', async () => {
    const { api } = await streamTextServer(['Hi'])
    const bad = await fetch(api, { method: 'POST', body: '{"messages": 1}' })
    expect(bad.status).toBe(400)
    expect((await fetch(`${api}/c1/other`)).status).toBe(404)
    expect((await fetch(`${api}/c1/stream`, { method: 'POST' })).status).toBe(405)
  })

  it('ends a failing run with the masked error chunk and finish, and reports the failure', async () => {
    const served = await chatServer(async function* () {
      yield { type: 'start' }
      throw new Error('secret: the key expired')
    })
    cleanups.push(() => served.close())
    const transport = new ai.DefaultChatTransport({ api: served.api })
    const stream = await transport.sendMessages(sendOptions('fails'))
    const chunks: { type: string; errorText?: string }[] = []
    for await (const chunk of stream as unknown as AsyncIterable<{ type: string }>)
      chunks.push(chunk)
    expect(chunks).toEqual([
      { type: 'start' },
      { type: 'error', errorText: 'An error occurred.' },
      { type: 'finish', finishReason: 'error' },
    ])
    expect(served.errors.map((error) => error.message).join()).toContain('the key expired')
  })
})
