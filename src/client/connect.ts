import type { EventSourceMessage } from 'eventsource-parser'
import type { AnyCatalog } from '../core/catalog.js'
import { RunstreamError, type RunstreamErrorCode } from '../core/errors.js'
import { httpError, networkError } from './errors.js'
import type {
  ClientEvent,
  ClientEventName,
  ClientEventOf,
  ReadyState,
  StreamEvent,
} from './events.js'
import { type HeadersOption, release, resolveHeaders } from './http.js'
import { gapError, isControl, readMessage, serverStreamError } from './message.js'
import { createSseReader } from './parse.js'
import { createEventQueue, type EventQueue } from './queue.js'
import {
  backoffDelay,
  classifyResponse,
  parseRetryAfter,
  type ReconnectPolicy,
  resolvePolicy,
} from './reconnect.js'

/** A `fetch` the client can use: the global one, a wrapped one, or a test double. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>

/** What {@link ConnectOptions.onError} is told besides the error. */
export interface ErrorInfo {
  /** `true` when the subscription ends because of this error; `false` when it goes on (it reconnects, or skips one event). */
  fatal: boolean
}

/** What {@link ConnectOptions.onReconnect} is told before each wait. */
export interface ReconnectInfo {
  /** The failed attempts in a row so far (1 after the first failure). */
  attempt: number
  /** How long the client waits before the next attempt, in ms. */
  delayMs: number
  /** Why it reconnects. */
  error: RunstreamError
  /** The cursor the next attempt resumes after. */
  lastEventId: string | undefined
}

/** Options of {@link connect}. */
export interface ConnectOptions<C extends AnyCatalog | undefined = undefined> {
  /**
   * The event catalog: it types the events and validates each one. An unknown type or invalid
   * payload is skipped and reported to `onError` (`unknown_event` / `validation_failed`).
   */
  catalog?: C
  /**
   * Request headers, or a function that returns them, called before every attempt so that a
   * token can be refreshed between reconnects. If the function throws, the attempt fails with
   * a retryable `network_error`.
   */
  headers?: HeadersOption
  /**
   * The `fetch` to use.
   * @defaultValue `globalThis.fetch`, looked up at each attempt
   */
  fetch?: FetchLike
  /** Resume after this event id (sent as `Last-Event-ID`). */
  lastEventId?: string
  /** The reconnect policy, or `false` to never reconnect (then every failure is fatal). */
  reconnect?: ReconnectPolicy | false
  /**
   * A connection on which no byte arrives for this long (heartbeat comments count) is dead:
   * the client drops it and reconnects (`idle_timeout`). Keep it above the server's heartbeat
   * interval. `0` turns the watchdog off.
   * @defaultValue 45_000
   */
  idleTimeoutMs?: number
  /** Aborting it closes the subscription, as `close()` does. */
  signal?: AbortSignal
  /**
   * The method of the FIRST request only. Reconnects are always GETs, to the `Location` or
   * `Content-Location` the server answered with, or else to `url`.
   * @defaultValue `'GET'`
   */
  method?: string
  /** The body of the first request (with a `method` such as `POST`). It is never sent twice. */
  body?: NonNullable<RequestInit['body']>
  /**
   * Make an invalid or unknown event fatal instead of skipping it.
   * @defaultValue false
   */
  strict?: boolean
  /**
   * Event names after which the stream is finished: the subscription ends without reconnecting.
   * @defaultValue the catalog's terminal events; without a catalog, `['complete', 'error']` (those of the execution catalog)
   */
  terminal?: readonly string[]
  /**
   * The largest event, in characters, the client accepts. A larger one is a fatal `parse_error`
   * (reconnecting would only fetch it again).
   * @defaultValue 2_097_152 (room for the server's 1 MiB `maxEventBytes`)
   */
  maxEventSize?: number
  /**
   * How many events may wait for a slow `for await` body before the client stops reading from
   * the network until it catches up. (The events of one network chunk are always taken whole.)
   * A small number keeps few events alive at once, which is cheaper for the garbage collector
   * than a deep queue, and lets TCP hold the rest.
   * @defaultValue 100
   */
  highWaterMark?: number
  /** Called when a response opens the event stream (after every reconnect too). */
  onOpen?: (response: Response) => void
  /**
   * Called with every failure, fatal or not.
   * @defaultValue logs with `console.warn`, except fatal errors a `for await` loop receives anyway
   */
  onError?: (error: RunstreamError, info: ErrorInfo) => void
  /** Called before each wait to reconnect. */
  onReconnect?: (info: ReconnectInfo) => void
}

