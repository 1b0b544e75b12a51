import type { AnyCatalog } from '../core/catalog.js'
import type { EventRecord } from '../core/envelope.js'
import type { RunstreamError } from '../core/errors.js'
import type { Run } from '../core/manager.js'

/**
 * What {@link SseOptions.authorize} returns: `true` to serve the stream, `false` for a 403, or a
 * `Response` to send as it is (build a 401 with `jsonError`, for example).
 */
export type AuthorizeResult = boolean | Response

/**
 * What an event's `data:` field holds.
 *
 * - `'payload'`: the event's payload alone, as every other SSE server writes it, so a native
 *   `EventSource`, compozy's clients and the AI SDK read it as they expect: `data:` is
 *   `JSON.stringify(payload)`, or the raw text of a payload that is a string, split over as many
 *   `data:` lines as it has lines. The envelope's `id` and `type` are the SSE `id:` and `event:`.
 * - `'envelope'`: the whole envelope's JSON (`{"id","type","stream","ts","data"}`), which also
 *   carries when the event was emitted (`ts`) and its stream's name (`stream`): for consumers that
 *   log or forward events as they are, or read several streams from one connection.
 *
 * Control events (`runstream.gap`, `runstream.error`), the `retry:` line and heartbeats are the
 * same in both.
 * @see docs/wire-format.md
 */
export type SseFraming = 'payload' | 'envelope'

/**
 * Which clients a stream is written for, which decides what is not an event of the stream: its
 * control events and its end. Event frames are the same in all three (`id:`, `event:`, and the
 * payload in `data:`).
 *
 * - `'runstream'`: control events carry runstream's own fields (`{ code, message }`,
 *   `{ reason, after, firstId, lastId }`).
 * - `'ag-ui'`: for AG-UI's `HttpAgent`, which takes every `data:` as an AG-UI event: a control
 *   event's `data:` is also a `RUN_ERROR` (`{ type, message, code, … }`).
 * - `'ai-sdk'`: for the AI SDK's chat transports, which validate every `data:` as a UI message
 *   chunk: a control event's `data:` is also an `error` chunk (`{ type, errorText, code, … }`),
 *   `data: [DONE]` follows the terminal event, and the answer carries
 *   `x-vercel-ai-ui-message-stream: v1`.
 *
 * In every protocol control events keep their `event: runstream.*` name and no `id:`, so
 * runstream's client (and `RunstreamAgent`, `ResumableChatTransport`) still tell them from events
 * and resume. The last two need `framing: 'payload'` and payloads that are the protocol's own
 * events, `type` included (`runstream/ag-ui` and `runstream/ai-sdk` store them so).
 * @see docs/wire-format.md
 */
export type SseProtocol = 'runstream' | 'ag-ui' | 'ai-sdk'

/** Cross-origin access to the streams. Off unless given. */
export interface CorsOptions {
  /**
   * The origins allowed to read the streams: one origin (`'https://app.example.com'`, or `'*'`
   * for any origin without credentials), a list, or a function of the request's `Origin`.
   */
  origin: string | readonly string[] | ((origin: string) => boolean)
  /**
   * Send `Access-Control-Allow-Credentials: true`, so cookies and `Authorization` go along.
   * Not allowed with `origin: '*'`.
   * @defaultValue false
   */
  credentials?: boolean
  /**
   * Request headers a preflight allows, besides `Last-Event-ID`, `Authorization` and
   * `Content-Type`, which are always allowed.
   * @defaultValue `[]`
   */
  allowHeaders?: readonly string[]
  /**
   * How long a browser may cache a preflight answer, in seconds.
   * @defaultValue 600
   */
  maxAgeSeconds?: number
}

/**
 * Options shared by `createSseResponse`, `createFetchHandler` and `createNodeHandler`. Every
 * bound has a default, and each says what happens when it is reached. Each option is checked
 * when it is given: a wrong value throws a `TypeError` that says how to fix it.
 */
