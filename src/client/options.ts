import type { AnyCatalog } from '../core/catalog.js'
import type { RunstreamError } from '../core/errors.js'
import { type Check, checkOptions, isCatalog, isHeaders, MAX_TIMER_MS, misuse } from './checks.js'
import type { ClientEvent } from './events.js'
import type { HeadersOption } from './http.js'
import { type ReconnectPolicy, type ResolvedPolicy, resolvePolicy } from './policy.js'

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

/** Options of `connect()`. Every one is checked at the call: misuse throws a `TypeError` that says the fix. */
export interface ConnectOptions<C extends AnyCatalog | undefined = undefined> {
  /**
   * The event catalog: it types the events and validates each one. An unknown type or invalid
   * payload is skipped and reported to `onError` (`unknown_event` / `validation_failed`), except
   * a terminal one, which ends the subscription with that error.
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
  /**
   * The name of the stream, for the `stream` of events that arrive in payload framing (whose
   * frames do not say it). `createStreamClient` sets it (`workflow:<id>`, …).
   */
  stream?: string
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
   * `Content-Location` the server answered with, or else to `url` when the server sent event ids;
   * a stream that has neither cannot be resumed and ends with `not_resumable`.
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
   * What ends the stream: event names, or a function that tells a last event (AG-UI's
   * `RUN_FINISHED`, the AI SDK's `finish`). After it the subscription ends without reconnecting.
   * The AI SDK's `data: [DONE]` also ends a stream, without being an event.
   * @defaultValue the catalog's terminal events; without a catalog, `['complete', 'error']` (those of the execution catalog)
   */
  terminal?: readonly string[] | ((event: ClientEvent<C>) => boolean)
  /**
   * The largest event the client accepts, in bytes of UTF-8 of its `data` field. A larger one,
   * or an event whose lines (of any field) grow past it without the blank line that ends an
   * event, is a fatal `parse_error` (reconnecting would only fetch it again).
   * @defaultValue 2_097_152 (room for the server's 1 MiB `maxEventBytes`)
   */
  maxEventBytes?: number
  /**
   * How many events may wait for the `for await` loop, whether it is slow or has not started
   * yet, before the client stops reading from the network until it catches up. (The events of
   * one network chunk are always taken whole.) A small number keeps few events alive at once,
   * which is cheaper for the garbage collector than a deep queue, and lets TCP hold the rest.
   * @defaultValue 100
   */
  maxQueuedEvents?: number
  /** Called when a response opens the event stream (after every reconnect too). */
  onOpen?: (response: Response) => void
  /**
   * Called with every failure, fatal or not.
   * @defaultValue one line per failure with `console.warn` (the URL, what failed, and when it
   *   reconnects), except fatal errors a `for await` loop receives anyway
   */
  onError?: (error: RunstreamError, info: ErrorInfo) => void
  /** Called before each wait to reconnect. */
  onReconnect?: (info: ReconnectInfo) => void
}

/** {@link ConnectOptions} checked, with every default filled in. */
export interface ResolvedOptions {
  readonly method: string
  readonly body: NonNullable<RequestInit['body']> | undefined
  readonly policy: ResolvedPolicy
  readonly idleTimeoutMs: number
  readonly maxEventBytes: number
  readonly maxQueuedEvents: number
  /** Whether an event ends the stream (never throws). */
  readonly isTerminal: (event: { type: string; data: unknown }) => boolean
}

/**
 * Checks every option of `connect()` and fills in the defaults. Throws a `TypeError` naming the
 * option and what to pass: a renamed option (`maxEventSize`, `highWaterMark`), a number out of
 * range (`maxQueuedEvents: 0` would never deliver an event), a callback that is not a function.
 */
export function resolveConnectOptions(options: ConnectOptions<AnyCatalog>): ResolvedOptions {
  checkOptions(WHERE, options, SPEC, RENAMED)
  const { catalog, terminal, lastEventId, body } = options
  if (lastEventId !== undefined && /[\r\n\0]/.test(lastEventId)) {
    misuse(WHERE, 'lastEventId', 'cannot contain CR, LF or NUL.')
  }
  const method = (options.method ?? 'GET').toUpperCase()
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) {
    misuse(WHERE, 'body', `cannot go with ${method}; pass method: 'POST' to send one.`)
  }
  let isTerminal: ResolvedOptions['isTerminal']
  if (typeof terminal === 'function') {
    // A predicate that throws (on an invalid event, say) has not found the end.
    isTerminal = (event) => {
      try {
        return (terminal as ResolvedOptions['isTerminal'])(event)
      } catch {
        return false
      }
    }
  } else {
    const set = new Set<string>(terminal ?? catalog?.terminal ?? DEFAULT_TERMINAL)
    // The last type asked about and its answer: events come in runs of one type, and comparing
    // a name with itself costs less than a hash lookup.
    let type: string | undefined
    let last = false
    isTerminal = (event) => {
      if (event.type !== type) {
        type = event.type
        last = set.has(type)
      }
      return last
    }
  }
  return {
    method,
    body,
    policy: resolvePolicy(options.reconnect),
    idleTimeoutMs: options.idleTimeoutMs ?? 45_000,
    maxEventBytes: options.maxEventBytes ?? 2_097_152,
    maxQueuedEvents: options.maxQueuedEvents ?? 100,
    isTerminal,
  }
}

const WHERE = 'connect'

/** The largest `maxEventBytes`: 1 GiB, more than one string a JavaScript engine holds. */
const MAX_EVENT_BYTES = 1_073_741_824

const F = 'function'
const S = 'string'

// Every option of connect(), and how it is checked.
const SPEC: Record<string, Check> = {
  catalog: isCatalog,
  headers: isHeaders,
  fetch: F,
  lastEventId: S,
  stream: S,
  // Checked whole by resolvePolicy().
  reconnect: () => undefined,
  idleTimeoutMs: [0, MAX_TIMER_MS],
  signal: (value) =>
    typeof (value as AbortSignal).addEventListener === F ? undefined : 'must be an AbortSignal.',
  method: S,
  body: () => undefined,
  strict: 'boolean',
  terminal: (value) =>
    typeof value === F || (Array.isArray(value) && value.every((name) => typeof name === S))
      ? undefined
      : 'must be a list of event names or a function (event) => boolean.',
  maxEventBytes: [1, MAX_EVENT_BYTES],
  maxQueuedEvents: [1, Number.MAX_SAFE_INTEGER],
  onOpen: F,
  onError: F,
  onReconnect: F,
}

const RENAMED = {
  maxEventSize: 'maxEventBytes (bytes of UTF-8, not characters)',
  highWaterMark: 'maxQueuedEvents',
}

// Without a catalog, the execution catalog's terminal events (kept here by name so that the
// client bundle does not pull in zod schemas).
const DEFAULT_TERMINAL = ['complete', 'error']
