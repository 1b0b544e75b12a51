/**
 * runstream/ai-sdk: AI SDK chats (`useChat`) whose replies survive dropped connections, closed
 * tabs and restarted servers. `uiMessageCatalog` (the UI message chunks), `createChatHandler`
 * (the AI SDK's chat routes) and `ResumableChatTransport` (a `ChatTransport` that resumes
 * through every drop).
 *
 * Works with `ai` 6 and 7 (an optional peer, whose types it uses; nothing of it is imported at
 * run time).
 * @packageDocumentation
 */
export {
  type DataChunkSchemas,
  defineUiMessageCatalog,
  type UiMessageCatalog,
  type UiMessageCatalogEvent,
  type UiMessageCatalogOptions,
  type UiMessageChunkSchemas,
  uiMessageCatalog,
} from './ai-sdk/catalog.js'
export {
  type ChatHandlerOptions,
  type ChatRequest,
  type ChatRun,
  type ChatRunContext,
  type ChatRunResult,
  createChatHandler,
} from './ai-sdk/handler.js'
export type { UiMessageChunkLike } from './ai-sdk/producer.js'
export {
  ResumableChatTransport,
  type ResumableChatTransportOptions,
} from './ai-sdk/transport.js'
export type { ProtocolHandler } from './server/answering.js'
export type { EventSource, Subscribable } from './server/produce.js'
