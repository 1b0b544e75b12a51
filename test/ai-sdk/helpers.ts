import { createChatHandler } from '../../src/ai-sdk/handler.js'
import { uiMessageCatalog } from '../../src/ai-sdk.js'
import { createStreamManager, type EventStore, type RunstreamError } from '../../src/index.js'
import { toNodeHandler } from '../../src/node.js'
import { startServer, type TestServer } from '../helpers/http.js'
import { ai } from './ai.js'

/** A chat server on Node (toNodeHandler) over a manager of uiMessageCatalog. */
export async function chatServer(
  run: Parameters<typeof createChatHandler>[1]['run'],
  options: { store?: EventStore; cancelOnDisconnect?: boolean } = {},
): Promise<{
  server: TestServer
  /** The chat route, `{origin}/api/chat`. */
  api: string
  manager: ReturnType<typeof createStreamManager<typeof uiMessageCatalog>>
  errors: RunstreamError[]
  close(): Promise<void>
}> {
  const errors: RunstreamError[] = []
  const manager = createStreamManager({
    catalog: uiMessageCatalog,
    ...(options.store === undefined ? {} : { store: options.store }),
    cancelGraceMs: 2000,
    onError: (error) => errors.push(error),
  })
  const handler = createChatHandler(manager, {
    run,
    heartbeatMs: 1000,
    retryMs: 1,
    ...(options.cancelOnDisconnect === undefined
      ? {}
      : { cancelOnDisconnect: options.cancelOnDisconnect }),
  })
  const server = await startServer(toNodeHandler(handler))
  return {
    server,
    api: `${server.url}/api/chat`,
    manager,
    errors,
    async close() {
      handler.close()
      await server.close()
      await manager.close()
    },
  }
}

/** The user's message, as useChat sends it. */
export const USER_MESSAGE = {
  id: 'u1',
  role: 'user' as const,
  parts: [{ type: 'text' as const, text: 'Hi' }],
}

/** What `sendMessages` takes for a first message in chat `chatId`. */
export function sendOptions(chatId: string, abortSignal?: AbortSignal) {
  return {
    trigger: 'submit-message' as const,
    chatId,
    messageId: undefined,
    messages: [USER_MESSAGE],
    abortSignal,
  }
}

/** Reads a chunk stream to its end with the AI SDK's own reader, and returns the last message. */
export async function lastMessage(stream: ReadableStream<unknown>) {
  let last: { id: string; role: string; parts: unknown[] } | undefined
  for await (const message of ai.readUIMessageStream({ stream: stream as never })) {
    last = message as never
  }
  return last
}

/** The text of a message's text parts. */
export function textOf(message: { parts: unknown[] } | undefined): string {
  return (message?.parts ?? [])
    .filter(
      (part): part is { type: 'text'; text: string } => (part as { type: string }).type === 'text',
    )
    .map((part) => part.text)
    .join('')
}
