import type { StreamManager } from '../core/manager.js'
import { metricsOf } from '../core/metrics.js'
import { type Connection, type ConnectionOwner, openConnection } from './connection.js'
import { corsHeaders } from './cors.js'
import { type Refusal, refusal } from './http-errors.js'
import type { IncomingRequest } from './incoming.js'
import type { Slot } from './limits.js'
import { openManyConnection } from './many-connection.js'
import type { ManyPlan } from './many-request.js'
import type { StreamPlan } from './prepare.js'
import type { Registry } from './registry.js'
import type { ResolvedSseOptions } from './settings.js'
import type { ConnectionSink, SinkOwner } from './sink.js'

/**
 * What the pipeline decided for one request, for an edge to turn into its own response: a JSON
 * error, an empty 204 (a preflight, or a cursor at the end of a finished stream), a JSON answer
 * (a cancelled run's 202), a hook's own `Response`, nothing at all (the client already left), or
 * a stream to start.
 */
export type Answer =
  | { readonly kind: 'no-route'; readonly refusal: Refusal }
  | { readonly kind: 'refuse'; readonly refusal: Refusal }
  | {
      readonly kind: 'json'
      readonly status: number
      readonly body: unknown
      readonly headers: Record<string, string>
    }
  | { readonly kind: 'empty'; readonly headers: Record<string, string> }
  | { readonly kind: 'response'; readonly response: Response }
  | { readonly kind: 'gone' }
  | StreamAnswer

/** A stream the pipeline admitted: its place is held until it is started or cancelled. */
export interface StreamAnswer {
  readonly kind: 'stream'
  /** The response headers, sent with status 200. */
  readonly headers: Record<string, string>
  /**
   * Starts the stream on the sink `makeSink` creates; the sink tells `owner` once it is done
   * (finished, failed or cut by the client), which releases the stream. When `signal` aborts,
   * the stream is released too. Returns the sink.
   */
  start<S extends ConnectionSink>(makeSink: (owner: SinkOwner) => S, signal?: AbortSignal): S
  /** Gives the place back without starting: for an edge that failed before it could start. */
  cancel(): void
}

/**
 * The answer of an admitted stream: it holds `slot` until started (then the connection holds it)
 * or cancelled. `onRelease`, when given, is called once the connection is released.
 */
export function streamAnswer(
  manager: StreamManager,
  options: ResolvedSseOptions,
  registry: Registry | undefined,
  plan: StreamPlan | ManyPlan,
  headers: Record<string, string>,
  slot: Slot | undefined,
  onRelease?: () => void,
): StreamAnswer {
  let settled = false
  return {
    kind: 'stream',
    headers,
    start(makeSink, signal) {
      if (settled) throw new Error('runstream: a stream answer was started or cancelled already')
      settled = true
      return startStream(manager, options, registry, plan, slot, makeSink, signal, onRelease)
    },
    cancel() {
      if (settled) return
      settled = true
      slot?.release()
      onRelease?.()
    },
  }
}

/**
 * Opens the connection and ties its end to the place it holds. What the connection keeps for its
 * whole life is one {@link Tenure}: an object whose methods live on the prototype, told by the
 * sink, the connection and the signal through methods of its own, where closures (or bound
 * functions) would be a function object each per connection.
 */
function startStream<S extends ConnectionSink>(
  manager: StreamManager,
  options: ResolvedSseOptions,
  registry: Registry | undefined,
  plan: StreamPlan | ManyPlan,
  slot: Slot | undefined,
  makeSink: (owner: SinkOwner) => S,
  signal: AbortSignal | undefined,
  onRelease: (() => void) | undefined,
): S {
  const many = 'streams' in plan
  const open = many ? openManyConnection : openConnection
  // A many-stream connection is counted once, under its list of streams.
  const label = many ? plan.streams.join(',') : plan.stream
  const cursor = many
    ? plan.positions.some((position) => position !== '' && position !== '0')
      ? plan.positions.join(',')
      : undefined
    : plan.lastEventId
  const tenure = new Tenure(manager, registry, slot, signal, onRelease, label)
  // The connection is still unset when the sink is done while it opens: it is released then.
  const sink = makeSink(tenure)
  metricsOf(manager).connectionOpened(label, cursor)
  const connection = open(manager, plan as StreamPlan & ManyPlan, sink, options, tenure)
  tenure.connection = connection
  // A connection can end while it opens (the subscription failed at once): then nothing is held.
  if (tenure.isReleased) return sink
  registry?.add(connection)
  if (signal !== undefined) {
    // The tenure is the listener (its handleEvent), not a function bound for it.
    signal.addEventListener('abort', tenure, { once: true })
    if (signal.aborted) connection.release()
  }
  // close() came between the answer and its start: the client is told to resume elsewhere.
  if (registry?.closed === true) connection.end('aborted')
  return sink
}

/** What a started stream holds until its connection is released, and gives back then. */
class Tenure implements SinkOwner, ConnectionOwner, EventListenerObject {
  // Unset while it opens.
  connection: Connection | undefined
  isReleased = false
  readonly #manager: StreamManager
  readonly #registry: Registry | undefined
  readonly #slot: Slot | undefined
  readonly #signal: AbortSignal | undefined
  readonly #onRelease: (() => void) | undefined
  readonly #label: string

  constructor(
    manager: StreamManager,
    registry: Registry | undefined,
    slot: Slot | undefined,
    signal: AbortSignal | undefined,
    onRelease: (() => void) | undefined,
    label: string,
  ) {
    this.#manager = manager
    this.#registry = registry
    this.#slot = slot
    this.#signal = signal
    this.#onRelease = onRelease
    this.#label = label
  }

  /** The sink is done: the connection is released. */
  sinkDone(): void {
    this.connection?.release()
  }

  /** The request's signal aborted: the connection is released. */
  handleEvent(): void {
    this.connection?.release()
  }

  /** The connection was released: everything it held is given back. */
  released(): void {
    this.isReleased = true
    metricsOf(this.#manager).connectionClosed(this.#label)
    // (A listener never added is not there to remove.)
    this.#signal?.removeEventListener('abort', this)
    this.#slot?.release()
    // Still unset when released while it opens: it was never added then.
    const connection = this.connection
    if (connection !== undefined) this.#registry?.remove(connection)
    this.#onRelease?.()
  }
}

/** The answer of a refusal. */
export function refuse(r: Refusal): Answer {
  return { kind: 'refuse', refusal: r }
}

/** The 503 of a handler that was closed. */
export function shuttingDown(): Refusal {
  return refusal(503, 'unavailable', 'The server is shutting down. Retry in a moment.', undefined, {
    'retry-after': '1',
  })
}

/** A refusal with the CORS headers of the request's origin, so a page can read why. */
export function withCors(
  r: Refusal,
  incoming: IncomingRequest,
  options: ResolvedSseOptions,
): Refusal {
  const cors = corsHeaders(options.cors, incoming.header('origin'))
  return cors === undefined ? r : { ...r, headers: { ...r.headers, ...cors } }
}
