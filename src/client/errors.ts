import { RunstreamError } from '../core/errors.js'
import { release } from './http.js'

/**
 * An HTTP response that is not an event stream: an error status, or a success with another
 * content type. `body` is the server's body, JSON-parsed when it parses (runstream servers send
 * `{ status, error: { code, message, details? } }`), else its text.
 *
 * Retryable when `status` is 408, 425, 429 or 5xx; fatal otherwise.
 *
 * @example
 * ```ts
 * onError(error) {
 *   if (error instanceof StreamHttpError && error.status === 401) redirectToLogin()
 * }
 * ```
 */
export class StreamHttpError extends RunstreamError {
  /** The HTTP status of the response. */
  declare readonly status: number
  /** The response body: parsed JSON when it parses, else text (`undefined` when empty). */
  declare readonly body: unknown
  /** The delay the server asked for with `Retry-After`, in ms, when it sent one. */
  declare readonly retryAfterMs: number | undefined

  constructor(message: string, status: number, body: unknown, retryAfterMs?: number) {
    super('http_error', message, { details: { status, error: serverError(body), retryAfterMs } })
    this.name = 'StreamHttpError'
    this.status = status
    this.body = body
    this.retryAfterMs = retryAfterMs
  }
}

/**
 * Wraps a failed `fetch()` or body read. Every runtime says it differently (undici's
 * `fetch failed` with an `ECONNRESET` cause, Chrome's `Failed to fetch`, Safari's `Load failed`,
 * Firefox's `NetworkError…`, `terminated` when a body is cut), and all of them are the same
 * retryable failure, so they become one code with the original kept as `cause`.
 */
export function networkError(cause: unknown, url: string, then: string): RunstreamError {
  // undici hides the system error code (ECONNRESET, …) a `cause` or two deep.
  let code: unknown
  for (
    let at = cause, depth = 0;
    depth < 3 && at instanceof Object;
    depth++, at = (at as { cause?: unknown }).cause
  ) {
    code ??= (at as { code?: unknown }).code
  }
  return new RunstreamError(
    'network_error',
    `${url}: connection failed (${code ? `${code}: ` : ''}${cause instanceof Error ? cause.message : cause}); ${then}`,
    { cause, details: { code } },
  )
}

/**
 * Whether a failed `fetch()` gave up following redirects (undici: `redirect count exceeded`;
 * other runtimes say "redirect" too). A redirect loop answers the same way every time, so it is
 * fatal, not a network failure to retry. (A browser hides the reason: there it stays a
 * `network_error`, bounded by `maxRetries`.)
 */
export function isRedirectLoop(cause: unknown): boolean {
  for (
    let at = cause, depth = 0;
    depth < 3 && at instanceof Error;
    depth++, at = (at as { cause?: unknown }).cause
  ) {
    if (/redirect/i.test(at.message)) return true
  }
  return false
}

/** The most of an error response's body that is read: enough for any JSON error, bounded. */
const MAX_ERROR_BODY_CHARS = 65_536

/**
 * Builds the {@link StreamHttpError} of a response that is not an event stream, reading (at most
 * 64 KiB of) its body so that the server's own explanation reaches the caller.
 *
 * @param then - what the client does next, the end of the message
 */
export async function httpError(
  response: Response,
  url: string,
  then: string,
  retryAfterMs?: number,
): Promise<StreamHttpError> {
  const { status, body } = response
  let text = ''
  if (body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader()
    try {
      while (text.length < MAX_ERROR_BODY_CHARS) {
        const chunk = await reader.read()
        if (chunk.done) break
        text += chunk.value
      }
    } catch {
      // A body cut short still says something; keep what arrived.
    }
    release(reader)
  }
  let parsed: unknown = text.slice(0, MAX_ERROR_BODY_CHARS) || undefined
  try {
    parsed = JSON.parse(text)
  } catch {
    // Not JSON: keep the text.
  }
  const error = serverError(parsed) as { code?: string; message?: string } | undefined
  const message =
    status < 300
      ? `${url}: ${status} "${response.headers.get('content-type')}" is not text/event-stream; use an SSE route.`
      : `${url}: HTTP ${status}${error ? ` (${error.code}: ${error.message})` : ''}; ${then}`
  return new StreamHttpError(message, status, parsed, retryAfterMs)
}

// The `error` member of a runstream server's JSON error body.
function serverError(body: unknown): unknown {
  return body instanceof Object ? (body as { error?: unknown }).error : undefined
}
