import http, { type IncomingHttpHeaders } from 'node:http'
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net'
import { createParser, type EventSourceMessage } from 'eventsource-parser'

/** A real `node:http` server on 127.0.0.1, port 0, that can cut its clients off. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly server: http.Server
  /** Sockets open now. */
  readonly sockets: ReadonlySet<Socket>
  /** Destroys every open socket (a server-side drop). */
  dropConnections(): void
  /** Drops every socket and closes the server. */
  close(): Promise<void>
}

/** Starts `listener` on a real server, port 0. */
export async function startServer(listener: http.RequestListener): Promise<TestServer> {
  const server = http.createServer(listener)
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const dropConnections = () => {
    for (const socket of sockets) socket.destroy()
  }
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    sockets,
    dropConnections,
    close() {
      dropConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/** Collects the text of a response body as it arrives, and waits for what a test expects. */
export interface BodyReader {
  /** Everything received so far. */
  readonly text: string
  /** Whether the body ended (cleanly or not). */
  readonly ended: boolean
  /** Resolves with the text once `predicate(text)` holds; rejects after `timeoutMs` (10 s). */
  until(predicate: (text: string) => boolean, timeoutMs?: number): Promise<string>
  /** Resolves with the whole text when the body ends. */
  end(timeoutMs?: number): Promise<string>
}

/** What {@link get} returns: a Node response that is read in the background. */
export interface RawResponse extends BodyReader {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  /** Stops reading and destroys the socket (the client goes away). */
  destroy(): void
}

/**
 * GETs `url` on a fresh connection (no keep-alive, no pooling) and reads the body in the
 * background, so a test can close it at any time without a pool keeping anything alive.
 */
export function get(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return send(url, { headers })
}

/** POSTs `body` to `url` on a fresh connection and reads the answer as {@link get} does. */
export function post(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return send(
    url,
    { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
    body,
  )
}

/** Sends one request on a fresh connection and resolves with its response, read as it comes. */
function send(url: string, options: http.RequestOptions, body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { ...options, agent: false }, (res) => {
      const collector = createCollector()
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => collector.push(chunk))
      res.on('end', () => collector.finish())
      res.on('close', () => collector.finish())
      res.on('error', () => collector.finish())
      resolve(
        Object.assign(collector.reader, {
          status: res.statusCode ?? 0,
          headers: res.headers,
          destroy: () => {
            request.destroy()
            res.destroy()
          },
        }),
      )
    })
    request.on('error', reject)
    request.end(body)
  })
}

/** Reads a Web response body in the background. */
export function readBody(body: ReadableStream<Uint8Array> | null): BodyReader & {
  cancel(): Promise<void>
} {
  const collector = createCollector()
  if (body === null) {
    collector.finish()
    return Object.assign(collector.reader, { cancel: async () => undefined })
  }
  const reader = body.getReader()
  const decoder = new TextDecoder()
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        collector.push(decoder.decode(value, { stream: true }))
      }
    } catch {
      // A cut body ends the reader as well.
    }
    collector.finish()
  })()
  return Object.assign(collector.reader, {
    cancel: () => reader.cancel().catch(() => undefined),
  })
}

function createCollector() {
  let text = ''
  let ended = false
  const waiters = new Set<() => void>()
  const notify = () => {
    for (const waiter of [...waiters]) waiter()
  }
  const reader: BodyReader = {
    get text() {
      return text
    },
    get ended() {
      return ended
    },
    until(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(text)) {
            done()
            resolve(text)
          } else if (ended) {
            done()
            reject(new Error(`the body ended before the expected text arrived; got:\n${text}`))
          }
        }
        const timer = setTimeout(() => {
          done()
          reject(new Error(`timed out after ${timeoutMs} ms waiting for text; got:\n${text}`))
        }, timeoutMs)
        const done = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      })
    },
    end(timeoutMs = 10_000) {
      return reader
        .until(() => ended, timeoutMs)
        .catch((error: unknown) => {
          if (ended) return text
          throw error
        })
    },
  }
  return {
    reader,
    push(chunk: string) {
      text += chunk
      notify()
    },
    finish() {
      if (ended) return
      ended = true
      notify()
    },
  }
}

/** Parses SSE text into messages with eventsource-parser (comments and retry left out). */
export function parseSse(text: string): EventSourceMessage[] {
  const messages: EventSourceMessage[] = []
  const parser = createParser({ onEvent: (message) => messages.push(message) })
  parser.feed(text)
  return messages
}

/**
 * The events of the runstream event frames in SSE text (control events left out), in either
 * framing: the envelope itself when `data:` holds one, otherwise `{ id, type, data }` from the
 * frame's `id:`, `event:` and payload (JSON-parsed when it parses, the raw text otherwise).
 */
export function envelopesOf(text: string): { id: string; type: string; data: unknown }[] {
  return parseSse(text)
    .filter((message) => !message.event?.startsWith('runstream.'))
    .map((message) => {
      let data: unknown
      try {
        data = JSON.parse(message.data)
      } catch {
        data = message.data
      }
      const envelope = data as { id?: unknown; type?: unknown; ts?: unknown } | null
      if (
        typeof envelope === 'object' &&
        envelope !== null &&
        envelope.id === message.id &&
        envelope.type === message.event &&
        typeof envelope.ts === 'string'
      ) {
        return envelope as { id: string; type: string; data: unknown }
      }
      return { id: message.id ?? '', type: message.event ?? 'message', data }
    })
}

/** How many SSE frames with `id:` the text holds. */
export function countEvents(text: string): number {
  return parseSse(text).filter((message) => message.id !== undefined).length
}

/** Waits until a condition holds (see `wait.ts`); here too for the tests that import it from here. */
export { waitFor } from './wait.js'

/** A TCP port that was free a moment ago on 127.0.0.1, for a server that must listen on a known port. */
export async function freePort(): Promise<number> {
  const probe = createNetServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}
