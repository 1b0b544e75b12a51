import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import type { AnyCatalog } from '../core/catalog.js'
import type { StreamManager } from '../core/manager.js'
import { setUpHandler } from '../server/handler-setup.js'
import { JSON_HEADERS, type Refusal } from '../server/http-errors.js'
import type { IncomingRequest } from '../server/incoming.js'
import { checkManager } from '../server/manager-check.js'
import type { HandlerOptions, RespondOptions } from '../server/options.js'
import { internalFailure } from '../server/pipeline.js'
import type { HandlerStats } from '../server/registry.js'
import { resolveLocation } from '../server/run-options.js'
import { type RunRouteOptions, resolveRunRoute } from '../server/run-response.js'
import type { Answer } from '../server/stream-answer.js'
import { readNodeBody } from './body.js'
import { createNodeSink } from './sse-sink.js'

/** A request of `node:http` (Express and Fastify's `request.raw` included) or `node:http2`. */
export type NodeRequest = (IncomingMessage | Http2ServerRequest) & {
  /** Express keeps the full path here when a router is mounted under a prefix. */
  originalUrl?: string
}

/** A response of `node:http` or of the `node:http2` compatibility API. */
export type NodeResponse = ServerResponse | Http2ServerResponse

/**
 * A Node handler: `(req, res, next?)`, for `node:http`, `node:http2`, Express and Fastify.
 * It resolves once the answer is decided and the stream has started (not when it ends).
 */
export interface NodeHandler {
  (req: NodeRequest, res: NodeResponse, next?: (error?: unknown) => void): Promise<void>
  /**
   * Answers with the stream `stream`, bypassing the routes: for routes of your own. A request
   * other than `GET` needs `options.location`, the URL of a `GET` route of the same stream (see
   * `createSseResponse`).
   */
  respond(
    req: NodeRequest,
    res: NodeResponse,
    stream: string,
    options?: RespondOptions,
  ): Promise<void>
  /**
   * Starts a run from `req` and answers with its stream (see `createRunResponse` in
   * `runstream/server`), sharing the handler's options (`authorize`, `cancelOnDisconnect`,
   * `maxBodyBytes`, …), connection count and shutdown: for run routes of your own.
   */
  startRun<C extends AnyCatalog>(
    req: NodeRequest,
    res: NodeResponse,
    options: RunRouteOptions<C>,
  ): Promise<void>
  /** What the open streams hold right now. */
  stats(): HandlerStats
  /**
   * Ends every open stream with a `runstream.error` (`aborted`) so clients resume elsewhere, and
   * answers new requests with 503. Call it before `server.close()`.
   */
  close(): void
}

/**
 * Creates the Node handler of the stream routes: the same routes, options and bytes as
 * `createFetchHandler` from `runstream/server`, written straight to the Node response. Frames
 * are encoded once per event for all clients, and what is queued while a socket is busy is
 * joined into one write.
 *
 * A path that is no stream route calls `next()` when given (Express middleware), and gets a JSON
 * 404 otherwise. With the `start` option, `POST {basePath}/executions/{workflows,agents,tasks}`
 * starts runs and `POST …/:id/cancel` cancels them (see docs/runs.md).
 *
 * @example
 * ```ts
 * const handler = createNodeHandler(manager)
 * http.createServer(handler).listen(3000)          // node:http
 * app.use(handler)                                 // Express
 * fastify.get('/api/v0/executions/*', (request, reply) => {
 *   reply.hijack()
 *   return handler(request.raw, reply.raw)          // Fastify
 * })
 * ```
 * @see docs/server.md
 */
