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
 * The contract, which `test/contract/store.ts` checks for every implementation:
 * - `append` gives each event of a stream the next id (`"1"`, `"2"`, …), and applies appends in
 *   the order they were called, even when it returns promises.
 * - `read` returns the held events after `after` (exclusive) in id order.
 * - `listen` delivers every event appended after its promise (or return) settled, in order, once.
 * - After a terminal event the stream is `finished`; it is kept for a while, then forgotten.
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
  /** Only events with a greater id; leave out for all held events. */
  after?: string | undefined
  /**
   * At most this many events.
   * @defaultValue 1000
   */
  limit?: number | undefined
}
