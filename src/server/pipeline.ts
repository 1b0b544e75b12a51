import { RunstreamError } from '../core/errors.js'
import type { StreamManager } from '../core/manager.js'
import { type Connection, openConnection } from './connection.js'
import { corsHeaders } from './cors.js'
import { dispatch, noRoute } from './dispatch.js'
import { type Refusal, refusal } from './http-errors.js'
import type { IncomingRequest } from './incoming.js'
import { createLimiter, type Slot } from './limits.js'
import { type Preparation, prepareStream, type StreamPlan } from './prepare.js'
import { createRegistry, type HandlerStats, type Registry } from './registry.js'
import type { ExecutionKind } from './routes.js'
import type { ResolvedHandlerOptions, ResolvedSseOptions } from './settings.js'
import type { ConnectionSink } from './sink.js'

/**
 * What the pipeline decided for one request, for an edge to turn into its own response: a JSON
 * error, an empty 204 (a preflight, or a cursor at the end of a finished stream), a hook's own
 * `Response`, nothing at all (the client already left), or a stream to start.
 */
export type Answer =
  | { readonly kind: 'no-route'; readonly refusal: Refusal }
  | { readonly kind: 'refuse'; readonly refusal: Refusal }
  | { readonly kind: 'empty'; readonly headers: Record<string, string> }
  | { readonly kind: 'response'; readonly response: Response }
  | { readonly kind: 'gone' }
  | StreamAnswer

/** A stream the pipeline admitted: its place is held until it is started or cancelled. */
export interface StreamAnswer {
  readonly kind: 'stream'
  /** The response headers, sent with status 200. */
  readonly headers: Record<string, string>
  /**
   * Starts the stream on the sink `makeSink` creates; the sink calls `release` once it is done
   * (finished, failed or cut by the client). When `signal` aborts, the stream is released too.
   * Returns the sink.
   */
  start<S extends ConnectionSink>(makeSink: (release: () => void) => S, signal?: AbortSignal): S
  /** Gives the place back without starting: for an edge that failed before it could start. */
  cancel(): void
}

/** The pipeline of the handlers' routes, with their connection count and shutdown. */
export interface HandlerPipeline {
  /** Answers a request to `{basePath}/executions/…`, or says it is no stream route. */
  route(incoming: IncomingRequest): Promise<Answer>
  /** Answers a request with the stream `stream`, bypassing the routes (`handler.respond`). */
  serve(incoming: IncomingRequest, stream: string): Promise<Answer>
  /** What the open streams hold right now. */
  stats(): HandlerStats
  /** Ends every open stream with `runstream.error` (`aborted`) and refuses new ones with 503. */
  close(): void
}

/**
 * Creates the one request pipeline of a handler, shared by the Fetch and Node edges: route,
 * CORS, connection caps, the hooks, the query and the cursor, then replay and live events on
 * the sink the edge provides, with heartbeats and teardown. An edge only adapts objects.
 */
export function createHandlerPipeline(
  manager: StreamManager,
  options: ResolvedHandlerOptions,
): HandlerPipeline {
  const registry = createRegistry(createLimiter(options.limits, options.onError))
  return {
    route: (incoming) => guard(options, () => route(incoming)),
    serve: (incoming, stream) =>
      guard(options, () => answerStream(manager, options, registry, incoming, stream, undefined)),
    stats: () => registry.stats(),
    close: () => registry.close(),
  }

  function route(incoming: IncomingRequest): Promise<Answer> | Answer {
    const routed = dispatch(incoming, options.basePath, options)
    switch (routed.kind) {
      case 'no-route':
        return { kind: 'no-route', refusal: noRoute(incoming, options) }
      case 'refuse':
        return routed
      case 'preflight':
        return { kind: 'empty', headers: routed.headers }
      case 'stream':
        return answerStream(
          manager,
          options,
          registry,
          incoming,
          routed.match.stream,
          routed.match.kind,
        )
    }
  }
}

/**
 * Answers one request with the stream `stream`, outside any handler: no connection count, no
 * shutdown (`createSseResponse`).
 */
export function serveStream(
  manager: StreamManager,
  options: ResolvedSseOptions,
  incoming: IncomingRequest,
  stream: string,
): Promise<Answer> {
  return guard(options, () =>
    answerStream(manager, options, undefined, incoming, stream, undefined),
  )
}

/**
 * The 500 of a failure no step expected, reported to `onError` as `handler_failed`; nothing of
 * it reaches the client.
 */
