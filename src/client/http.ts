import { MAX_SERVER_DELAY_MS } from './policy.js'

/** A `headers` option: the headers, or a function that returns them, called before every request. */
export type HeadersOption = HeadersValue | (() => HeadersValue | Promise<HeadersValue>)

/**
 * What `new Headers(…)` accepts: a `Headers`, a record or a list of pairs. Taken from the global
 * `Headers` rather than named `HeadersInit`, which only the DOM lib declares: a Node project
 * with `@types/node` and no DOM lib must be able to read these types.
 */
type HeadersValue = NonNullable<ConstructorParameters<typeof Headers>[0]>

/** Resolves a {@link HeadersOption} into a fresh `Headers` for one request. */
export async function resolveHeaders(option: HeadersOption | undefined): Promise<Headers> {
  return new Headers(typeof option === 'function' ? await option() : option)
}

/**
 * Cancels a body or its reader, if any, ignoring the outcome: used to release a connection
 * whatever state it is in (a no-op on a body that has ended).
 */
export function release(body: { cancel(): Promise<void> } | null | undefined): void {
  body?.cancel().catch(() => {})
}

/**
 * What to do with a response, by status and content type.
 * - `open`: a 2xx `text/event-stream`: read it.
 * - `end`: 204, the stream is finished (or the cursor is at its end): stop for good.
 * - `retry`: 408, 425, 429 and 5xx are temporary: reconnect.
 * - `fatal`: any other status, or a 2xx that is not an event stream: stop and report.
 */
export function classifyResponse(
  status: number,
  contentType: string | null,
): 'open' | 'end' | 'retry' | 'fatal' {
  if (status === 204) return 'end'
  if (status >= 200 && status < 300) {
    return contentType !== null && /^\s*text\/event-stream\s*(;|$)/i.test(contentType)
      ? 'open'
      : 'fatal'
  }
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retry'
  return 'fatal'
}

/**
 * Parses a `Retry-After` header: seconds, or an HTTP date. Returns ms from `now`, or
 * `undefined` when absent or malformed.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined
  const ms = /^\s*\d+\s*$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now
  return ms >= 0 ? Math.min(ms, MAX_SERVER_DELAY_MS) : ms < 0 ? 0 : undefined
}
