import { describe, refuseRenamed } from './check.js'
import type { DraftEvent, EventRecord } from './envelope.js'

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
 *   the order they were called, even when it returns promises.
 * - After a terminal event the stream is `finished`: `append` refuses every further event of it
 *   with a `RunstreamError` of code `stream_finished` (thrown, or a rejected promise). It is kept
 *   for a while, then forgotten.
 * - `read` returns the held events after `lastEventId` (exclusive) in id order, with `firstId`
 *   and `lastId` telling what it still holds, so that a dropped event is reported as a gap.
 * - `listen` delivers every event appended after its promise (or return) settled, in order, once.
 * - `close`, when present, releases connections and timers; `manager.close()` calls it.
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
}

/** Options of {@link EventStore.read}. */
export interface ReadOptions {
  /** The cursor: only events with a greater id; leave out for all held events. */
  lastEventId?: string | undefined
  /**
   * At most this many events.
   * @defaultValue 1000
   */
  limit?: number | undefined
}

/**
 * Checks the options of a store's `read()` (for store authors): refuses the old `after` and a
 * `limit` that is not a whole number, and fills in the default limit of 1000.
 */
export function checkReadOptions(
  where: string,
  options: ReadOptions | undefined,
): { lastEventId: string | undefined; limit: number } {
  if (options === undefined) return { lastEventId: undefined, limit: 1000 }
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
  return { lastEventId, limit }
}
