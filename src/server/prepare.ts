import { RunstreamError } from '../core/errors.js'
import { parseCursor, parseEventId } from '../core/event-id.js'
import type { StreamManager } from '../core/manager.js'
import { metricsOf } from '../core/metrics.js'
import { checkAuthorized } from './authorize.js'
import { corsHeaders } from './cors.js'
import { type Refusal, refusal } from './http-errors.js'
import type { IncomingRequest } from './incoming.js'
import type { SseProtocol } from './options.js'
import type { ExecutionKind } from './routes.js'
import type { ResolvedSseOptions } from './settings.js'

/** What a connection streams, decided once before the response starts. */
export interface StreamPlan {
  readonly stream: string
  /** The cursor: events after this id. `undefined` replays everything held. */
  readonly lastEventId: string | undefined
  /** `sse`: event frames; `text`: the concatenated `llm_chunk` text. */
  readonly format: 'sse' | 'text'
  /** The event types to send; `undefined` sends all. Terminal events are always sent. */
  readonly filter: ReadonlySet<string> | undefined
}

/**
 * How a request is answered: a stream, a 204, a JSON error, or a hook's own response. `Plan` is
 * what a stream follows: one stream's {@link StreamPlan}, or several streams' plan.
 */
export type Preparation<Plan = StreamPlan> =
  | { readonly kind: 'stream'; readonly plan: Plan; readonly headers: Record<string, string> }
  | { readonly kind: 'empty'; readonly headers: Record<string, string> }
  | { readonly kind: 'refuse'; readonly refusal: Refusal }
  | { readonly kind: 'response'; readonly response: Response }

/** The response headers of an event stream. No hop-by-hop header, so they are valid on HTTP/2. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
}

/**
 * The response headers of a stream for the AI SDK: its protocol header, which the AI SDK's
 * `createUIMessageStreamResponse` sends (its clients do not check it, proxies and tools may).
 */
export const AI_SDK_HEADERS: Readonly<Record<string, string>> = {
  ...SSE_HEADERS,
  'x-vercel-ai-ui-message-stream': 'v1',
}

/** The response headers of an event stream for the clients of `protocol`. */
export function sseHeaders(protocol: SseProtocol): Readonly<Record<string, string>> {
  return protocol === 'ai-sdk' ? AI_SDK_HEADERS : SSE_HEADERS
}

/** The response headers of a text-mode stream. */
export const TEXT_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/plain; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  // Browsers otherwise buffer text/plain to sniff its type before showing any of it.
  'x-content-type-options': 'nosniff',
}

const STREAM_NAME = /^[^\u0000-\u001f\u007f]{1,512}$/

/**
 * Decides how to answer a request for `stream`: checks the hooks, the query and the cursor, and
 * reads the store once: a store that cannot be read gets a 503 before the stream starts, and a
 * cursor at the end of a finished stream gets a 204.
 *
 * @param kind - the route's execution kind; `undefined` for a custom route (text mode allowed)
 */
export async function prepareStream(
  manager: StreamManager,
  incoming: IncomingRequest,
  stream: string,
  kind: ExecutionKind | undefined,
  options: ResolvedSseOptions,
): Promise<Preparation> {
  const cors = corsHeaders(options.cors, incoming.header('origin'))
  const refuse = (r: Refusal): Preparation => ({
    kind: 'refuse',
    refusal: cors === undefined ? r : { ...r, headers: { ...r.headers, ...cors } },
  })
  if (!STREAM_NAME.test(stream)) {
    return refuse(
      refusal(
        400,
        'invalid_stream_id',
        'Invalid stream name: use 1 to 512 characters without control characters.',
      ),
    )
  }

  const denied = await checkAuthorized(options, incoming, stream, 'watch')
  if (denied instanceof Response) return { kind: 'response', response: denied }
  if (denied !== undefined) return refuse(denied)

  const query = parseQuery(incoming, kind, manager)
  if ('status' in query) return refuse(query)

  const checked = await checkStream(manager, incoming, stream, query.lastEventId, options)
  if (checked !== 'live') {
    return checked === 'finished' ? { kind: 'empty', headers: { ...cors } } : refuse(checked)
  }

  const base = query.format === 'text' ? TEXT_HEADERS : sseHeaders(options.protocol)
  return {
    kind: 'stream',
    plan: { stream, lastEventId: query.lastEventId, format: query.format, filter: query.filter },
    headers: cors === undefined ? { ...base } : { ...base, ...cors },
  }
}

/**
 * The checks of one stream after `authorize`, shared by the single- and many-stream routes:
 * `streamExists`, then one read of the store. `'live'`: stream it; `'finished'`: the cursor is at
 * the end of a finished stream (nothing will ever follow it); or why not (a 404, a 500, a 503 when
 * the store cannot be read), without CORS headers.
 */
