import type { RunstreamError } from '../core/errors.js'
import { createTicker, type Ticker } from './ticker.js'

/**
 * What {@link SseOptions.authorize} returns: `true` to serve the stream, `false` for a 403, or a
 * `Response` to send as it is (build a 401 with {@link jsonError}, for example).
 */
export type AuthorizeResult = boolean | Response

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
 * Options shared by {@link createSseResponse}, `createFetchHandler` and `createNodeHandler`.
 * Every bound has a default, and each says what happens when it is reached.
 */
export interface SseOptions {
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
   * How many bytes may wait for one slow client. Past it, the frames not yet handed to the
   * network are dropped, a `runstream.error` (`subscriber_overflow`) is written and the response
   * ends; if the client has not taken that by the next heartbeat, the connection is destroyed.
   * The client resumes from the store with its `Last-Event-ID`.
   * @defaultValue 1_048_576 (1 MiB)
   */
  maxBufferedBytes?: number
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
   * @defaultValue logs with `console.error`
   */
  onError?: (error: RunstreamError) => void
}

/** {@link SseOptions} with every default applied and checked. */
export interface ResolvedSseOptions {
  readonly heartbeatMs: number
  /** The one heartbeat timer of the handler's connections, ticking every `heartbeatMs`. */
  readonly heartbeat: Ticker
  readonly retryMs: number
  readonly maxBufferedBytes: number
  readonly authorize: SseOptions['authorize']
  readonly streamExists: SseOptions['streamExists']
  readonly cors: CorsOptions | undefined
  readonly onError: (error: RunstreamError) => void
}

/**
 * Applies the defaults and refuses bad values with a `TypeError` saying how to fix them.
 * `where` names the caller in messages.
 */
export function resolveSseOptions(where: string, options: SseOptions = {}): ResolvedSseOptions {
  const onError = options.onError ?? defaultOnError
  const cors = options.cors
  if (cors !== undefined) checkCors(where, cors)
  const heartbeatMs = positiveInteger(where, 'heartbeatMs', options.heartbeatMs ?? 15_000)
  return {
    heartbeatMs,
    heartbeat: createTicker(heartbeatMs),
    retryMs: nonNegativeInteger(where, 'retryMs', options.retryMs ?? 2_000),
    maxBufferedBytes: positiveInteger(
      where,
      'maxBufferedBytes',
      options.maxBufferedBytes ?? 1_048_576,
    ),
    authorize: checkFunction(where, 'authorize', options.authorize),
    streamExists: checkFunction(where, 'streamExists', options.streamExists),
    cors,
    onError(error) {
      try {
        onError(error)
      } catch {
        // onError must not throw; a failing reporter must not take the stream down with it.
      }
    },
  }
}

function checkCors(where: string, cors: CorsOptions): void {
  const { origin } = cors
  const valid =
    typeof origin === 'string' ||
    typeof origin === 'function' ||
    (Array.isArray(origin) && origin.every((o) => typeof o === 'string'))
  if (!valid) {
    throw new TypeError(
      `${where}: \`cors.origin\` must be an origin string, a list of them or a function of the request's Origin.`,
    )
  }
  if (origin === '*' && cors.credentials === true) {
    throw new TypeError(
      `${where}: \`cors.credentials\` cannot be used with \`origin: '*'\`: browsers refuse it. List the allowed origins instead.`,
    )
  }
}

function positiveInteger(where: string, name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`${where}: \`${name}\` must be a positive integer, got ${String(value)}.`)
  }
  return value
}

function nonNegativeInteger(where: string, name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(
      `${where}: \`${name}\` must be a non-negative integer, got ${String(value)}.`,
    )
  }
  return value
}

function checkFunction<F>(where: string, name: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${where}: \`${name}\` must be a function.`)
  }
  return value
}

function defaultOnError(error: RunstreamError): void {
  console.error(`[runstream/server] ${error.code}: ${error.message}`)
}
