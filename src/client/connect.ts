import type { AnyCatalog } from '../core/catalog.js'
import type { RunstreamError } from '../core/errors.js'
import { type Attempt, type AttemptHooks, RESTART, startAttempt } from './attempt.js'
import { type Cursor, createCursor } from './cursor.js'
import { createDelivery } from './deliver.js'
import type {
  ClientEvent,
  ClientEventName,
  ClientEventOf,
  ReadyState,
  StreamEvent,
} from './events.js'
import { createListeners, safely } from './listeners.js'
import {
  type ConnectOptions,
  type ReconnectInfo,
  type ResolvedOptions,
  resolveConnectOptions,
} from './options.js'
import { createEventQueue } from './queue.js'
import { createReconnectLoop } from './reconnect.js'

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

/**
 * Opens an event stream and keeps it open through every disconnect: it reconnects with
 * backoff, resumes with `Last-Event-ID`, and drops events it has already seen, so each event
 * arrives once and in order. It reads both framings a server may write (the payload alone, or
 * runstream's envelope). It ends on a terminal event, a 204, `data: [DONE]`, a fatal error or
 * `close()`.
 *
 * Events that arrive before a `for await` loop starts wait for it (up to `maxQueuedEvents`, then
 * the client stops reading the network), unless `on()` handlers are registered: then they are
 * the consumers until the loop starts.
 *
 * Every option is checked here: misuse throws a `TypeError` that says the fix.
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
  const resolved = resolveConnectOptions(options as ConnectOptions<AnyCatalog>)
  const { method, body } = resolved
  return subscribe(target, options as ConnectOptions<AnyCatalog>, resolved, {
    cursor: createCursor(options.lastEventId || undefined),
    // Reconnects are GETs, to the Location when there is one: a body is never sent twice.
    request: (first, resumeUrl) =>
      first ? [target.href, method, body] : [resumeUrl ?? target.href, 'GET', undefined],
    resumable: (resumeUrl, lastEventId) =>
      method === 'GET' || resumeUrl !== undefined || lastEventId !== undefined,
  }) as unknown as StreamSubscription<C>
}

/**
 * What differs between a subscription to one stream ({@link connect}) and to several on one
 * connection (`subscribeMany`).
 */
export interface SubscriptionPlan {
  /** The cursor the attempts send and the replay check. */
  readonly cursor: Cursor
  /** The URL, method and body of an attempt. */
  request(
    first: boolean,
    resumeUrl: string | undefined,
  ): [url: string, method: string, body: NonNullable<RequestInit['body']> | undefined]
  /** Whether a reconnect can resume. */
  resumable(resumeUrl: string | undefined, lastEventId: string | undefined): boolean
  /**
   * Many streams: whether an event that ends its stream ends them all (else the connection goes
   * on for the others), and the SSE `id:` is the composite cursor, not the event's own.
   */
  readonly ends?: (event: StreamEvent) => boolean
}

/** A subscription that can also be restarted: a new attempt at once, for a new stream list. */
export interface RestartableSubscription extends StreamSubscription<AnyCatalog> {
  restart(): void
}

/**
 * The subscription behind {@link connect} and `subscribeMany`: its reconnect loop, attempts,
 * delivery, queue and handlers, with what differs in `plan`.
 */
