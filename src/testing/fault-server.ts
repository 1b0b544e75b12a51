import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { formatSse, type SseMessage } from '../server/encoder.js'

/** One event the fault server sends: an SSE message, with `data` given as text or as JSON. */
export interface FaultEvent extends Omit<SseMessage, 'data'> {
  /** Text is sent as it is; anything else is sent as its JSON. */
  data?: unknown
}

/**
 * What the fault server does with one request. Requests take the scripted answers in order; the
 * last one is repeated for any further requests.
 */
export type FaultAnswer =
  | FaultStream
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'json-error'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'no-content' }
  | { kind: 'wrong-content-type'; contentType?: string; body?: string }
  | { kind: 'refuse' }

/** A `200 text/event-stream` answer and how it misbehaves. */
export interface FaultStream {
  kind: 'stream'
  /** The events to send, in order. */
  events?: readonly FaultEvent[]
  /** Raw text sent before the events (a BOM, comments, a `retry:` line, garbage). */
  prelude?: string
  /**
   * How the bytes are cut into writes: a chunk size in bytes, a list of sizes used in turn, or
   * `'every-byte'`. Multi-byte characters may be cut, as a real network may.
   * @defaultValue one write per event
   */
  split?: number | readonly number[] | 'every-byte'
  /** Pause between writes, in milliseconds. @defaultValue 0 */
  delayMs?: number
  /**
   * How the answer ends after the events:
   * - `close`: the response ends cleanly;
   * - `destroy`: the socket is destroyed (a dropped connection);
   * - `destroy-mid-event`: half of the last event is written, then the socket is destroyed;
   * - `hang`: nothing more is written and the socket stays open (a half-open connection);
   * - `keep-open`: like `hang`, but heartbeat comments go on every `heartbeatMs`.
   * @defaultValue `'close'`
   */
  end?: 'close' | 'destroy' | 'destroy-mid-event' | 'hang' | 'keep-open'
  /**
   * Destroys the socket once exactly this many bytes of the body (prelude and events) are
   * written: a connection dropped at any byte, inside a field, a line break or a UTF-8
   * character. Takes the place of `end`.
   */
  cutAfterBytes?: number
  /** For `keep-open`: the heartbeat period. @defaultValue 1000 */
  heartbeatMs?: number
  /** Extra response headers. */
  headers?: Record<string, string>
}

/** A request the fault server received. */
export interface FaultRequest {
  /** 1 for the first request, 2 for the second, … */
  attempt: number
  /** The request method, such as `GET`. */
  method: string
  /** The path and query. */
  url: string
  /** The `Last-Event-ID` header, if sent. */
  lastEventId: string | undefined
  /** Every request header, names lower-cased. */
  headers: IncomingMessage['headers']
  /**
   * Body bytes of a `stream` answer handed to the socket so far, updated as they go: the server
   * waits for `drain` like a real one, so a client that stops reading stops this count.
   */
  bytesSent: number
}

/** Options of {@link createFaultServer}. */
export interface FaultServerOptions {
  /**
   * The scripted answers, one per request in order (the last one repeats), or a function that
   * chooses the answer for each request.
   */
  answers: readonly FaultAnswer[] | ((request: FaultRequest) => FaultAnswer)
  /** The port to listen on, on 127.0.0.1. @defaultValue 0 (a free port) */
  port?: number
}

/** A running fault server. */
export interface FaultServer {
  /** `http://127.0.0.1:<port>`: any path is served. */
  readonly url: string
  /** Every request received so far. */
  readonly requests: readonly FaultRequest[]
  /** Destroys every open connection (a server-side drop), without stopping the server. */
  dropConnections(): void
  /** How many connections are open now. */
  readonly openConnections: number
  /** Stops the server and destroys every connection. */
  close(): Promise<void>
}

/**
 * Starts a local SSE server whose faults are scripted: bytes split at any boundary, connections
 * dropped mid-event, silence with the socket open, error statuses, 204, JSON errors, wrong content
 * types. For testing SSE clients (runstream's or any other) against what real networks do.
 *
 * @example
 * ```ts
 * const server = await createFaultServer({
 *   answers: [
 *     { kind: 'status', status: 502 },
 *     { kind: 'stream', events: [{ id: '1', event: 'llm_chunk', data: { text: 'hi' } }], end: 'destroy' },
 *     { kind: 'no-content' },
 *   ],
 * })
 * // … connect a client to `${server.url}/stream` …
 * await server.close()
 * ```
 */
