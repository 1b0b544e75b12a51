import { RunstreamError, type RunstreamErrorCode } from '../core/errors.js'
import type { Cursor } from './cursor.js'
import { httpError, isRedirectLoop, networkError } from './errors.js'
import {
  classifyResponse,
  type HeadersOption,
  parseRetryAfter,
  release,
  resolveHeaders,
} from './http.js'
import type { FetchLike } from './options.js'
import { createSseReader } from './parse.js'
import { createWatchdog } from './watchdog.js'

/** How one attempt (one request and its response) ended. */
export type Outcome =
  | { kind: 'end' }
  | { kind: 'restart' }
  | { kind: 'fatal'; error: RunstreamError }
  | {
      kind: 'retry'
      error: RunstreamError
      retryAfterMs?: number | undefined
      /** The connection delivered events the client had not seen, or stayed open `healthyAfterMs`. */
      healthy: boolean
    }

/** The request of one attempt. */
export interface AttemptRequest {
  url: string
  method: string
  body: NonNullable<RequestInit['body']> | undefined
  headers: HeadersOption | undefined
  fetch: FetchLike | undefined
  cursor: Cursor
  idleTimeoutMs: number
  maxEventBytes: number
  healthyAfterMs: number
  /** The URL as errors show it (no query: it may hold a token). */
  shownUrl: string
  /** What the client does after a retryable failure, the end of its message: `reconnecting.`, … */
  then: string
}

/** What an attempt tells the subscription, and asks it. */
export interface AttemptHooks {
  /** Whether the subscription was closed meanwhile. */
  closed(): boolean
  /** A response opened the event stream. */
  open(response: Response): void
  /** One SSE event: `true` when it was new to the client, `false` when not, or how the attempt ends. */
  message(data: string, name: string | undefined, id: string | undefined): boolean | Outcome
  /** The server's `retry:`, in ms. */
  retry(ms: number): void
  /** A promise to wait for before reading more, while the consumer is behind; else `undefined`. */
  room(): Promise<void> | undefined
}

/** One attempt in flight. */
export interface Attempt {
  /** How it ended. Rejects only on a bug of the client's own. */
  readonly outcome: Promise<Outcome>
  /** Aborts the request and releases the body (`close()`): the outcome is then `end`. */
  cancel(): void
}

/**
 * Makes ONE request and reads its event stream until it ends: a terminal event, a fatal error,
 * or a failure to retry. The idle watchdog covers the wait for response headers too (a
 * half-open socket never answers) and every wait for bytes, but never a wait for the consumer.
 */
export function startAttempt(request: AttemptRequest, hooks: AttemptHooks): Attempt {
  const controller = new AbortController()
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  let idled = false
  const watchdog = createWatchdog(request.idleTimeoutMs, () => {
    idled = true
    cancel()
  })
  const { cursor, shownUrl, then } = request

  function cancel(): void {
    controller.abort()
    release(reader)
  }

  const fail = (
    code: RunstreamErrorCode,
    message: string,
    cause?: unknown,
    details?: Record<string, unknown>,
  ) =>
    new RunstreamError(code, `${shownUrl}: ${message}`, {
      cause,
      details: { ...details, lastEventId: cursor.lastEventId },
    })

  // A failed request or read: the idle watchdog's doing, a redirect loop, or the network.
  const failed = (cause: unknown, healthy: boolean): Outcome =>
    hooks.closed()
      ? END
      : idled
        ? retry(
            fail('idle_timeout', `silent for idleTimeoutMs (${request.idleTimeoutMs}); ${then}`),
            healthy,
          )
        : isRedirectLoop(cause)
          ? {
              kind: 'fatal',
              error: fail(
                'http_error',
                "the server redirects in a loop; not retried: fix the URL or the server's redirects.",
                cause,
                { reason: 'redirect_loop' },
              ),
            }
          : retry(networkError(cause, shownUrl, then), healthy)

  async function run(): Promise<Outcome> {
    let response: Response
    try {
      const headers = await resolveHeaders(request.headers)
      if (hooks.closed()) return END
      headers.set('accept', 'text/event-stream')
      const { lastEventId } = cursor
      if (lastEventId) headers.set('last-event-id', lastEventId)
      const init: RequestInit = { method: request.method, headers, signal: controller.signal }
      if (request.body !== undefined) init.body = request.body
      watchdog.arm()
      response = await (request.fetch ?? fetch)(request.url, init)
    } catch (error) {
      return failed(error, false)
    } finally {
      watchdog.pause()
    }
    const body = response.body
    const verdict = classifyResponse(response.status, response.headers.get('content-type'))
    if (hooks.closed() || verdict === 'end') {
      release(body)
      return END
    }
    if (verdict !== 'open') {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'))
      const error = await httpError(
        response,
        shownUrl,
        verdict === 'retry' ? then : 'not retried: fix the URL, credentials or cursor.',
        retryAfterMs,
      )
      return verdict === 'retry' ? retry(error, false, retryAfterMs) : { kind: 'fatal', error }
    }

    cursor.opened()
    hooks.open(response)
    const openedAt = Date.now()
    let fresh = 0
    let stop: Outcome | undefined
    const healthy = () => fresh > 0 || Date.now() - openedAt >= request.healthyAfterMs
    const sse = createSseReader(
      {
        event(data, name, id) {
          const result = hooks.message(data, name, id)
          if (result === true) fresh++
          else if (result !== false) {
            stop = result
            sse.stop()
          }
        },
        id: cursor.announce,
        retry: hooks.retry,
        tooLarge() {
          stop = {
            kind: 'fatal',
            error: fail(
              'parse_error',
              `event over maxEventBytes (${request.maxEventBytes}); raise it or send big payloads by reference.`,
              undefined,
              { maxEventBytes: request.maxEventBytes },
            ),
          }
        },
      },
      request.maxEventBytes,
    )
    const ended = () =>
      retry(
        fail('network_error', `ended before a terminal event; ${then}`, undefined, {
          reason: 'ended',
        }),
        healthy(),
      )
    if (!body) return ended()
    reader = body.getReader()
    // closed: close() ran in onOpen, or while waiting for the consumer.
    while (!hooks.closed()) {
      watchdog.arm()
      let chunk: ReadableStreamReadResult<Uint8Array>
      try {
        chunk = await reader.read()
      } catch (error) {
        return failed(error, healthy())
      } finally {
        watchdog.pause()
      }
      if (hooks.closed() || idled) return failed(undefined, healthy())
      if (chunk.done) return ended()
      sse.push(chunk.value)
      if (stop) return stop
      const room = hooks.room()
      if (room) await room
    }
    return END
  }

  // A failure of ours rejects, and the reconnect loop ends the subscription loudly with it.
  const outcome = run().finally(() => {
    watchdog.stop()
    // Whatever ended the attempt, release the connection (a no-op when the body is done).
    cancel()
  })
  return { outcome, cancel }
}

/** The outcome of a finished stream (terminal event, 204, `[DONE]`) or a closed subscription. */
export const END: Outcome = { kind: 'end' }

/** The outcome of an attempt cut to start again at once (a new stream list): no failure. */
export const RESTART: Outcome = { kind: 'restart' }

/** A retryable failure. */
export const retry = (error: RunstreamError, healthy: boolean, retryAfterMs?: number): Outcome => ({
  kind: 'retry',
  error,
  healthy,
  retryAfterMs,
})