export function internalFailure(options: ResolvedSseOptions, error: unknown): Refusal {
  options.onError(
    new RunstreamError(
      'handler_failed',
      `The stream handler failed: ${error instanceof Error ? error.message : String(error)}.`,
      { cause: error },
    ),
  )
  return refusal(500, 'internal_error', 'The server failed to handle this request.')
}

async function guard(
  options: ResolvedSseOptions,
  run: () => Promise<Answer> | Answer,
): Promise<Answer> {
  try {
    return await run()
  } catch (error) {
    return { kind: 'refuse', refusal: internalFailure(options, error) }
  }
}

async function answerStream(
  manager: StreamManager,
  options: ResolvedSseOptions,
  registry: Registry | undefined,
  incoming: IncomingRequest,
  stream: string,
  kind: ExecutionKind | undefined,
): Promise<Answer> {
  // A function, so the checks after the awaits are not narrowed away: close() may come meanwhile.
  const closed = () => registry?.closed === true
  if (closed()) return refuse(shuttingDown())
  // The place is taken before the hooks run, so a flood of requests waiting on them is capped too.
  const admitted = registry === undefined ? undefined : await registry.limiter.admit(incoming)
  if (admitted !== undefined && 'status' in admitted) {
    return refuse(withCors(admitted, incoming, options))
  }
  let prepared: Preparation
  try {
    prepared = await prepareStream(manager, incoming, stream, kind, options)
  } catch (error) {
    admitted?.release()
    throw error
  }
  // The client may have left, or the server begun to shut down, while the hooks and the store
  // were consulted.
  const gone = incoming.gone()
  if (prepared.kind !== 'stream' || gone || closed()) admitted?.release()
  if (gone) return { kind: 'gone' }
  switch (prepared.kind) {
    case 'refuse':
      return refuse(prepared.refusal)
    case 'response':
      return prepared
    case 'empty':
      return prepared
  }
  if (closed()) return refuse(shuttingDown())
  return streamAnswer(manager, options, registry, prepared.plan, prepared.headers, admitted)
}

function streamAnswer(
  manager: StreamManager,
  options: ResolvedSseOptions,
  registry: Registry | undefined,
  plan: StreamPlan,
  headers: Record<string, string>,
  slot: Slot | undefined,
): StreamAnswer {
  let settled = false
  return {
    kind: 'stream',
    headers,
    start(makeSink, signal) {
      if (settled) throw new Error('runstream: a stream answer was started or cancelled already')
      settled = true
      return startStream(manager, options, registry, plan, slot, makeSink, signal)
    },
    cancel() {
      if (settled) return
      settled = true
      slot?.release()
    },
  }
}

/**
 * Opens the connection and ties its end to the place it holds. A function of its own, so the
 * closures a connection keeps for its whole life hold only what they need.
 */
function startStream<S extends ConnectionSink>(
  manager: StreamManager,
  options: ResolvedSseOptions,
  registry: Registry | undefined,
  plan: StreamPlan,
  slot: Slot | undefined,
  makeSink: (release: () => void) => S,
  signal: AbortSignal | undefined,
): S {
  let connection: Connection | undefined
  let released = false
  let onAbort: (() => void) | undefined
  // Inline closures, not named constants: a per-connection function whose name is assigned costs
  // a property store of its own in builds that keep names (tsx, esbuild's keepNames).
  // The connection is still unset when the sink is done while it opens: it is released then.
  const sink = makeSink(() => connection?.release())
  connection = openConnection(manager, plan, sink, options, () => {
    released = true
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort)
    slot?.release()
    // Still unset when released while it opens: it was never added then.
    if (connection !== undefined) registry?.remove(connection)
  })
  // A connection can end while it opens (the subscription failed at once): then nothing is held.
  if (released) return sink
  registry?.add(connection)
  if (signal !== undefined) {
    onAbort = releaser(connection)
    signal.addEventListener('abort', onAbort, { once: true })
    if (signal.aborted) connection.release()
  }
  // close() came between the answer and its start: the client is told to resume elsewhere.
  if (registry?.closed === true) connection.end('aborted')
  return sink
}

function releaser(connection: Connection): () => void {
  return () => connection.release()
}

function refuse(r: Refusal): Answer {
  return { kind: 'refuse', refusal: r }
}

function shuttingDown(): Refusal {
  return refusal(503, 'unavailable', 'The server is shutting down. Retry in a moment.', undefined, {
    'retry-after': '1',
  })
}

/** A refusal with the CORS headers of the request's origin, so a page can read why. */
function withCors(r: Refusal, incoming: IncomingRequest, options: ResolvedSseOptions): Refusal {
  const cors = corsHeaders(options.cors, incoming.header('origin'))
  return cors === undefined ? r : { ...r, headers: { ...r.headers, ...cors } }
}
