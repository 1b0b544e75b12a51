import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import { RunstreamError } from '../core/errors.js'
import type { StreamManager } from '../core/manager.js'
import { type Connection, openConnection } from '../server/connection.js'
import { dispatch, noRoute } from '../server/dispatch.js'
import type { HandlerOptions } from '../server/fetch-handler.js'
import { JSON_HEADERS, type Refusal, refusal } from '../server/http-errors.js'
import { createLimiter, resolveLimits, type Slot } from '../server/limits.js'
import { type ResolvedSseOptions, resolveSseOptions } from '../server/options.js'
import { type IncomingRequest, prepareStream } from '../server/prepare.js'
import { createRegistry, type HandlerStats } from '../server/registry.js'
import { type ExecutionKind, normalizeBasePath } from '../server/routes.js'
import { withCors } from '../server/sse-response.js'
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
  /** Answers with the stream `stream`, bypassing the routes: for routes of your own. */
  respond(req: NodeRequest, res: NodeResponse, stream: string): Promise<void>
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
 * 404 otherwise.
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
export function createNodeHandler(
  manager: StreamManager,
  options: HandlerOptions = {},
): NodeHandler {
  const resolved = resolveSseOptions('createNodeHandler', options)
  const basePath = normalizeBasePath(options.basePath ?? '/api/v0')
  const limits = resolveLimits('createNodeHandler', options, true)
  const registry = createRegistry(createLimiter(limits, resolved.onError))

  const handler = async (
    req: NodeRequest,
    res: NodeResponse,
    next?: (error?: unknown) => void,
  ): Promise<void> => {
    const incoming = nodeIncoming(req)
    const route = dispatch(incoming, basePath, resolved)
    switch (route.kind) {
      case 'no-route':
        if (next !== undefined) next()
        else writeRefusal(res, noRoute(incoming, resolved))
        return
      case 'refuse':
        writeRefusal(res, route.refusal)
        return
      case 'preflight':
        res.writeHead(204, route.headers)
        res.end()
        return
      case 'stream':
        return serve(req, incoming, res, route.match.stream, route.match.kind)
    }
  }

  return Object.assign(guarded(handler), {
    respond: guarded((req: NodeRequest, res: NodeResponse, stream: string) =>
      serve(req, nodeIncoming(req), res, stream, undefined),
    ),
    stats: () => registry.stats(),
    close: () => registry.close(),
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
        resolved.onError(
          new RunstreamError(
            'handler_failed',
            `The stream handler failed: ${error instanceof Error ? error.message : String(error)}.`,
            { cause: error },
          ),
        )
        writeRefusal(
          args[1],
          refusal(500, 'internal_error', 'The server failed to handle this request.'),
        )
      }
    }
  }

  async function serve(
    req: NodeRequest,
    incoming: IncomingRequest,
    res: NodeResponse,
    stream: string,
    kind: ExecutionKind | undefined,
  ): Promise<void> {
    if (registry.closed) {
      writeRefusal(
        res,
        refusal(503, 'unavailable', 'The server is shutting down. Retry in a moment.', undefined, {
          'retry-after': '1',
        }),
      )
      return
    }
    // The client may leave while the hooks and the store are consulted.
    let gone = res.destroyed
    const onEarlyClose = () => {
      gone = true
    }
    res.on('close', onEarlyClose)
    let slot: Slot | undefined
    let prepared: Awaited<ReturnType<typeof prepareStream>>
    try {
      // The place is taken before the hooks run, so a flood of requests waiting on them is capped too.
      const admitted = await registry.limiter.admit(incoming, () => req.socket?.remoteAddress)
      if ('status' in admitted) {
        if (!gone) writeRefusal(res, withCors(admitted, incoming, resolved))
        return
      }
      slot = admitted
      prepared = await prepareStream(manager, incoming, stream, kind, resolved)
    } catch (error) {
      slot?.release()
      throw error
    } finally {
      res.off('close', onEarlyClose)
    }
    if (gone || prepared.kind !== 'stream') slot.release()
    if (gone) return
    if (registry.closed && prepared.kind === 'stream') {
      slot.release()
      writeRefusal(res, refusal(503, 'unavailable', 'The server is shutting down.', undefined))
      return
    }
    switch (prepared.kind) {
      case 'refuse':
        writeRefusal(res, prepared.refusal)
        return
      case 'response':
        await writeResponse(res, prepared.response)
        return
      case 'empty':
        res.writeHead(204, prepared.headers)
        res.end()
        return
    }
    res.writeHead(200, prepared.headers)
    if ('flushHeaders' in res) res.flushHeaders()
    startConnection(res, prepared.plan, resolved, slot)
  }

  function startConnection(
    res: NodeResponse,
    plan: Parameters<typeof openConnection>[1],
    settings: ResolvedSseOptions,
    slot: Slot,
  ): void {
    let connection: Connection | undefined
    let released = false
    const sink = createNodeSink(res, () => connection?.release())
    connection = openConnection(manager, plan, sink, settings, () => {
      released = true
      slot.release()
      // Still unset when released while it opens: it was never added then.
      if (connection !== undefined) registry.remove(connection)
    })
    if (!released) registry.add(connection)
  }
}

/** Wraps a Node request for the shared logic; the Fetch `Request` is built only if a hook asks. */
function nodeIncoming(req: NodeRequest): IncomingRequest {
  const path = req.originalUrl ?? req.url ?? '/'
  let url: URL | undefined
  let request: Request | undefined
  return {
    method: req.method ?? 'GET',
    get url() {
      url ??= parsePath(path)
      return url
    },
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

function writeRefusal(res: NodeResponse, r: Refusal): void {
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
