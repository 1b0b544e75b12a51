/**
 * The `error.code` of a JSON error answer, sent before a stream starts.
 *
 * | code | status | when |
 * | --- | --- | --- |
 * | `invalid_request` | 400 | a query parameter has a wrong value (`format`, empty `events`, …) |
 * | `invalid_cursor` | 400 | `Last-Event-ID` / `lastEventId` is not a cursor (an event id, maybe after its epoch) |
 * | `unknown_event` | 400 | `events` names an event the catalog does not define |
 * | `invalid_stream_id` | 400 | the id in the path is too long or has characters outside the allowed set |
 * | `invalid_path` | 400 | the path has a dot segment (`.`, `..`, also as `%2e`) or a backslash |
 * | `invalid_body` | 400 | the body of a request that starts a run, or lists streams, is not the JSON expected |
 * | `too_many_streams` | 400 | a request to `{basePath}/streams` lists more than `maxStreamsPerConnection` streams |
 * | `unauthorized` | 401 | returned by your `authorize` hook through {@link jsonError} |
 * | `forbidden` | 403 | `authorize` returned `false` |
 * | `not_found` | 404 | no route matches the path |
 * | `stream_not_found` | 404 | `streamExists` returned `false` |
 * | `run_not_found` | 404 | a cancel route names a run the store does not know |
 * | `method_not_allowed` | 405 | a method the route does not serve (streams: `GET`; runs: `POST`; `OPTIONS` with CORS) |
 * | `run_exists` | 409 | a run was to be started under an id whose stream exists (`createRunResponse` with `id`) |
 * | `body_too_large` | 413 | the body of a request that starts a run is over `maxBodyBytes` |
 * | `too_many_connections` | 429 | the client holds `maxConnectionsPerClient` streams already (with `Retry-After`) |
 * | `internal_error` | 500 | a hook (or a run's `start`) threw; details go to `onError`, never to the client |
 * | `store_failed` | 503 | the event store could not be read |
 * | `unavailable` | 503 | the handler was closed (the server is shutting down) |
 * | `server_busy` | 503 | the handler holds `maxConnections` streams already (with `Retry-After`) |
 */
export type HttpErrorCode =
  | 'invalid_request'
  | 'invalid_cursor'
  | 'unknown_event'
  | 'invalid_stream_id'
  | 'invalid_path'
  | 'invalid_body'
  | 'too_many_streams'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'stream_not_found'
  | 'run_not_found'
  | 'method_not_allowed'
  | 'run_exists'
  | 'body_too_large'
  | 'too_many_connections'
  | 'internal_error'
  | 'store_failed'
  | 'unavailable'
  | 'server_busy'

/** The JSON body of every error answered before a stream starts. */
export interface HttpErrorBody {
  /** The HTTP status, repeated for clients that only see the body. */
  status: number
  error: {
    /** What went wrong: an {@link HttpErrorCode}, or your own code from `authorize`. */
    code: string
    /** What to do about it. Never an internal error message. */
    message: string
    /** Structured facts, such as the valid event names. */
    details?: Record<string, unknown>
  }
}

/** An error answer before it becomes a `Response` (or a Node response). */
export interface Refusal {
  readonly status: number
  readonly body: HttpErrorBody
  readonly headers?: Readonly<Record<string, string>>
}

/** Builds a {@link Refusal}. */
export function refusal(
  status: number,
  code: HttpErrorCode,
  message: string,
  details?: Record<string, unknown>,
  headers?: Readonly<Record<string, string>>,
): Refusal {
  const body: HttpErrorBody = {
    status,
    error: details === undefined ? { code, message } : { code, message, details },
  }
  return headers === undefined ? { status, body } : { status, body, headers }
}

/** The headers of every JSON error answer. */
export const JSON_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
}

/**
 * Builds a JSON error `Response` in runstream's error shape,
 * `{ "status": 401, "error": { "code": "unauthorized", "message": "…" } }`: return it from
 * `authorize` to refuse a request with your own status and code.
 *
 * @param status - the HTTP status, 400 to 599
 * @param code - a short machine-readable code, such as `unauthorized`
 * @param message - what the client should do; it is sent as it is, so keep secrets out
 * @param details - JSON-safe structured facts
 * @example
 * ```ts
 * authorize: (request) => request.headers.has('authorization') || jsonError(401, 'unauthorized', 'Send a bearer token.')
 * ```
 */
export function jsonError(
  status: number,
  code: string,
  message: string,
  details?: Record<string, unknown>,
): Response {
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    throw new TypeError(
      `jsonError: \`status\` must be an HTTP error status (400 to 599), got ${status}.`,
    )
  }
  const body: HttpErrorBody = {
    status,
    error: details === undefined ? { code, message } : { code, message, details },
  }
  return new Response(JSON.stringify(body), { status, headers: JSON_HEADERS })
}