export interface SseOptions {
  /**
   * What each event's `data:` field holds: the payload alone, or the whole envelope.
   * @defaultValue `'payload'`
   */
  framing?: SseFraming
  /**
   * Which clients the stream is written for: what control events hold and what follows the
   * terminal event. `runstream/ag-ui` and `runstream/ai-sdk` set it for their routes.
   * @defaultValue `'runstream'`
   */
  protocol?: SseProtocol
  /**
   * How often a heartbeat comment (`: ping`) is sent, in milliseconds, so that proxies keep the
   * connection open and a client that went away is noticed when the write fails.
   * @defaultValue 15_000
   */
  heartbeatMs?: number
  /**
   * The reconnection delay sent to clients in the `retry:` line that opens every stream, in
   * milliseconds. runstream's client treats it as the floor of its backoff.
   * @defaultValue 2_000
   */
  retryMs?: number
  /**
   * How many bytes may wait for one slow client. Past it, the server stops taking events for that
   * client; if it is still over the bound at the next heartbeat, it gets a `runstream.error`
   * (`subscriber_overflow`) and the response ends. The client resumes from the store with its
   * `Last-Event-ID`. (Was `maxBufferedBytes`.)
   * @defaultValue 1_048_576 (1 MiB)
   */
  maxQueuedBytes?: number
  /**
   * Decides whether `request` may watch `stream`. Called once per request, before the stream
   * starts. A throw is reported through `onError` and answered with a 500 that reveals nothing.
   * @defaultValue every request is allowed
   * @example
   * ```ts
   * authorize: (request, stream) =>
   *   request.headers.get('authorization') === 'Bearer secret'
   *     ? true
   *     : jsonError(401, 'unauthorized', 'Send a bearer token.')
   * ```
   */
  authorize?: (request: Request, stream: string) => AuthorizeResult | Promise<AuthorizeResult>
  /**
   * Decides whether a stream exists; when it returns `false` the request gets a 404. Leave it out
   * to serve any stream: one that has no event yet waits for its first, since watchers often
   * connect before the producer emits.
   * @defaultValue every stream exists
   */
  streamExists?: (stream: string, request: Request) => boolean | Promise<boolean>
  /**
   * Cross-origin access. No CORS header is sent unless this is set.
   * @defaultValue undefined (same-origin only)
   */
  cors?: CorsOptions
  /**
   * Receives server-side failures: a store that failed, a hook that threw, a client that fell
   * behind. Their messages never reach the client. Must not throw.
   * @defaultValue the manager's `onError`
   */
  onError?: (error: RunstreamError) => void
}

/**
 * Caps on the streams a handler keeps open, so that one client (or a flood of them) cannot take
 * every connection, file descriptor and heartbeat timer of the server.
 */
export interface ConnectionLimitOptions {
  /**
   * The most streams the handler serves at once, requests still being authorized included. Past
   * it, a new request gets a `503` JSON error `server_busy` with `Retry-After`. The default fits
   * a small server: an idle stream costs about 10 KB of heap and 13 KB of memory in all, so
   * 10 000 of them about 130 MB, within a 512 MB machine and a 20 000 file descriptor limit.
   * Raise it (or pass `Infinity`) on a larger one.
   * @defaultValue 10_000
   */
  maxConnections?: number
  /**
   * The most streams one client (see `clientKey`) may hold at once, requests still being
   * authorized included. Past it, its new requests get a `429` JSON error `too_many_connections`
   * with `Retry-After`; other clients are not affected. No cap by default: behind a proxy every
   * client has the proxy's address, and a default keyed on it would cap the whole server.
   * @defaultValue `Infinity` (no cap)
   */
  maxConnectionsPerClient?: number
  /**
   * Tells which client a request comes from, for `maxConnectionsPerClient`: a user id from a
   * verified session, an API key, or an address your trusted proxy put in a header — never a
   * header the client chooses freely, or it picks a new key per request. `undefined` leaves the
   * request out of the per-client count. A throw is reported to `onError` and answered with a
   * 500.
   *
   * On `createNodeHandler` it defaults to the socket's remote address. A Fetch `Request` does not
   * carry one, so `createFetchHandler` needs `clientKey` to cap per client.
   * @example
   * ```ts
   * // Behind a proxy you trust, which sets X-Forwarded-For itself:
   * clientKey: (request) => request.headers.get('x-forwarded-for')?.split(',')[0]?.trim()
   * ```
   */
  clientKey?: (request: Request) => string | undefined | Promise<string | undefined>
}

/**
 * What a run's `start` receives: the run (`manager.startRun`'s `{ id, kind, name, stream,
 * signal }`), with the request that started it and its parsed JSON body.
 */
export interface RunStart<C extends AnyCatalog = AnyCatalog> extends Run<C> {
  /** The request's body, parsed as JSON. */
  readonly input: unknown
  /** The request that starts the run, for its headers (the user) and URL. */
  readonly request: Request
}

