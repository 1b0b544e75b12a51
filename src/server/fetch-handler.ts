import type { StreamManager } from '../core/manager.js'
import { dispatch, noRoute } from './dispatch.js'
import { keepStreamOpen } from './idle-timeout.js'
import { type ConnectionLimitOptions, createLimiter, resolveLimits } from './limits.js'
import { resolveSseOptions, type SseOptions } from './options.js'
import { createRegistry, type HandlerStats } from './registry.js'
import { normalizeBasePath } from './routes.js'
import { fetchIncoming, refusalResponse, respond } from './sse-response.js'

/** Options of {@link createFetchHandler} and `createNodeHandler`. */
export interface HandlerOptions extends SseOptions, ConnectionLimitOptions {
  /**
   * The path the routes live under:
   * `{basePath}/executions/workflows/:id/stream`, `.../agents/:id/stream`, `.../tasks/:id/stream`.
   * @defaultValue `'/api/v0'`
   */
  basePath?: string
}

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
   * options, connection count and shutdown: for routes of your own.
   */
  respond(request: Request, stream: string): Promise<Response>
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
 *
 * Query: `events=a,b` (only these types; terminal events are always sent), `lastEventId=42`
 * (when the `Last-Event-ID` header cannot be set), `format=text` (agent and task streams: the
 * `llm_chunk` text as `text/plain`).
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
export function createFetchHandler(
  manager: StreamManager,
  options: HandlerOptions = {},
): FetchHandler {
  const resolved = resolveSseOptions('createFetchHandler', options)
  const basePath = normalizeBasePath(options.basePath ?? '/api/v0')
  const limits = resolveLimits('createFetchHandler', options, false)
  const registry = createRegistry(createLimiter(limits, resolved.onError))

  const handler = async (request: Request, server?: unknown): Promise<Response> => {
    const incoming = fetchIncoming(request)
    const route = dispatch(incoming, basePath, resolved)
    switch (route.kind) {
      case 'no-route':
        return refusalResponse(noRoute(incoming, resolved))
      case 'refuse':
        return refusalResponse(route.refusal)
      case 'preflight':
        return new Response(null, { status: 204, headers: route.headers })
    }
    keepStreamOpen(request, server)
    return respond(
      manager,
      incoming,
      request,
      route.match.stream,
      route.match.kind,
      resolved,
      registry,
    )
  }

  return Object.assign(handler, {
    respond: (request: Request, stream: string) =>
      respond(manager, fetchIncoming(request), request, stream, undefined, resolved, registry),
    stats: () => registry.stats(),
    close: () => registry.close(),
  })
}