/**
 * A live subscription to one event stream. Iterate it with `for await` (a `break` closes the
 * connection), or register handlers with `on()`, or both.
 */
export interface StreamSubscription<C extends AnyCatalog | undefined = undefined>
  extends AsyncIterable<ClientEvent<C>> {
  /** `connecting`, `open` or `closed`. */
  readonly readyState: ReadyState
  /** The id of the last event received: the cursor a reconnect resumes after. */
  readonly lastEventId: string | undefined
  /**
   * Calls `handler` with every event of `type` (`'*'`: every event). Returns the function that
   * removes it. A handler that throws does not stop the stream; the error is rethrown
   * asynchronously, as `EventTarget` does.
   */
  on<K extends ClientEventName<C>>(
    type: K,
    handler: (event: ClientEventOf<C, K>) => void,
  ): () => void
  /** Closes the connection and ends iteration. Idempotent. */
  close(): void
}

type Outcome =
  | { kind: 'end' }
  | { kind: 'fatal'; error: RunstreamError }
  | {
      kind: 'retry'
      error: RunstreamError
      retryAfterMs?: number | undefined
      healthy: boolean
    }

/**
 * Opens an event stream and keeps it open through every disconnect: it reconnects with
 * backoff, resumes with `Last-Event-ID`, and drops events it has already seen, so each event
 * arrives once and in order. It ends on a terminal event, a 204, a fatal error or `close()`.
 *
 * @param url - the SSE endpoint (absolute, or relative to the page in a browser)
 * @example
 * ```ts
 * const sub = connect('https://api.example.com/api/v0/executions/workflows/exec_42/stream', {
 *   catalog: executionCatalog,
 * })
 * for await (const event of sub) {
 *   if (event.type === 'llm_chunk') process.stdout.write(event.data.text)
 * }
 * ```
 * @see docs/client.md
 */
