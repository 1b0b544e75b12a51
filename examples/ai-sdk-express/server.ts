/**
 * A useChat app on Express whose replies survive dropped connections, closed tabs and reloads:
 * createChatHandler serves the AI SDK's own routes (`POST /api/chat`, `GET /api/chat/:id/stream`)
 * and the page (App.tsx, bundled with esbuild) uses useChat with ResumableChatTransport. The model
 * is the AI SDK's mock, so it runs without a key: put `openai('gpt-4o')` (or any model) in its place.
 * Run it: `npx tsx examples/ai-sdk-express/server.ts`, then open http://localhost:3000.
 */
import type { AddressInfo } from 'node:net'
import { convertToModelMessages, streamText } from 'ai'
import { MockLanguageModelV3, simulateReadableStream } from 'ai/test'
import express from 'express'
import { createStreamManager } from 'runstream'
import { createChatHandler, uiMessageCatalog } from 'runstream/ai-sdk'
import { toNodeHandler } from 'runstream/node'
import { loadPage } from '../shared/page.js'

const delayMs = Number(process.env.EXAMPLE_DELAY_MS ?? 60)
const reply =
  'Every chunk of this reply is an event in runstream’s store. Reload the page or cut the network: the reply picks up where it was, and the model call never runs twice.'

/** A made-up model that streams `reply` word by word. */
const model = new MockLanguageModelV3({
  doStream: async () => ({
    stream: simulateReadableStream({
      chunkDelayInMs: delayMs,
      chunks: [
        { type: 'stream-start', warnings: [] },
        { type: 'text-start', id: 't1' },
        ...reply.split(/(?<= )/).map((delta) => ({ type: 'text-delta' as const, id: 't1', delta })),
        { type: 'text-end', id: 't1' },
        {
          type: 'finish',
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: {
            inputTokens: { total: 3, noCache: 3, cacheRead: 0, cacheWrite: 0 },
            outputTokens: { total: 30, text: 30, reasoning: 0 },
          },
        },
      ],
    }),
  }),
})

const manager = createStreamManager({ catalog: uiMessageCatalog })
const chat = createChatHandler(manager, {
  run: async ({ messages }, { signal }) =>
    streamText({ model, messages: await convertToModelMessages(messages), abortSignal: signal }),
})

const { html, script } = await loadPage(new URL('main.tsx', import.meta.url))

const app = express()
app.get('/', (_req, res) => {
  res.type('html').send(html)
})
app.get('/main.js', (_req, res) => {
  res.type('js').send(script)
})
// POST /api/chat, GET /api/chat/:id/stream, POST /api/chat/:id/cancel; anything else goes on.
app.use(toNodeHandler(chat))

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`Open http://localhost:${(server.address() as AddressInfo).port}`)
})
