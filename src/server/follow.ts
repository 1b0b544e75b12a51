import type { EventRecord } from '../core/envelope.js'
import type { StreamManager } from '../core/manager.js'
import {
  type BurstSubscription,
  GAP_TARGET,
  type GapInfo,
  NEXT_BURST,
  type RecordSubscription,
  type TargetedSubscribeOptions,
  type TurnListener,
} from '../core/subscription.js'
import type { Feed } from './feed.js'

/** Where {@link follow} puts what it reads. */
export interface FollowTarget {
  /** Writes one record, once the feed has room. */
  send(record: EventRecord): void
  /**
   * Writes a whole live burst at once (bytes shared with every connection at the same place),
   * or returns `false` to have it sent record by record. Absent: always record by record.
   */
  readonly burst?: ((records: readonly EventRecord[]) => boolean) | undefined
  /** A burst was written, or cut short: `oldest` is its first record (counted for the metrics). */
  readonly tally?: ((oldest: EventRecord) => void) | undefined
  /** The store reports a gap before the records that follow it. */
  gap(gap: GapInfo): void
  /** The subscription ended: after the terminal event, or because the feed stopped. */
  done(): void
  /** The subscription failed. */
  fail(error: unknown): void
}

/**
 * Follows one stream into a feed: the replay after `lastEventId`, then live records, read no
 * faster than the client takes them. The single-stream connection follows one stream; the
 * many-stream connection follows each of its streams into one feed. Returns the subscription, to
 * `return()` when the feed stops, or `undefined` when it failed at once (`target.fail` was told).
 */
export function follow(
  manager: StreamManager,
  feed: Feed,
  stream: string,
  lastEventId: string | undefined,
  target: FollowTarget,
): RecordSubscription | undefined {
  let subscription: RecordSubscription
  try {
    // The target itself is told of gaps (GAP_TARGET), rather than a function bound to it.
    const options: TargetedSubscribeOptions = { stream, lastEventId, [GAP_TARGET]: target }
    subscription = manager.subscribeRecords(options)
  } catch (error) {
    target.fail(error)
    return undefined
  }
  new Pump(subscription as RecordSubscription & BurstSubscription, feed, target).start()
  return subscription
}

/**
 * The loop that moves bursts from the subscription to the feed, as a small state machine that the
 * subscription calls back (`burstReady`) rather than an async function or a chain of promises: an
 * idle connection, waiting for its next burst, then holds this object and nothing else, and a
 * live burst reaches the feed with no promise, no microtask and no closure per connection (the
 * hub tells every reader woken in a turn, in one loop, at the turn's end).
 *
 * It takes every burst there is each time it is told, writes each as one block when the target
 * can, else record by record, pausing on a full feed until it has room.
 */
class Pump implements TurnListener {
  readonly #source: BurstSubscription
  readonly #feed: Feed
  readonly #target: FollowTarget
  // The burst being written record by record while it waits for room, and the next one to write;
  // `NO_BURST` otherwise.
  #burst: readonly EventRecord[] = NO_BURST
  #at = 0

  constructor(source: BurstSubscription, feed: Feed, target: FollowTarget) {
    this.#source = source
    this.#feed = feed
    this.#target = target
  }

  /** Takes what is there already. */
  start(): void {
    this.burstReady()
  }

  /** The subscription has something (or ended): take bursts until it has nothing more. */
  burstReady(): void {
    try {
      for (;;) {
        const burst = this.#source[NEXT_BURST](this)
        // Nothing more for now: the subscription calls again.
        if (burst === undefined || !this.#take(burst)) return
      }
    } catch (error) {
      this.#failed(error)
    }
  }

  // Writes a burst; returns whether to read on (not when the pump waits for room or is done).
  #take(burst: readonly EventRecord[]): boolean {
    const feed = this.#feed
    const target = this.#target
    if (burst.length === 0 || feed.state() !== 'open') {
      target.done()
      return false
    }
    if (burst.length > 1 && target.burst?.(burst) === true) {
      target.tally?.(burst[0] as EventRecord)
      return true
    }
    this.#burst = burst
    this.#at = 0
    return this.#write()
  }

  // Writes the held burst from where it stopped; waits only when the buffer is full, since a wait
  // per event is what a burst must not cost. A full buffer pauses the pump: a replay waits for
  // the client, and live events wait in the subscription (bounded in count) while the feed's
  // heartbeat watches the bytes. Returns whether to read on.
  #write(): boolean {
    const feed = this.#feed
    const target = this.#target
    const burst = this.#burst
    while (this.#at < burst.length) {
      if (feed.full() && feed.state() === 'open') {
        // Functions made only for a connection that waits for room, never for an idle one.
        feed.waitForRoom().then(
          () => this.#resumeWriting(),
          (error: unknown) => this.#failed(error),
        )
        return false
      }
      if (feed.state() !== 'open') {
        this.#burst = NO_BURST
        target.tally?.(burst[0] as EventRecord)
        return false
      }
      target.send(burst[this.#at++] as EventRecord)
    }
    this.#burst = NO_BURST
    target.tally?.(burst[0] as EventRecord)
    return true
  }

  // The feed has room again: the held burst goes on, then the reading.
  #resumeWriting(): void {
    try {
      if (this.#write()) this.burstReady()
    } catch (error) {
      this.#failed(error)
    }
  }

  #failed(error: unknown): void {
    this.#target.fail(error)
  }
}

// What the pump holds while it waits for a burst.
const NO_BURST: readonly EventRecord[] = []