export function connect<C extends AnyCatalog | undefined = undefined>(
  url: string | URL,
  options: ConnectOptions<C> = {},
): StreamSubscription<C> {
  const target = absoluteUrl(url)
  const shownUrl = target.origin + target.pathname
  const method = (options.method ?? 'GET').toUpperCase()
  if (options.body !== undefined && (method === 'GET' || method === 'HEAD')) {
    throw new TypeError(`connect: no body with ${method}; pass method: 'POST' to send one.`)
  }
  let lastEventId = options.lastEventId || undefined
  if (lastEventId !== undefined && /[\r\n\0]/.test(lastEventId)) {
    throw new TypeError('connect: lastEventId cannot contain CR, LF or NUL.')
  }
  const policy = resolvePolicy(options.reconnect)
  const {
    catalog,
    strict,
    onError,
    onOpen,
    onReconnect,
    signal,
    idleTimeoutMs = 45_000,
    maxEventSize = 2_097_152,
    highWaterMark = 100,
  } = options
  const terminal = new Set<string>(options.terminal ?? catalog?.terminal ?? DEFAULT_TERMINAL)
  // The on() handlers by event name ('*': all). Each list is replaced, never changed in place, so
  // a dispatch runs the handlers there were when it began, without copying them per event.
  const listeners = new Map<string, ((event: StreamEvent) => void)[]>()

  let readyState: ReadyState = 'connecting'
  // The cursor when it is a runstream id (a decimal), which replayed events are compared with.
  let lastDecimal = isDecimal(lastEventId) ? lastEventId : undefined
  let queue: EventQueue<StreamEvent> | undefined
  let finalError: RunstreamError | undefined
  let closed = false
  let serverRetryMs: number | undefined
  let resumeUrl = target.href
  // What close() must cut short: the attempt in flight, its body reader, a backoff wait.
  let current: AbortController | undefined
  let currentReader: ReadableStreamDefaultReader<Uint8Array> | undefined
  let wake: (() => void) | undefined

  if (signal?.aborted) {
    closed = true
    readyState = 'closed'
  } else {
    signal?.addEventListener('abort', close)
    void run()
  }

  const subscription: StreamSubscription<AnyCatalog> = {
    get readyState() {
      return readyState
    },
    get lastEventId() {
      return lastEventId
    },
    on(type, handler) {
      const handle = handler as (event: StreamEvent) => void
      // No rest arguments here: this runs for every event a handler gets.
      const call = (event: StreamEvent) => {
        try {
          handle(event)
        } catch (error) {
          rethrow(error)
        }
      }
      listeners.set(type, [...(listeners.get(type) ?? []), call])
      return () => {
        const rest = listeners.get(type)?.filter((other) => other !== call) ?? []
        if (rest.length > 0) listeners.set(type, rest)
        else listeners.delete(type)
      }
    },
    close,
    [Symbol.asyncIterator]() {
      if (queue) throw new TypeError('connect: iterate once; use on() for more consumers.')
      queue = createEventQueue<StreamEvent>(highWaterMark, close)
      // Iterating a subscription that has already ended ends at once (throwing its fatal error).
      if (closed) queue.end(finalError)
      return queue.iterator as AsyncIterator<ClientEvent<AnyCatalog>>
    },
  }
  return subscription as unknown as StreamSubscription<C>

  function close(): void {
    finish()
  }

  function finish(error?: RunstreamError): void {
    if (closed) return
    closed = true
    readyState = 'closed'
    signal?.removeEventListener('abort', close)
    current?.abort()
    release(currentReader)
    wake?.()
    if (error) {
      finalError = error
      report(error, true)
    }
    queue?.end(error)
  }

  function report(error: RunstreamError, fatal: boolean): void {
    // Without onError, a fatal error reaches a `for await` loop as a throw; saying it twice is noise.
    if (onError) safely(onError, error, { fatal })
    else if (!(fatal && queue)) console.warn(error)
  }

  async function run(): Promise<void> {
    let failures = 0
    let first = true
    try {
      while (!closed) {
        const outcome = await attempt(first)
        first = false
        if (closed) return
        if (outcome.kind === 'end') return finish()
        const error = outcome.error
        if (outcome.kind === 'fatal') return finish(error)
        failures = outcome.healthy ? 1 : failures + 1
        if (failures > policy.maxRetries) {
          return finish(
            policy.maxRetries
              ? new RunstreamError(
                  'retries_exhausted',
                  `${shownUrl}: ${policy.maxRetries} failed attempts in a row; raise reconnect.maxRetries or resume later with lastEventId.`,
                  { cause: error, details: { lastEventId, lastCode: error.code } },
                )
              : error,
          )
        }
        report(error, false)
        const delayMs = backoffDelay(policy, failures, serverRetryMs, outcome.retryAfterMs)
        readyState = 'connecting'
        if (onReconnect) safely(onReconnect, { attempt: failures, delayMs, error, lastEventId })
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delayMs)
          wake = () => {
            clearTimeout(timer)
            resolve()
          }
        })
      }
    } catch (unexpected) {
      // A bug of ours must end the subscription loudly, never leave it hanging.
      finish(fail('network_error', `client failure: ${String(unexpected)}`, unexpected))
    }
  }

  async function attempt(first: boolean): Promise<Outcome> {
    const controller = new AbortController()
    current = controller
    readyState = 'connecting'
    let idled = false
    let timer: ReturnType<typeof setTimeout> | undefined
    // When the current wait for bytes began; undefined while nothing is awaited from the network
    // (a slow consumer is catching up), which the watchdog never counts as silence.
    let since: number | undefined
    // The watchdog covers the wait for response headers too: a half-open socket never answers.
    // One timer, re-armed only when it fires before the silence is long enough, instead of a
    // setTimeout/clearTimeout pair per chunk, which costs more than parsing a small event.
    const arm = () => {
      since = performance.now()
      if (idleTimeoutMs > 0 && timer === undefined) watch(idleTimeoutMs)
    }
    const watch = (ms: number) => {
      timer = setTimeout(() => {
        timer = undefined
        if (since === undefined) return
        const left = since + idleTimeoutMs - performance.now()
        if (left > 0) return watch(left)
        idled = true
        controller.abort()
        release(currentReader)
      }, ms)
    }
    const disarm = () => {
      clearTimeout(timer)
      timer = since = undefined
    }
    const failed = (cause: unknown, healthy = false): Outcome =>
      closed
        ? END
        : retry(
            idled
              ? fail('idle_timeout', `silent for idleTimeoutMs (${idleTimeoutMs}); reconnecting.`)
              : networkError(cause, shownUrl),
            healthy,
          )

    let response: Response
    try {
      const headers = await resolveHeaders(options.headers)
      if (closed) return END
      headers.set('accept', 'text/event-stream')
      if (lastEventId) headers.set('last-event-id', lastEventId)
      const init: RequestInit = {
        method: first ? method : 'GET',
        headers,
        signal: controller.signal,
      }
      if (first && options.body !== undefined) init.body = options.body
      arm()
      response = await (options.fetch ?? fetch)(first ? target.href : resumeUrl, init)
    } catch (error) {
      return failed(error)
    } finally {
      disarm()
    }
    const body = response.body
    const verdict = classifyResponse(response.status, response.headers.get('content-type'))
    if (closed || verdict === 'end') {
      release(body)
      return END
    }
    if (verdict !== 'open') {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'))
      const error = await httpError(response, shownUrl, verdict === 'retry', retryAfterMs)
      return verdict === 'retry' ? retry(error, false, retryAfterMs) : { kind: 'fatal', error }
    }

    const location = response.headers.get('location') ?? response.headers.get('content-location')
    try {
      if (location) resumeUrl = new URL(location, response.url || target.href).href
    } catch {
      // A malformed Location is ignored: reconnecting to the original URL still works.
    }
    readyState = 'open'
    const openedAt = Date.now()
    if (onOpen) safely(onOpen, response)

    let delivered = 0
    let stop: Outcome | undefined
    const healthy = () => delivered > 0 || Date.now() - openedAt >= policy.healthyAfterMs
    const ended = () =>
      retry(
        fail('network_error', 'ended before a terminal event; reconnecting.', undefined, {
          reason: 'ended',
        }),
        healthy(),
      )
    const sse = createSseReader(
      {
        event(message) {
          if (stop || closed) return
          const result = handleMessage(message)
          if (typeof result === 'object') stop = result
          else if (result) {
            delivered++
            if (result === 'terminal') stop = END
          }
        },
        retry(ms) {
          serverRetryMs = ms
        },
        tooLarge() {
          stop = {
            kind: 'fatal',
            error: fail(
              'parse_error',
              `event over maxEventSize (${maxEventSize}); raise it or send big payloads by reference.`,
              undefined,
              { maxEventSize },
            ),
          }
        },
      },
      maxEventSize,
    )
    if (!body) return ended()
    const reader = body.getReader()
    currentReader = reader
    try {
      // closed: close() ran in onOpen, or while waiting for the consumer.
      while (!closed) {
        arm()
        let chunk: ReadableStreamReadResult<Uint8Array>
        try {
          chunk = await reader.read()
        } catch (error) {
          return failed(error, healthy())
        } finally {
          since = undefined
        }
        if (closed || idled) return failed(undefined, healthy())
        if (chunk.done) return ended()
        sse.push(chunk.value)
        if (stop) return stop
        if (queue?.full) await queue.drained()
      }
      return END
    } finally {
      disarm()
      currentReader = undefined
      // Whatever ended the attempt, release the connection (a no-op when the body is done).
      controller.abort()
      release(reader)
    }
  }

  // What became of one SSE message: delivered, terminal, skipped (falsy), or the end of the
  // connection (an error: fatal, or retryable for a server-side failure).
  function handleMessage(
    message: EventSourceMessage,
  ): 'delivered' | 'terminal' | undefined | Outcome {
    if (isControl(message)) {
      if (message.event === 'runstream.gap') {
        // The ids that follow restart lower than our cursor; accept them.
        lastEventId = lastDecimal = undefined
        report(gapError(message), false)
      } else if (message.event === 'runstream.error') {
        return retry(serverStreamError(message), true)
      }
      return
    }
    const event = readMessage(message)
    const cursor = message.id ?? (event.id || undefined)
    if (cursor !== undefined) {
      const decimal = isDecimal(cursor)
      // Replay overlap after a reconnect: already delivered. (Canonical decimals of one length
      // compare as text: one string comparison, where compareEventIds may make two.)
      if (
        decimal &&
        lastDecimal !== undefined &&
        (cursor.length < lastDecimal.length ||
          (cursor.length === lastDecimal.length && cursor <= lastDecimal))
      ) {
        return
      }
      // An empty `id:` resets the cursor, as the SSE standard says.
      lastEventId = cursor || undefined
      lastDecimal = decimal ? cursor : undefined
    }
    if (catalog) {
      const result = catalog.validate(event.type, event.data, event.stream, true)
      if (!result.ok) {
        if (strict) return { kind: 'fatal', error: result.error }
        report(result.error, false)
        return
      }
      event.data = result.data
    }
    if (listeners.size > 0) {
      for (const call of listeners.get(event.type) ?? NONE) call(event)
      for (const call of listeners.get('*') ?? NONE) call(event)
    }
    queue?.push(event)
    return terminal.has(event.type) ? 'terminal' : 'delivered'
  }

  function fail(
    code: RunstreamErrorCode,
    message: string,
    cause?: unknown,
    details?: Record<string, unknown>,
  ): RunstreamError {
    return new RunstreamError(code, `${shownUrl}: ${message}`, {
      cause,
      details: { ...details, lastEventId },
    })
  }
}

