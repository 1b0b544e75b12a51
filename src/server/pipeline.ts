import { RunstreamError } from '../core/errors.js'
import type { StreamManager } from '../core/manager.js'
import { corsHeadersWithLocation } from './cors.js'
import { dispatch, noRoute } from './dispatch.js'
import { type Refusal, refusal } from './http-errors.js'
import type { IncomingRequest } from './incoming.js'
import { createLimiter } from './limits.js'
import { type ManyPreparation, prepareStreams } from './many-request.js'
import { type Preparation, prepareStream } from './prepare.js'
import { createRegistry, type HandlerStats, type Registry } from './registry.js'
import { streamRoutePath } from './routes.js'
import { answerRunCancel } from './run-cancel.js'
import { answerRunStart, type RunStartSpec } from './run-start.js'
import type { ResolvedHandlerOptions, ResolvedSseOptions } from './settings.js'
import { type Answer, refuse, shuttingDown, streamAnswer, withCors } from './stream-answer.js'

// The answers live in stream-answer.ts; edges written against this file still find them here.
export type { Answer, StreamAnswer } from './stream-answer.js'

/** The pipeline of the handlers' routes, with their connection count and shutdown. */
export interface HandlerPipeline {
  /** Answers a request to `{basePath}/executions/…`, or says it is no stream route. */
  route(incoming: IncomingRequest): Promise<Answer>
  /**
   * Answers a request with the stream `stream`, bypassing the routes (`handler.respond`), with
   * `Location` and `Content-Location` when `location` is given.
   */
  serve(incoming: IncomingRequest, stream: string, location?: string): Promise<Answer>
  /**
   * Starts a run from a request and answers with its stream, bypassing the routes
   * (`handler.startRun`), under the handler's caps, hooks and run options.
   */
  startRun(incoming: IncomingRequest, spec: Omit<RunStartSpec, 'runs'>): Promise<Answer>
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
  const runRoutes = { start: options.start !== undefined, cancel: options.cancelRoute }
  return {
    route: (incoming) => guard(options, () => route(incoming)),
    serve: (incoming, stream, location) =>
      guard(options, () =>
        answerStream(
          options,
          registry,
          incoming,
          () => prepareStream(manager, incoming, stream, undefined, options),
          manager,
          location,
        ),
      ),
    startRun: (incoming, spec) =>
      guard(options, () =>
        answerRunStart(manager, options, registry, incoming, { ...spec, runs: options.runs }),
      ),
    stats: () => registry.stats(),
    close: () => registry.close(),
  }

  function route(incoming: IncomingRequest): Promise<Answer> | Answer {
    const routed = dispatch(incoming, options.basePath, options, runRoutes)
    switch (routed.kind) {
      case 'no-route':
        return { kind: 'no-route', refusal: noRoute(incoming, options) }
      case 'refuse':
        return routed
      case 'preflight':
        return { kind: 'empty', headers: routed.headers }
      case 'stream':
        return answerStream(
          options,
          registry,
          incoming,
          () => prepareStream(manager, incoming, routed.match.stream, routed.match.kind, options),
          manager,
        )
      case 'streams':
        return answerStream(
          options,
          registry,
          incoming,
          () => prepareStreams(manager, incoming, options),
          manager,
        )
      case 'start-run': {
        const kind = routed.execution
        const start = options.start
        // Routed only when the handler has a start.
        if (start === undefined) return { kind: 'no-route', refusal: noRoute(incoming, options) }
        return answerRunStart(manager, options, registry, incoming, {
          kind,
          id: undefined,
          location: (run) => streamRoutePath(options.basePath, kind, run.id),
          input: undefined,
          start,
          runs: options.runs,
        })
      }
      case 'cancel-run':
        return answerRunCancel(manager, options, incoming, routed.match.stream)
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
  location?: string,
): Promise<Answer> {
  return guard(options, () =>
    answerStream(
      options,
      undefined,
      incoming,
      () => prepareStream(manager, incoming, stream, undefined, options),
      manager,
      location,
    ),
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

/** Runs a step, turning a failure no step expected into a 500 (see {@link internalFailure}). */
export async function guard(
  options: ResolvedSseOptions,
  run: () => Promise<Answer> | Answer,
): Promise<Answer> {
  try {
    return await run()
  } catch (error) {
    return { kind: 'refuse', refusal: internalFailure(options, error) }
  }
}

/**
 * The flow of every stream answer, for one stream or many: the shutdown check, a place among the
 * open streams (taken before the hooks run), the preparation `prepare` makes, the checks after
 * its awaits, then the stream.
 */
async function answerStream(
  options: ResolvedSseOptions,
  registry: Registry | undefined,
  incoming: IncomingRequest,
  prepare: () => Promise<Preparation | ManyPreparation>,
  manager: StreamManager,
  location?: string,
): Promise<Answer> {
  // A function, so the checks after the awaits are not narrowed away: close() may come meanwhile.
  const closed = () => registry?.closed === true
  if (closed()) return refuse(shuttingDown())
  // The place is taken before the hooks run, so a flood of requests waiting on them is capped too.
  const admitted = registry === undefined ? undefined : await registry.limiter.admit(incoming)
  if (admitted !== undefined && 'status' in admitted) {
    return refuse(withCors(admitted, incoming, options))
  }
  let prepared: Preparation | ManyPreparation
  try {
    prepared = await prepare()
  } catch (error) {
    admitted?.release()
    throw error
  }
  // The client may have left, or the server begun to shut down, while the hooks and the store
  // were consulted.
  const gone = prepared.kind === 'gone' || incoming.gone()
  if (prepared.kind !== 'stream' || gone || closed()) admitted?.release()
  if (gone || prepared.kind === 'gone') return { kind: 'gone' }
  switch (prepared.kind) {
    case 'refuse':
      return refuse(prepared.refusal)
    case 'response':
      return prepared
    case 'empty':
      return prepared
  }
  if (closed()) return refuse(shuttingDown())
  const headers =
    location === undefined
      ? prepared.headers
      : {
          ...prepared.headers,
          ...corsHeadersWithLocation(options.cors, incoming.header('origin')),
          location,
          'content-location': location,
        }
  return streamAnswer(manager, options, registry, prepared.plan, headers, admitted)
}
