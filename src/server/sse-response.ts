import type { StreamManager } from '../core/manager.js'
import { type Connection, openConnection } from './connection.js'
import { corsHeaders } from './cors.js'
import { JSON_HEADERS, type Refusal, refusal } from './http-errors.js'
import { type ResolvedSseOptions, resolveSseOptions, type SseOptions } from './options.js'
import { type IncomingRequest, type Preparation, prepareStream } from './prepare.js'
import type { Registry } from './registry.js'
import type { ExecutionKind } from './routes.js'
import { createWebSink } from './web-sink.js'

/**
 * Answers one request with the live stream `stream`: the building block for routes of your own.
 * The response is an SSE stream (or text with `?format=text`), a 204 when the request's cursor is
 * at the end of a finished stream, or a JSON error. The query and headers are read as on the
 * built-in routes: `Last-Event-ID` or `lastEventId`, `events`, `format`.
 *
 * The method is not checked, so a `POST` that starts a run may answer with its stream.
 *
 * @param manager - the manager whose events are streamed
 * @param request - the incoming request; its `signal` ends the stream when it aborts
 * @param stream - the stream's name, such as `workflow:exec_42`; never build it from unchecked input
 * @example
 * ```ts
 * app.get('/runs/:id/events', (c) => createSseResponse(manager, c.req.raw, `run:${c.req.param('id')}`))
 * ```
 */
export function createSseResponse(
  manager: StreamManager,
  request: Request,
  stream: string,
  options?: SseOptions,
): Promise<Response> {
  return respond(
    manager,
    fetchIncoming(request),
    request,
    stream,
    undefined,
    resolveSseOptions('createSseResponse', options),
    undefined,
  )
}

/** The shared path of {@link createSseResponse} and the Fetch handler. */
export async function respond(
  manager: StreamManager,
  incoming: IncomingRequest,
  request: Request,
  stream: string,
  kind: ExecutionKind | undefined,
  options: ResolvedSseOptions,
  registry: Registry | undefined,
): Promise<Response> {
  // A function, so the check after the await is not narrowed away: close() may come meanwhile.
  const closed = () => registry?.closed === true
  if (closed()) {
    return refusalResponse(
      refusal(503, 'unavailable', 'The server is shutting down. Retry in a moment.', undefined, {
        'retry-after': '1',
      }),
    )
  }
  // The place is taken before the hooks run, so a flood of requests waiting on them is capped too.
  const slot = registry === undefined ? undefined : await registry.limiter.admit(incoming, noKey)
  if (slot !== undefined && 'status' in slot)
    return refusalResponse(withCors(slot, incoming, options))
  let prepared: Preparation
  try {
    prepared = await prepareStream(manager, incoming, stream, kind, options)
  } catch (error) {
    slot?.release()
    throw error
  }
  if (prepared.kind !== 'stream') slot?.release()
  if (closed() && prepared.kind === 'stream') {
    slot?.release()
    return refusalResponse(refusal(503, 'unavailable', 'The server is shutting down.'))
  }
  switch (prepared.kind) {
    case 'refuse':
      return refusalResponse(prepared.refusal)
    case 'response':
      return prepared.response
    case 'empty':
      return new Response(null, { status: 204, headers: prepared.headers })
  }
  const { signal } = request
  let connection: Connection | undefined
  let released = false
  const sink = createWebSink(() => connection?.release())
  const onAbort = () => connection?.release()
  connection = openConnection(manager, prepared.plan, sink, options, () => {
    released = true
    signal.removeEventListener('abort', onAbort)
    slot?.release()
    if (connection !== undefined) registry?.remove(connection)
  })
  // A connection can end while it opens (the subscription failed at once): then nothing is held.
  if (!released) {
    registry?.add(connection)
    signal.addEventListener('abort', onAbort, { once: true })
    if (signal.aborted) connection.release()
  }
  return new Response(sink.body, { status: 200, headers: prepared.headers })
}

/** Wraps a Fetch request for the shared logic. */
export function fetchIncoming(request: Request): IncomingRequest {
  let url: URL | undefined
  return {
    method: request.method,
    get url() {
      url ??= new URL(request.url)
      return url
    },
    header: (name) => request.headers.get(name),
    toRequest: () => request,
  }
}

/** A {@link Refusal} as a JSON `Response`. */
export function refusalResponse(r: Refusal): Response {
  return new Response(JSON.stringify(r.body), {
    status: r.status,
    headers: r.headers === undefined ? JSON_HEADERS : { ...JSON_HEADERS, ...r.headers },
  })
}

/** A Fetch request carries no client address: without `clientKey`, no per-client count. */
const noKey = (): undefined => undefined

/** A refusal with the CORS headers of the request's origin, so a page can read why. */
export function withCors(
  r: Refusal,
  incoming: IncomingRequest,
  options: ResolvedSseOptions,
): Refusal {
  const cors = corsHeaders(options.cors, incoming.header('origin'))
  return cors === undefined ? r : { ...r, headers: { ...r.headers, ...cors } }
}
