import { describe, refuseRenamed } from './check.js'
import type { DraftEvent, EventRecord } from './envelope.js'
import { parseCursor } from './event-id.js'

/** Stops a {@link EventStore.listen} registration. Safe to call more than once. */
export type Unlisten = () => void

/** What {@link EventStore.read} returns. */
export interface ReadResult {
  /** The events after the cursor, oldest first, at most `limit` of them. */
  readonly events: readonly EventRecord[]
  /** The id of the oldest event the store still holds for the stream, if any. */
  readonly firstId: string | undefined
  /** The id of the newest event of the stream, if any. */
  readonly lastId: string | undefined
  /** Whether the stream has received its terminal event. */
  readonly finished: boolean
  /** Whether more events follow the returned ones (the read was cut at `limit`). */
  readonly hasMore: boolean
  /**
   * The epoch of the stream's current incarnation, `undefined` when the stream is unknown (or the
   * store keeps no epochs). When it differs from the epoch of the cursor, the stream started over
   * since that cursor, and `events` are read from the oldest held event of this incarnation.
   */
  readonly epoch?: string | undefined
}

/** Callbacks of {@link EventStore.listen}. */
export interface StoreListener {
  /** Called with every event appended to the stream after `listen` resolved, in id order. */
  event(record: EventRecord): void
  /**
   * Called when the store can no longer guarantee live delivery (its connection is gone and it
   * cannot fill the gap). The registration is over after this call.
   */
  error?(error: unknown): void
}

/**
 * Where events are kept for replay and how live events reach the subscribers of this process.
 * runstream ships {@link memoryStore} (the default) and `redisStore` in `runstream/redis`.
 *
 * The contract, which `storeContract()` of `runstream/testing` checks for every implementation:
 * - `append` gives each event of a stream the next id (`"1"`, `"2"`, …), and applies appends in
 *   the order they were called, even when it returns promises. When it starts a stream (the first
 *   time, or again after forgetting it), it gives the new incarnation a fresh epoch
 *   (`record.epoch`, `ReadResult.epoch`), so that followers can tell the ids started over.
 * - `append` rejects with a `RunstreamError` of code `store_unknown` when it cannot tell whether
 *   the event was stored (a timeout, a connection lost after sending); any other rejection means
 *   the event was not stored.
 * - After a terminal event the stream is `finished`: `append` refuses every further event of it
 *   with a `RunstreamError` of code `stream_finished` (thrown, or a rejected promise). It is kept
 *   for a while, then forgotten.
 * - `read` returns the held events after `lastEventId` (exclusive) in id order, with `firstId`
 *   and `lastId` telling what it still holds, so that a dropped event is reported as a gap. A
 *   cursor qualified with another epoch than the current one reads from the oldest held event.
 * - `listen` delivers every event appended after its promise (or return) settled, in order, once.
 * - `close`, when present, releases connections and timers; `manager.close()` calls it.
 * - Runs (optional, needed by `manager.startRun` and `manager.cancelRun`): `createRun` claims a
 *   stream that does not exist yet, atomically across processes; `cancelRun` reaches the
 *   `onCancel` listeners of every process sharing the store; nothing they keep outlives the
 *   stream's own expiry.
 */
export interface EventStore {
  /** Stores one event and gives it its id. */
  append(draft: DraftEvent): EventRecord | Promise<EventRecord>
  /** Reads the held events of `stream` after the cursor. */
  read(stream: string, options?: ReadOptions): ReadResult | Promise<ReadResult>
  /** Delivers the events appended to `stream` from now on. */
  listen(stream: string, listener: StoreListener): Unlisten | Promise<Unlisten>
  /** Releases connections and timers. The store is unusable afterwards. */
  close?(): void | Promise<void>
  /**
   * Claims a new run's stream, atomically: `true` when the stream did not exist (no held event,
   * no live claim) and is now claimed, `false` otherwise. The claim lasts as long as an idle
   * stream is kept, or until {@link EventStore.endRun}. Needed by `manager.startRun`.
   */
  createRun?(stream: string): boolean | Promise<boolean>
  /** Drops the claim of a run whose stream ended. Safe for a stream that has none. */
  endRun?(stream: string): void | Promise<void>
  /**
   * Tells every process sharing the store that the run of `stream` is cancelled (each one's
   * {@link EventStore.onCancel} listeners are called with `stream` and `reason`), when the
   * stream is claimed or holds events and has not finished. Says what the stream was:
   * `'running'` (the cancellation was sent), `'finished'` or `'unknown'` (nothing was sent).
   * Needed by `manager.cancelRun`.
   */
  cancelRun?(stream: string, reason: string): RunState | Promise<RunState>
  /**
   * Delivers the cancellations sent by {@link EventStore.cancelRun}, from any process, to this
   * process from the moment its promise (or return) settled. Needed by `manager.startRun`.
   */
  onCancel?(listener: CancelListener): Unlisten | Promise<Unlisten>
}

/**
 * What a store knows of a run's stream: `'running'` (claimed, or holding events, and not
 * finished), `'finished'` (its terminal event is stored) or `'unknown'`.
 */
export type RunState = 'running' | 'finished' | 'unknown'

/** Receives a cancellation: the stream's name and the reason given to `cancelRun`. */
export type CancelListener = (stream: string, reason: string) => void

/** Options of {@link EventStore.read}. */
export interface ReadOptions {
  /**
   * The cursor: only events with a greater id; leave out for all held events. A cursor qualified
   * with an epoch (`"<epoch>.<id>"`) that is not the stream's current one reads from the start.
   */
  lastEventId?: string | undefined
  /**
   * At most this many events.
   * @defaultValue 1000
   */
  limit?: number | undefined
}

/** A store's `read()` options once checked: the cursor parsed, the default limit filled in. */
export interface CheckedReadOptions {
  /** The cursor as given. */
  readonly lastEventId: string | undefined
  /** The cursor's event id: events after it are read. 0 without a cursor (or an unparsable one). */
  readonly after: number
  /** The cursor's epoch, when it is qualified: another epoch than the stream's reads from 0. */
  readonly epoch: string | undefined
  readonly limit: number
}

/**
 * Checks the options of a store's `read()` (for store authors): refuses the old `after` and a
 * `limit` that is not a whole number, fills in the default limit of 1000, and parses the cursor.
 */
export function checkReadOptions(
  where: string,
  options: ReadOptions | undefined,
): CheckedReadOptions {
  if (options === undefined) {
    return { lastEventId: undefined, after: 0, epoch: undefined, limit: 1000 }
  }
  refuseRenamed(where, options, { after: 'lastEventId' })
  const { lastEventId, limit = 1000 } = options
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) {
    throw new TypeError(
      `${where}: \`limit\` must be a whole number of events, 0 or more, such as 1000; got ${describe(limit)}.`,
    )
  }
  if (lastEventId !== undefined && typeof lastEventId !== 'string') {
    throw new TypeError(
      `${where}: \`lastEventId\` must be an event id string such as "42"; got ${describe(lastEventId)}.`,
    )
  }
  const cursor = lastEventId === undefined ? undefined : parseCursor(lastEventId)
  return { lastEventId, after: cursor?.id ?? 0, epoch: cursor?.epoch, limit }
}