/** How a request that starts a run is answered, beyond the {@link SseOptions}. */
export interface RunRequestOptions {
  /**
   * Cancel the run (`manager.cancelRun`) when the client of the request that started it goes away
   * before the run ends. Off by default: a closed tab or a dropped network never cancels a run,
   * and the client resumes with a `GET` at the `Location`. On, a dropped connection cancels too.
   * @defaultValue false
   */
  cancelOnDisconnect?: boolean
  /**
   * The largest JSON body a request that starts a run may have, in bytes. A larger one gets a
   * `413` JSON error `body_too_large` before `start` is called.
   * @defaultValue 1_048_576 (1 MiB)
   */
  maxBodyBytes?: number
}

/** Options of `createFetchHandler` and `createNodeHandler`. */
export interface HandlerOptions<C extends AnyCatalog = AnyCatalog>
  extends SseOptions,
    ConnectionLimitOptions,
    RunRequestOptions {
  /**
   * The path the routes live under:
   * `{basePath}/executions/workflows/:id/stream`, `.../agents/:id/stream`, `.../tasks/:id/stream`.
   * @defaultValue `'/api/v0'`
   */
  basePath?: string
  /**
   * Starts runs: with it, `POST {basePath}/executions/{workflows|agents|tasks}` reads the JSON
   * body, starts a run of that kind (`manager.startRun`) and calls `start` with it, without
   * waiting for its end. The response streams the run from its first event, with `Location` and
   * `Content-Location` naming its stream route (`…/{kind}s/{id}/stream`), where a client resumes
   * with `GET`. A throw, or a rejection before the first event, gets a `500` that reveals nothing
   * and is reported to `onError`; a rejection later is reported and cancels the run. `authorize`
   * is asked first, with the new run's stream name.
   * @defaultValue none: no route starts runs
   * @example
   * ```ts
   * start: async ({ stream, signal, input, id }) => {
   *   stream.emit('workflow_start', { workflow_id: 'chat', execution_id: id })
   *   for await (const text of model.stream(input, { signal })) stream.emit('llm_chunk', { text })
   *   stream.emit('complete', { status: 'SUCCESS' })
   * }
   * ```
   */
  start?: (run: RunStart<C>) => unknown
  /**
   * Serve `POST {basePath}/executions/{workflows|agents|tasks}/:id/cancel`, which cancels the run
   * from any process sharing the store (`manager.cancelRun`): `202` with
   * `{ "status": 202, "stream", "outcome": "canceled" | "finished" }`, `404` (`run_not_found`) for
   * a run the store does not know. `authorize` is asked first, with the run's stream name.
   * @defaultValue true when `start` is given, false otherwise
   */
  cancelRoute?: boolean
  /**
   * The most streams one request to the many-stream route (`GET` or `POST {basePath}/streams`)
   * may list. Past it, the request gets a `400` JSON error `too_many_streams`, before any hook
   * runs. Each listed stream costs a subscription and a store read, but no connection slot: the
   * whole list counts once against `maxConnections`.
   * @defaultValue 32
   */
  maxStreamsPerConnection?: number
}

/** Options of a handler's `respond`. */
export interface RespondOptions {
  /**
   * The URL of a `GET` route that serves the same stream, sent as `Location` and
   * `Content-Location`: a client resumes there after a drop (runstream's client does, with
   * `Last-Event-ID`), and never sends the first request's body again. Required when the request
   * is not a `GET` (a `POST` that starts a run): without it, the client would reconnect to the
   * `POST` URL. Pass `request.url` when the same URL also answers `GET`.
   * @defaultValue none (a `GET` needs none)
   */
  location?: string | URL
}

/** Options of `createSseResponse`: the {@link SseOptions}, and `location`. */
export interface SseResponseOptions extends SseOptions, RespondOptions {}

/** Options of `sseTransport`. */
export interface SseTransportOptions {
  /** See {@link SseOptions.framing}. @defaultValue `'payload'` */
  framing?: SseFraming
  /** See {@link SseOptions.heartbeatMs}. @defaultValue 15_000 */
  heartbeatMs?: number
  /** See {@link SseOptions.retryMs}. @defaultValue 2_000 */
  retryMs?: number
  /**
   * How many bytes may wait for one slow response. Past it, that response gets a
   * `runstream.error` (`subscriber_overflow`) and ends; the others go on. (Was
   * `maxBufferedBytes`.)
   * @defaultValue 1_048_576 (1 MiB)
   */
  maxQueuedBytes?: number
  /**
   * Which events the responses receive.
   * @defaultValue every event
   */
  filter?: (record: EventRecord) => boolean
  /**
   * Receives the failures of responses (a client that fell behind). Must not throw.
   * @defaultValue logs with `console.error`
   */
  onError?: (error: RunstreamError) => void
}
