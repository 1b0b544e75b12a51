import type { Envelope, EventRecord } from './envelope.js'
import type { GapInfo } from './gap.js'
import type { Hub } from './hub.js'
import type { MetricsRecorder } from './metrics.js'
import type { EventStore } from './store.js'

/** Options of `manager.subscribe()` and `manager.subscribeRecords()`. */
export interface SubscribeOptions {
  /** The stream to follow, such as `workflow:exec_42`. */
  stream: string
  /**
   * Start after this cursor (a `Last-Event-ID`): what the store holds after it is replayed first,
   * then live events follow with no gap and no duplicate. Leave out to replay everything the
   * store holds; `"0"` means the same. Pass the subscription's own `lastEventId`: it is qualified
   * with the stream's epoch (`"lz3kq9a1.42"`), so that a stream started over since is told
   * (`onGap`, reason `restarted`); a plain id (`"42"`) means that id in the current incarnation.
   */
  lastEventId?: string | undefined
  /** Ends the subscription when aborted. */
  signal?: AbortSignal | undefined
  /**
   * Called when `lastEventId` is older than what the store still holds, or unknown to it, or when
   * the stream starts over (reason `restarted`: the store forgot it and began again at id 1), on
   * resume or while following. When given, the subscription goes on from the oldest held event
   * (of the new incarnation), and `onGap` is called just before that event is yielded, after
   * every event before the gap. When left out, iteration throws a `RunstreamError` with code
   * `cursor_expired` after those events.
   */
  onGap?: ((gap: GapInfo) => void) | undefined
  /**
   * How many events may wait for this subscriber. Past it, the subscriber is ended with a
   * `subscriber_overflow` error whose `details.lastEventId` is the last id it received, so it can
   * resume from the store.
   * @defaultValue the manager's `maxQueuedEvents` (10_000)
   */
  maxQueuedEvents?: number | undefined
}

/**
 * What every subscription offers, whatever it yields: an async iterator that `break` in a
 * `for await` loop, or `return()`, ends, releasing everything it held.
 */
export interface SubscriptionOf<T> extends AsyncIterableIterator<T> {
  /**
   * The cursor to resume after: the id of the last event this subscription yielded, qualified
   * with its stream's epoch when the store keeps one (`"lz3kq9a1.42"`; see
   * docs/wire-format.md#ids-epochs-and-cursors).
   */
  readonly lastEventId: string | undefined
  /** Ends the subscription; pending `next()` calls resolve as done. */
  close(): void
  /**
   * Takes every event already queued, without waiting (an empty array when none is), exactly as
   * that many `next()` calls would. A consumer that awaits `next()` once and then takes the rest
   * handles a burst of events in one turn instead of one `await` per event.
   */
  takeQueued(): T[]
}

/**
 * A live subscription, as `manager.subscribe()` returns it: it yields envelopes
 * (`{ id, type, stream, ts, data }`), the same shape runstream's client yields.
 */
export interface Subscription<E extends Envelope = Envelope> extends SubscriptionOf<E> {}

/**
 * A live subscription that yields event records (the envelope with its JSON bytes and terminal
 * flag), as `manager.subscribeRecords()` returns it: for servers and transports that send the
 * JSON as it is, without serializing again.
 */
export interface RecordSubscription<E extends Envelope = Envelope>
  extends SubscriptionOf<EventRecord<E>> {}

/** Something that can be closed: what a manager keeps of each open subscription. */
export interface Closable {
  close(): void
}

/** How `createSubscription` is set up by its manager. */
export interface SubscriptionSetup {
  readonly store: EventStore
  readonly hub: Hub
  /** The queue bound, already checked. */
  readonly maxQueuedEvents: number
  /** How many events one store read asks for. */
  readonly pageSize: number
  /** Yield envelopes (`true`) or records (`false`). */
  readonly envelopes: boolean
  /** The manager's set of open subscriptions: the subscription leaves it when it ends. */
  readonly owners?: Set<Closable> | undefined
  /** Where replays, gaps and slow-subscriber cut-offs are counted. */
  readonly metrics?: Pick<MetricsRecorder, 'replayed' | 'gap' | 'cutOff'> | undefined
}
