import type { EventRecord } from './envelope.js'
import type { RunstreamError } from './errors.js'

/**
 * What `manager.metrics()` returns: the figures of one manager since it was created, as a plain
 * object you can `JSON.stringify`. Counters (`events…`, `connectionsOpened`, `reconnects`,
 * `gaps`, `slowClientCutoffs`, `storeFailures`) only grow; `open…` figures are the state right
 * now. Connection figures are those of every server handler (Fetch or Node) created on this
 * manager. See docs/operations.md for what to watch and alert on.
 */
export interface StreamMetrics {
  /** Streams this process follows right now: streams with at least one open subscriber. */
  readonly openStreams: number
  /**
   * Subscriptions open right now: every client connection holds one, and so does every
   * `manager.subscribe()` loop.
   */
  readonly openSubscriptions: number
  /** Client connections (SSE or text) open right now, over all handlers of this manager. */
  readonly openConnections: number
  /** Client connections opened since the manager was created. */
  readonly connectionsOpened: number
  /**
   * Connections that arrived with a cursor (`Last-Event-ID` or `?lastEventId=`, other than `0`):
   * clients resuming after a drop, a reload or a server restart.
   */
  readonly reconnects: number
  /** Events the store accepted (and the transports were given), from this process. */
  readonly eventsEmitted: number
  /**
   * Emits that sent nothing: an invalid or unknown event, one over `maxEventBytes`, one that is
   * not JSON, or one after its stream's terminal event. Each was also reported to `onError`.
   */
  readonly eventsRejected: number
  /** Events written to client connections (one per event per connection). */
  readonly eventsDelivered: number
  /** Events a connection skipped because its `?events=` filter leaves them out. */
  readonly eventsFiltered: number
  /**
   * Events read back from the store for a subscriber that started or resumed behind the live
   * stream: a new client's catch-up, or a reconnecting client's missed events.
   */
  readonly eventsReplayed: number
  /**
   * Events that subscribers will never get: events after a cursor that the store no longer
   * held (counted when the store says how many), and stored events a connection could not
   * frame (an id or type with a line break, written by a foreign producer).
   */
  readonly eventsDropped: number
  /**
   * Cursors that could not be resumed as they were (expired, unknown, or of an earlier
   * incarnation of the stream): each told to `onGap`, or a `cursor_expired` failure.
   */
  readonly gaps: number
  /**
   * Subscribers ended for being too slow: a connection with more than `maxQueuedBytes` waiting
   * at two heartbeats in a row, or a subscriber more than `maxQueuedEvents` behind (or behind
   * the store's retention while catching up). Each can resume from its last id.
   */
  readonly slowClientCutoffs: number
  /**
   * Store operations that failed: appends (`store_failed` or `store_unknown`), reads (replay,
   * or the check before a stream starts) and live registrations (their start, or their loss).
   */
  readonly storeFailures: number
  /** Delivery lag: the time from an event's emit to its write to a client connection. */
  readonly lag: LagMetrics
}

/**
 * Delivery lag, in milliseconds, as a histogram. One sample is taken per burst of live events
 * written to a connection: the lag of the burst's oldest event, the largest of the burst.
 * Replayed events (emitted before the connection opened) are not sampled. Emit times are the
 * envelopes' `ts`, to the millisecond, from the producer's clock: across processes, clock skew
 * adds to it (a negative lag counts as 0).
 */
export interface LagMetrics {
  /** Samples taken. */
  readonly count: number
  /** The sum of every sample, in ms (the mean is `sumMs / count`). */
  readonly sumMs: number
  /** The largest sample, in ms; 0 before the first. */
  readonly maxMs: number
  /** The median, estimated as the upper bound of its bucket (at most `maxMs`); 0 before the first sample. */
  readonly p50Ms: number
  /** The 90th percentile, estimated as `p50Ms` is. */
  readonly p90Ms: number
  /** The 99th percentile, estimated as `p50Ms` is. */
  readonly p99Ms: number
  /**
   * The buckets' upper bounds, in ms, ascending: a sample `s` is in the first bucket whose
   * bound is ≥ `s`, or in the last one (past the last bound).
   */
  readonly boundsMs: readonly number[]
  /**
   * Samples per bucket (not cumulative): one more entry than `boundsMs`, the last one counting
   * samples over the last bound. The shape of an OpenTelemetry or Prometheus histogram.
   */
  readonly counts: readonly number[]
}

/** Why events were dropped for a subscriber (see {@link StreamMetrics.eventsDropped}). */
export type DropReason = 'gap' | 'unframeable'

/**
 * Which bound ended a slow subscriber: `bytes` (a connection's `maxQueuedBytes`) or `events`
 * (`maxQueuedEvents`, or the store's retention while it caught up).
 */
export type CutoffBound = 'bytes' | 'events'

/** Which store operation failed (see {@link StreamMetrics.storeFailures}). */
export type StoreOperation = 'append' | 'read' | 'listen'

/**
 * Hooks called as a manager counts, for push-based metrics (StatsD, logs) and per-stream
 * figures that the totals of `metrics()` do not give. Pass one to `manager.observe()`. Every
 * hook is optional and is called synchronously, on the hot path: keep it to a counter
 * increment. One that throws is reported to `onError` (as `handler_failed`) and the rest go on.
 */
export interface MetricsObserver {
  /** An event was stored and handed to the transports (`eventsEmitted`). */
  onEmit?(record: EventRecord): void
  /** An emit sent nothing (`eventsRejected`); `error` is what `onError` was told. */
  onReject?(error: RunstreamError): void
  /** A client connection opened (`connectionsOpened`); `resumed` when it came with a cursor. */
  onConnect?(stream: string, resumed: boolean): void
  /** A client connection was released. */
  onDisconnect?(stream: string): void
  /** `count` events were written to one connection in one burst (`eventsDelivered`). */
  onDeliver?(stream: string, count: number): void
  /** `count` events were read back from the store for one subscriber (`eventsReplayed`). */
  onReplay?(stream: string, count: number): void
  /** Events were lost for a subscriber (`eventsDropped`, `gaps`); `count` may be 0 when unknown. */
  onDrop?(stream: string, count: number, reason: DropReason): void
  /** A slow subscriber was ended (`slowClientCutoffs`). */
  onCutoff?(stream: string, bound: CutoffBound): void
  /** A store operation failed (`storeFailures`). */
  onStoreFailure?(operation: StoreOperation, error: unknown): void
  /** A delivery lag sample, in ms (see {@link LagMetrics}). */
  onLag?(ms: number): void
}
