import { createChatHandler } from '../../src/ai-sdk/handler.js'
import { uiMessageCatalog } from '../../src/ai-sdk.js'
import { createStreamManager, type EventStore } from '../../src/index.js'
import { type ProtocolServer, serveProtocol } from '../helpers/protocol-server.js'
import { ai } from './ai.js'

/** A chat server on Node (toNodeHandler) over a manager of uiMessageCatalog. */
export async function chatServer(
  run: Parameters<typeof createChatHandler>[1]['run'],
  options: { store?: EventStore; cancelOnDisconnect?: boolean } = {},
): Promise<
  Omit<ProtocolServer<ReturnType<typeof createStreamManager<typeof uiMessageCatalog>>>, 'url'> & {
    /** The chat route, `{origin}/api/chat`. */
    api: string
  }
> {
  const { url, ...served } = await serveProtocol(
    '/api/chat',
    (onError) =>
      createStreamManager({
        catalog: uiMessageCatalog,
        ...(options.store === undefined ? {} : { store: options.store }),
        cancelGraceMs: 2000,
        onError,
      }),
    (manager) =>
      createChatHandler(manager, {
        run,
        heartbeatMs: 1000,
        retryMs: 1,
        ...(options.cancelOnDisconnect === undefined
          ? {}
          : { cancelOnDisconnect: options.cancelOnDisconnect }),
      }),
  )
  return { ...served, api: url }
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