export async function checkStream(
  manager: StreamManager,
  incoming: IncomingRequest,
  stream: string,
  after: string | undefined,
  options: ResolvedSseOptions,
): Promise<'live' | 'finished' | Refusal> {
  if (options.streamExists !== undefined) {
    let exists: boolean
    try {
      exists = await options.streamExists(stream, incoming.toRequest())
    } catch (error) {
      options.onError(hookFailure('streamExists', stream, error))
      return internalError()
    }
    if (exists !== true) {
      return refusal(404, 'stream_not_found', `Stream "${stream}" does not exist.`)
    }
  }
  const resuming = after !== undefined && after !== '0'
  try {
    // Read even without a cursor: a store that cannot be read (Redis down) gets a 503 now,
    // rather than a 200 whose stream fails at once.
    const page = await manager.store.read(stream, { lastEventId: after, limit: 1 })
    // (A cursor of another incarnation reads this one from its start: never empty.)
    const finishedAtCursor =
      resuming &&
      page.finished &&
      page.events.length === 0 &&
      (page.lastId === undefined ||
        (parseCursor(after)?.id ?? 0) >= (parseEventId(page.lastId) ?? 0))
    // The spec's "stop reconnecting": nothing will ever follow this cursor.
    return finishedAtCursor ? 'finished' : 'live'
  } catch (error) {
    metricsOf(manager).storeFailed('read', error)
    options.onError(
      new RunstreamError(
        'store_failed',
        `The event store could not be read for stream "${stream}"; the request got a 503.`,
        { cause: error, details: { stream } },
      ),
    )
    return refusal(503, 'store_failed', 'The event store is unavailable. Retry later.', undefined, {
      'retry-after': '5',
    })
  }
}

/**
 * The cursor a request resumes after: its `Last-Event-ID` header, else its `lastEventId` query
 * parameter; `''` when it has neither. The header wins: `EventSource` sends it on reconnect while
 * the URL keeps its first cursor.
 */
export function requestCursor(incoming: IncomingRequest): string {
  const header = incoming.header('last-event-id')?.trim()
  return header !== undefined && header !== ''
    ? header
    : (incoming.url.searchParams.get('lastEventId') ?? '')
}

interface Query {
  readonly lastEventId: string | undefined
  readonly format: 'sse' | 'text'
  readonly filter: ReadonlySet<string> | undefined
}

function parseQuery(
  incoming: IncomingRequest,
  kind: ExecutionKind | undefined,
  manager: StreamManager,
): Query | Refusal {
  const cursor = requestCursor(incoming)
  if (cursor !== '' && parseCursor(cursor) === undefined) {
    return refusal(
      400,
      'invalid_cursor',
      'Invalid Last-Event-ID: a cursor is a decimal event id such as "42", optionally after its epoch and a dot ("lz3kq9a1x0.42"). Send the last id received.',
      { lastEventId: cursor.slice(0, 40) },
    )
  }

  const filter = parseFilter(incoming.url.searchParams, kind, manager)
  if ('status' in filter) return filter
  return { lastEventId: cursor === '' ? undefined : cursor, ...filter }
}

/**
 * The `format` and `events` query parameters: text or SSE, and which event types to send.
 * `kind` `undefined` is a custom route (text allowed); `'many'` the many-stream route (SSE only).
 */
export function parseFilter(
  params: URLSearchParams,
  kind: ExecutionKind | 'many' | undefined,
  manager: StreamManager,
): Omit<Query, 'lastEventId'> | Refusal {
  const formatParam = params.get('format')
  if (formatParam !== null && formatParam !== 'text' && formatParam !== 'sse') {
    return refusal(400, 'invalid_request', 'Invalid format: use "text" or leave it out.', {
      format: formatParam.slice(0, 40),
    })
  }
  const format = formatParam === 'text' ? 'text' : 'sse'
  if (format === 'text' && kind === 'many') {
    return refusal(
      400,
      'invalid_request',
      'format=text is served on a single agent or task stream: several streams interleave.',
    )
  }
  if (format === 'text' && kind === 'workflow') {
    return refusal(
      400,
      'invalid_request',
      'format=text is served on agent and task streams only: a workflow interleaves several agents.',
    )
  }

  const events = params.getAll('events')
  let filter: Set<string> | undefined
  if (events.length > 0) {
    if (format === 'text') {
      return refusal(
        400,
        'invalid_request',
        'events cannot be combined with format=text, which sends only llm_chunk text.',
      )
    }
    filter = new Set()
    const unknown: string[] = []
    for (const name of events.join(',').split(',')) {
      const trimmed = name.trim()
      if (trimmed === '') continue
      if (manager.catalog.has(trimmed)) filter.add(trimmed)
      else unknown.push(name.trim().slice(0, 64))
    }
    const valid = manager.catalog.names as readonly string[]
    if (unknown.length > 0) {
      return refusal(
        400,
        'unknown_event',
        `Unknown event type(s) in events: ${unknown.slice(0, 10).join(', ')}. Valid types: ${valid.join(', ')}.`,
        { unknown: unknown.slice(0, 10), valid },
      )
    }
    if (filter.size === 0) {
      return refusal(
        400,
        'invalid_request',
        `events is empty: list event types separated by commas, among ${valid.join(', ')}.`,
        { valid },
      )
    }
  }
  return { format, filter }
}

function internalError(): Refusal {
  return refusal(500, 'internal_error', 'The server failed to handle this request.')
}

function hookFailure(hook: string, stream: string, error: unknown): RunstreamError {
  return new RunstreamError(
    'handler_failed',
    `The ${hook} hook threw for stream "${stream}": ${error instanceof Error ? error.message : String(error)}. The client got a 500; fix the hook.`,
    { cause: error, details: { hook, stream } },
  )
}