export function subscribe(
  target: URL,
  options: ConnectOptions<AnyCatalog>,
  resolved: ResolvedOptions,
  plan: SubscriptionPlan,
): RestartableSubscription {
  const shownUrl = target.origin + target.pathname
  const { policy } = resolved
  const { onError, onOpen, onReconnect, signal } = options
  const then = policy.maxRetries > 0 ? 'reconnecting.' : 'not retried (reconnect: false).'
  const { cursor, ends } = plan
  const listeners = createListeners()
  const queue = createEventQueue<StreamEvent>(resolved.maxQueuedEvents, close)
  // Read once: the queue has a getter, so every queue object has a map of its own, and a
  // `queue.push` read per event was a generic property lookup in optimized code.
  const { push } = queue
  // Until a `for await` loop starts, events wait for it in the queue, unless on() handlers
  // consume them (a subscription used with on() alone must never pause the network).
  let iterating = false
  let readyState: ReadyState = 'connecting'
  let closed = false
  let serverRetryMs: number | undefined
  // Where reconnects go: the Location or Content-Location of the last response, if any.
  let resumeUrl: string | undefined
  let current: Attempt | undefined
  // Set by restart(): the attempt it cut ends as a restart, not as a failure.
  let restarting = false

  const hooks: AttemptHooks = {
    closed: () => closed,
    open(response) {
      const location = response.headers.get('location') ?? response.headers.get('content-location')
      try {
        if (location) resumeUrl = new URL(location, response.url || target.href).href
      } catch {
        // A malformed Location is ignored, as if there were none.
      }
      readyState = 'open'
      if (onOpen) safely(onOpen, response)
    },
    message: createDelivery({
      catalog: options.catalog,
      strict: options.strict,
      stream: options.stream,
      isTerminal: ends ? (event) => resolved.isTerminal(event) && ends(event) : resolved.isTerminal,
      cursor,
      then,
      report: (error) => report(error, false),
      // After the events queued before it: an app that rebuilds its state on a gap must not
      // then get events of before the gap.
      gap: (error) => queue.mark(() => report(error, false)),
      deliver(event) {
        if (listeners.size > 0) listeners.dispatch(event)
        if (iterating || listeners.size === 0) push(event)
      },
    }),
    retry(ms) {
      serverRetryMs = ms
    },
    room: () => (queue.full && (iterating || listeners.size === 0) ? queue.drained() : undefined),
  }

  if (ends) {
    // The id of a many-stream frame is the composite cursor: the event's own is in its envelope.
    const message = hooks.message
    hooks.message = (data, name) => message(data, name, undefined)
  }

  const loop = createReconnectLoop(policy, shownUrl, {
    attempt(first) {
      readyState = 'connecting'
      restarting = false
      const [url, method, body] = plan.request(first, resumeUrl)
      current = startAttempt(
        {
          url,
          method,
          body,
          headers: options.headers,
          fetch: options.fetch,
          cursor,
          idleTimeoutMs: resolved.idleTimeoutMs,
          maxEventBytes: resolved.maxEventBytes,
          healthyAfterMs: policy.healthyAfterMs,
          shownUrl,
          then,
        },
        hooks,
      )
      return current.outcome.then((outcome) => (restarting ? RESTART : outcome))
    },
    closed: () => closed,
    finish,
    retrying(info) {
      report(info.error, false, info)
      readyState = 'connecting'
      if (onReconnect) safely(onReconnect, info)
    },
    // A POST cannot be sent again: a reconnect needs a Location to GET, or ids to resume after.
    resumable: () => plan.resumable(resumeUrl, cursor.lastEventId),
    lastEventId: () => cursor.lastEventId,
    serverRetryMs: () => serverRetryMs,
  })

  if (signal?.aborted) finish()
  else {
    signal?.addEventListener('abort', close)
    void loop.run()
  }

  const subscription: RestartableSubscription = {
    get readyState() {
      return readyState
    },
    get lastEventId() {
      return cursor.lastEventId
    },
    on(type, handler) {
      const off = listeners.add(type, handler as (event: StreamEvent) => void)
      // A network paused for a loop that has not started goes on: the handlers consume now.
      if (!iterating) queue.wake()
      return off
    },
    close,
    restart() {
      if (closed) return
      restarting = true
      current?.cancel()
      loop.wake()
    },
    [Symbol.asyncIterator]() {
      if (iterating) throw new TypeError('connect: iterate once; use on() for more consumers.')
      iterating = true
      // A subscription that has already ended yields what it kept, then ends (or throws its error).
      return queue.iterator as AsyncIterator<ClientEvent<AnyCatalog>>
    },
  }
  return subscription

  function close(): void {
    finish()
  }

  function finish(error?: RunstreamError): void {
    if (closed) return
    closed = true
    readyState = 'closed'
    signal?.removeEventListener('abort', close)
    current?.cancel()
    loop.wake()
    if (error) report(error, true)
    queue.end(error)
  }

  function report(error: RunstreamError, fatal: boolean, retrying?: ReconnectInfo): void {
    if (onError) {
      safely(onError, error, { fatal })
      return
    }
    // A fatal error reaches a `for await` loop as a throw: saying it twice is noise.
    if (fatal && iterating) return
    // One line per failure, never a stack trace: a normal reconnect is not an emergency.
    const next = retrying
      ? ` [attempt ${retrying.attempt}${policy.maxRetries === Infinity ? '' : ` of ${policy.maxRetries}`}, next in ${(retrying.delayMs / 1000).toFixed(1)} s]`
      : ''
    console.warn(`runstream ${error.code}: ${error.message.replace(/\s*[\r\n]+\s*/g, ' ')}${next}`)
  }
}

/** `url` resolved against the page in a browser; a `TypeError` that says why when it is not a URL. */
export function absoluteUrl(url: string | URL): URL {
  try {
    return new URL(url, (globalThis as { location?: { href?: string } }).location?.href)
  } catch {
    throw new TypeError(
      `connect: invalid URL "${String(url)}"; relative URLs work only in a browser page.`,
    )
  }
}