export async function createFaultServer(options: FaultServerOptions): Promise<FaultServer> {
  const requests: FaultRequest[] = []
  const sockets = new Set<Socket>()
  const timers = new Set<ReturnType<typeof setTimeout>>()
  const choose =
    typeof options.answers === 'function'
      ? options.answers
      : pickInOrder(options.answers as readonly FaultAnswer[])

  const server = createServer((req, res) => {
    const request: FaultRequest = {
      attempt: requests.length + 1,
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      lastEventId: headerValue(req.headers['last-event-id']),
      headers: req.headers,
      bytesSent: 0,
    }
    requests.push(request)
    answer(choose(request), request, req, res)
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get openConnections() {
      return sockets.size
    },
    dropConnections() {
      for (const socket of sockets) socket.destroy()
    },
    async close() {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }

  function answer(
    plan: FaultAnswer,
    request: FaultRequest,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    switch (plan.kind) {
      case 'status':
        res.writeHead(plan.status, { 'content-type': 'text/plain; charset=utf-8', ...plan.headers })
        res.end(plan.body ?? '')
        return
      case 'json-error':
        res.writeHead(plan.status, { 'content-type': 'application/json', ...plan.headers })
        res.end(JSON.stringify(plan.body))
        return
      case 'no-content':
        res.writeHead(204)
        res.end()
        return
      case 'wrong-content-type':
        res.writeHead(200, { 'content-type': plan.contentType ?? 'text/html; charset=utf-8' })
        res.end(plan.body ?? '<!doctype html><p>not a stream</p>')
        return
      case 'refuse':
        req.socket.destroy()
        return
      case 'stream':
        stream(plan, request, res)
        return
    }
  }

  function stream(plan: FaultStream, request: FaultRequest, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      ...plan.headers,
    })
    res.flushHeaders()
    const frames = (plan.events ?? []).map((event) =>
      Buffer.from(formatSse(toMessage(event)), 'utf8'),
    )
    const cutAt = plan.cutAfterBytes
    if (cutAt !== undefined && (!Number.isSafeInteger(cutAt) || cutAt < 0)) {
      throw new TypeError('createFaultServer: `cutAfterBytes` must be a non-negative integer.')
    }
    const end = cutAt === undefined ? (plan.end ?? 'close') : 'destroy'
    let tail: Buffer | undefined
    if (end === 'destroy-mid-event') {
      const last = frames.pop() ?? Buffer.from('data: {"unterminated":true}\n\n')
      tail = last.subarray(0, Math.max(1, Math.floor(last.length / 2)))
    }
    const whole = Buffer.concat([
      Buffer.from(plan.prelude ?? '', 'utf8'),
      ...frames,
      ...(tail ? [tail] : []),
    ])
    const bytes = cutAt === undefined ? whole : whole.subarray(0, cutAt)
    const chunks = cut(bytes, plan.split, frames, plan.prelude).filter((c) => c.length > 0)
    const delay = plan.delayMs ?? 0
    let index = 0
    const next = () => {
      if (res.destroyed) return
      if (index < chunks.length) {
        const chunk = chunks[index++] as Buffer
        const room = res.write(chunk, () => {
          request.bytesSent += chunk.length
        })
        const go = () => (delay > 0 ? schedule(next, delay) : setImmediate(next))
        // A full socket waits for the client, as a real server does.
        if (room) go()
        else res.once('drain', go)
        return
      }
      finish(plan, end, res)
    }
    next()
  }

  function finish(
    plan: FaultStream,
    end: NonNullable<FaultStream['end']>,
    res: ServerResponse,
  ): void {
    switch (end) {
      case 'close':
        res.end()
        return
      case 'destroy':
      case 'destroy-mid-event':
        // Let the last write reach the socket before cutting it.
        schedule(() => res.socket?.destroy(), 10)
        return
      case 'hang':
        return
      case 'keep-open': {
        const beat = () => {
          if (res.destroyed) return
          res.write(': keep-alive\n\n')
          schedule(beat, plan.heartbeatMs ?? 1000)
        }
        schedule(beat, plan.heartbeatMs ?? 1000)
        return
      }
    }
  }

  function schedule(run: () => void, ms: number): void {
    const timer = setTimeout(() => {
      timers.delete(timer)
      run()
    }, ms)
    timers.add(timer)
  }
}

function pickInOrder(answers: readonly FaultAnswer[]): (request: FaultRequest) => FaultAnswer {
  if (answers.length === 0) throw new TypeError('createFaultServer: give at least one answer.')
  return (request) => answers[Math.min(request.attempt, answers.length) - 1] as FaultAnswer
}

function toMessage(event: FaultEvent): SseMessage {
  const { data, ...rest } = event
  if (data === undefined) return rest
  return { ...rest, data: typeof data === 'string' ? data : JSON.stringify(data) }
}

function cut(
  bytes: Buffer,
  split: FaultStream['split'],
  frames: readonly Buffer[],
  prelude: string | undefined,
): Buffer[] {
  if (split === undefined) {
    // One write per event (and one for the prelude, and one for a cut tail).
    const chunks: Buffer[] = []
    let offset = 0
    const sizes = [Buffer.byteLength(prelude ?? '', 'utf8'), ...frames.map((frame) => frame.length)]
    for (const size of sizes) {
      if (size > 0) chunks.push(bytes.subarray(offset, offset + size))
      offset += size
    }
    if (offset < bytes.length) chunks.push(bytes.subarray(offset))
    return chunks
  }
  const sizes = split === 'every-byte' ? [1] : typeof split === 'number' ? [split] : split
  if (sizes.length === 0 || sizes.some((size) => !Number.isSafeInteger(size) || size <= 0)) {
    throw new TypeError('createFaultServer: `split` sizes must be positive integers.')
  }
  const chunks: Buffer[] = []
  let offset = 0
  for (let i = 0; offset < bytes.length; i++) {
    const size = sizes[i % sizes.length] as number
    chunks.push(bytes.subarray(offset, offset + size))
    offset += size
  }
  return chunks
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}
