/**
 * runstream/client: watch workflow, agent and task streams from Node 20+ or a browser, through
 * every disconnect a real network produces, without losing or repeating an event.
 *
 * Web standards only (`fetch`, streams, `TextDecoder`): nothing here imports `node:*`.
 * @packageDocumentation
 */

export { connect, type StreamSubscription } from './client/connect.js'
export { StreamHttpError } from './client/errors.js'
export type {
  ClientEvent,
  ClientEventName,
  ClientEventOf,
  ReadyState,
  StreamEvent,
} from './client/events.js'
export type { HeadersOption } from './client/http.js'
export {
  type ManyEvent,
  type ManySubscription,
  type SubscribeManyOptions,
  subscribeMany,
} from './client/many.js'
export type { ConnectOptions, ErrorInfo, FetchLike, ReconnectInfo } from './client/options.js'
export { MAX_SERVER_DELAY_MS, type ReconnectPolicy } from './client/policy.js'
export {
  createStreamClient,
  type ExecutionKind,
  type StreamClient,
  type StreamClientOptions,
  type WatchOptions,
} from './client/stream-client.js'
export { readText, type TextOptions } from './client/text.js'
// The error base class, for `instanceof`. `isRunstreamError` and `EventValidationError` live in
// the core entry (`runstream`), which an app that has a catalog imports anyway.
export { RunstreamError, type RunstreamErrorCode } from './core/errors.js'
