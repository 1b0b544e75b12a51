import type { AnyCatalog } from '../core/catalog.js'
import type { StreamManager } from '../core/manager.js'
import { setUpHandler } from './handler-setup.js'
import { fetchIncoming } from './incoming.js'
import { checkManager } from './manager-check.js'
import type { HandlerOptions, RespondOptions } from './options.js'
import type { HandlerStats } from './registry.js'
import { resolveLocation } from './run-options.js'
import { type RunRouteOptions, resolveRunRoute } from './run-response.js'
import { answerResponse } from './sse-response.js'

/**
 * A Fetch handler: `(request) => Promise<Response>`, for Hono, Next.js route handlers, Bun, Deno
 * and Workers. A path that is not a stream route gets a JSON 404.
 */
export interface FetchHandler {
  /**
   * @param server - what the runtime passes after the request, if anything; on Bun, its server,
   * through which a stream's request is exempted from Bun's idle timeout
   */
  (request: Request, server?: unknown): Promise<Response>
  /**
   * Answers `request` with the stream `stream`, bypassing the routes but sharing the handler's
   * options, connection count and shutdown: for routes of your own. A request other than `GET`
   * needs `options.location`, the URL of a `GET` route of the same stream (see
   * `createSseResponse`).
   */
  respond(request: Request, stream: string, options?: RespondOptions): Promise<Response>
  /**
   * Starts a run from `request` and answers with its stream (see `createRunResponse`), sharing
   * the handler's options (`authorize`, `cancelOnDisconnect`, `maxBodyBytes`, …), connection count
   * and shutdown: for run routes of your own.
   */
  startRun<C extends AnyCatalog>(request: Request, options: RunRouteOptions<C>): Promise<Response>
  /** What the open streams hold right now. */
  stats(): HandlerStats
  /**
   * Ends every open stream with a `runstream.error` (`aborted`) so clients resume elsewhere, and
   * answers new requests with 503. Call it when the server shuts down.
   */
  close(): void
}

/**
 * Creates the Fetch handler of the stream routes.
 *
 * | route | stream |
 * | --- | --- |
 * | `GET {basePath}/executions/workflows/:id/stream` | `workflow:<id>` |
 * | `GET {basePath}/executions/agents/:id/stream` | `agent:<id>` |
 * | `GET {basePath}/executions/tasks/:id/stream` | `task:<id>` |
 * | `POST {basePath}/executions/{workflows,agents,tasks}` | starts a run (with the `start` option) and streams it |
 * | `POST {basePath}/executions/{workflows,agents,tasks}/:id/cancel` | cancels a run (with `start`, or `cancelRoute`) |
 *
 * Query: `events=a,b` (only these types; terminal events are always sent), `lastEventId=42`
 * (when the `Last-Event-ID` header cannot be set), `format=text` (agent and task streams: the
 * `llm_chunk` text as `text/plain`).
 *
 * Failures go to the manager's `onError` unless `options.onError` is given. Every option is
 * checked here: a wrong value throws a `TypeError` that says how to fix it.
 *
 * @example
 * ```ts
 * const handler = createFetchHandler(manager, { authorize: (request) => isSignedIn(request) })
 * Bun.serve({ fetch: handler })                       // Bun
 * app.get('/api/v0/executions/*', (c) => handler(c.req.raw)) // Hono
 * export const GET = handler                           // Next.js route handler
 * ```
 * @see docs/server.md
 */
export function createFetchHandler<C extends AnyCatalog>(
  manager: StreamManager<C>,
  options: HandlerOptions<C> = {},
): FetchHandler {
  checkManager('createFetchHandler', manager)
  const { pipeline } = setUpHandler(
    'createFetchHandler',
    manager as StreamManager,
    options as HandlerOptions,
    false,
  )

  const handler = async (request: Request, server?: unknown): Promise<Response> =>
    answerResponse(await pipeline.route(fetchIncoming(request)), request, server)

  return Object.assign(handler, {
    respond(request: Request, stream: string, given?: RespondOptions) {
      // Misuse throws here, to the caller, before anything is answered.
      const location = resolveLocation('respond', request.method, given?.location)
      return pipeline
        .serve(fetchIncoming(request), stream, location)
        .then((answer) => answerResponse(answer, request))
    },
    startRun(request: Request, given: RunRouteOptions) {
      const spec = resolveRunRoute('startRun', manager as StreamManager, given)
      return pipeline
        .startRun(fetchIncoming(request), spec)
        .then((answer) => answerResponse(answer, request))
    },
    stats: () => pipeline.stats(),
    close: () => pipeline.close(),
  })
}
