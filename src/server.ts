/**
 * runstream/server: serve live streams over server-sent events with Web standards only
 * (`Request` → `Response`), for Hono, Next.js, Bun, Deno and Workers. `runstream/node` has the
 * same handler for `node:http`, Express and Fastify.
 * @packageDocumentation
 */
export { encodeSse, formatSse, type SseMessage } from './server/encoder.js'
export { createFetchHandler, type FetchHandler } from './server/fetch-handler.js'
export { type HttpErrorBody, type HttpErrorCode, jsonError } from './server/http-errors.js'
export type {
  AuthorizeResult,
  ConnectionLimitOptions,
  CorsOptions,
  HandlerOptions,
  RespondOptions,
  RunRequestOptions,
  RunStart,
  SseFraming,
  SseOptions,
  SseProtocol,
  SseResponseOptions,
  SseTransportOptions,
} from './server/options.js'
export type { HandlerStats } from './server/registry.js'
export type { ExecutionKind } from './server/routes.js'
export {
  createRunResponse,
  type JsonBody,
  type RunResponseOptions,
  type RunRouteOptions,
  readJsonBody,
} from './server/run-response.js'
export { createSseResponse } from './server/sse-response.js'
export { type SseTransport, sseTransport } from './server/sse-transport.js'