export function createNodeHandler<C extends AnyCatalog>(
  manager: StreamManager<C>,
  options: HandlerOptions<C> = {},
): NodeHandler {
  checkManager('createNodeHandler', manager)
  const { resolved, pipeline } = setUpHandler(
    'createNodeHandler',
    manager as StreamManager,
    options as HandlerOptions,
    true,
  )

  const handler = async (
    req: NodeRequest,
    res: NodeResponse,
    next?: (error?: unknown) => void,
  ): Promise<void> => {
    const answer = await pipeline.route(nodeIncoming(req, res))
    if (answer.kind === 'no-route' && next !== undefined) next()
    else await writeAnswer(res, answer)
  }

  const respond = guarded(
    async (req: NodeRequest, res: NodeResponse, stream: string, location: string | undefined) =>
      writeAnswer(res, await pipeline.serve(nodeIncoming(req, res), stream, location)),
  )

  const startRun = guarded(
    async (req: NodeRequest, res: NodeResponse, spec: ReturnType<typeof resolveRunRoute>) =>
      writeAnswer(res, await pipeline.startRun(nodeIncoming(req, res), spec)),
  )

  return Object.assign(guarded(handler), {
    respond(req: NodeRequest, res: NodeResponse, stream: string, given?: RespondOptions) {
      // Misuse throws here, to the caller, before anything is written.
      const location = resolveLocation('respond', req.method ?? 'GET', given?.location)
      return respond(req, res, stream, location)
    },
    startRun(req: NodeRequest, res: NodeResponse, given: RunRouteOptions) {
      const spec = resolveRunRoute('startRun', manager as StreamManager, given)
      return startRun(req, res, spec)
    },
    stats: () => pipeline.stats(),
    close: () => pipeline.close(),
  })

  /**
   * Never lets a failure escape: `node:http` does not handle the promise a listener returns, so
   * a rejection would crash the process. The client gets a 500 that reveals nothing.
   */
  function guarded<A extends [NodeRequest, NodeResponse, ...unknown[]]>(
    run: (...args: A) => Promise<void>,
  ): (...args: A) => Promise<void> {
    return async (...args) => {
      try {
        await run(...args)
      } catch (error) {
        writeRefusal(args[1], internalFailure(resolved, error))
      }
    }
  }
}

/**
 * The Node edge of the pipeline: writes an {@link Answer} to the response. A stream is written
 * straight to the response, which calls the stream's release when it closes.
 */
export async function writeAnswer(res: NodeResponse, answer: Answer): Promise<void> {
  switch (answer.kind) {
    case 'no-route':
    case 'refuse':
      writeRefusal(res, answer.refusal)
      return
    case 'empty':
      res.writeHead(204, answer.headers)
      res.end()
      return
    case 'json':
      res.writeHead(answer.status, { ...JSON_HEADERS, ...answer.headers })
      res.end(JSON.stringify(answer.body))
      return
    case 'response':
      await writeResponse(res, answer.response)
      return
    case 'gone':
      return
    case 'stream':
      try {
        res.writeHead(200, answer.headers)
        if ('flushHeaders' in res) res.flushHeaders()
      } catch (error) {
        answer.cancel()
        throw error
      }
      answer.start((owner) => createNodeSink(res, owner))
  }
}

/** Wraps a Node request for the pipeline; the Fetch `Request` is built only if a hook asks. */
export function nodeIncoming(req: NodeRequest, res: NodeResponse): IncomingRequest {
  const path = req.originalUrl ?? req.url ?? '/'
  let url: URL | undefined
  let request: Request | undefined
  return {
    method: req.method ?? 'GET',
    get url() {
      url ??= parsePath(path)
      return url
    },
    target: path,
    clientAddress: () => req.socket?.remoteAddress,
    gone: () => res.destroyed,
    readBody: (maxBytes) => readNodeBody(req, maxBytes),
    header(name) {
      const value = req.headers[name]
      if (value === undefined) return null
      return Array.isArray(value) ? value.join(', ') : value
    },
    toRequest() {
      request ??= toFetchRequest(req, path)
      return request
    },
  }
}

function parsePath(path: string): URL {
  try {
    return new URL(path, 'http://localhost')
  } catch {
    return new URL('http://localhost/')
  }
}

function toFetchRequest(req: NodeRequest, path: string): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers as IncomingHttpHeaders)) {
    // HTTP/2 pseudo-headers (:path, :authority, …) are not headers for Fetch.
    if (value === undefined || name.startsWith(':')) continue
    if (Array.isArray(value)) for (const item of value) headers.append(name, item)
    else headers.append(name, value)
  }
  const host = req.headers.host ?? req.headers[':authority'] ?? 'localhost'
  const secure = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true
  let url: string
  try {
    url = new URL(path, `${secure ? 'https' : 'http'}://${String(host)}`).href
  } catch {
    url = new URL(path, 'http://localhost').href
  }
  return new Request(url, { method: req.method ?? 'GET', headers })
}

/** Writes a refusal as its JSON answer, or cuts the response when its headers went out already. */
export function writeRefusal(res: NodeResponse, r: Refusal): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const body = JSON.stringify(r.body)
  res.writeHead(
    r.status,
    r.headers === undefined ? { ...JSON_HEADERS } : { ...JSON_HEADERS, ...r.headers },
  )
  res.end(body)
}

// Headers that belong to one hop, which a Node response sets (or must not set) itself.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade'])

async function writeResponse(res: NodeResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name)) headers[name] = value
  })
  const body = response.body === null ? undefined : new Uint8Array(await response.arrayBuffer())
  res.writeHead(response.status, headers)
  if (body === undefined) res.end()
  else res.end(body)
}