// Without a catalog, the execution catalog's terminal events (kept here by name so that the
// client bundle does not pull in zod schemas).
const DEFAULT_TERMINAL = ['complete', 'error']

const END: Outcome = { kind: 'end' }

const NONE: readonly never[] = []

const retry = (error: RunstreamError, healthy: boolean, retryAfterMs?: number): Outcome => ({
  kind: 'retry',
  error,
  healthy,
  retryAfterMs,
})

// Whether `id` is a canonical decimal id (`0`, `1`, … up to 16 digits), as `parseEventId` accepts,
// without its regex and number: this runs for every event.
function isDecimal(id: string | undefined): id is string {
  const length = id?.length ?? 0
  if (length === 0 || length > 16 || (length > 1 && id?.charCodeAt(0) === 48)) return false
  for (let i = 0; i < length; i++) {
    const c = (id as string).charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

// Like EventTarget: a callback that throws is reported, and neither stops the stream nor is swallowed.
function safely<A extends unknown[]>(callback: (...args: A) => void, ...args: A): void {
  try {
    callback(...args)
  } catch (error) {
    rethrow(error)
  }
}

function rethrow(error: unknown): void {
  queueMicrotask(() => {
    throw error
  })
}

function absoluteUrl(url: string | URL): URL {
  try {
    return new URL(url, (globalThis as { location?: { href?: string } }).location?.href)
  } catch {
    throw new TypeError(
      `connect: invalid URL "${String(url)}"; relative URLs work only in a browser page.`,
    )
  }
}
