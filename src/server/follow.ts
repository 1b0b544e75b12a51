import type { EventRecord } from '../core/envelope.js'
import type { StreamManager } from '../core/manager.js'
import {
  type BurstSubscription,
  type GapInfo,
  NEXT_BURST,
  type RecordSubscription,
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
    // Bound, since the subscription calls it alone: a target may be an object with methods.
    subscription = manager.subscribeRecords({ stream, lastEventId, onGap: target.gap.bind(target) })
  } catch (error) {
    target.fail(error)
    return undefined
  }
  new Pump(subscription as RecordSubscription & BurstSubscription, feed, target).start()
  return subscription
}

/**
 * The loop that moves bursts from the subscription to the feed, written as a small state machine
 * driven by `.then` rather than as an async function: an idle connection, waiting for its next
 * burst, then holds this object and one promise reaction on two functions bound once, where a
 * suspended async function held its frame, its own promise and the await's closures.
 *
 * It reads one burst per wait (two when woken with nothing: see {@link NEXT_BURST}), writes it as
 * one block when the target can, else record by record, pausing on a full feed until it has room.
 */
class Pump {
  readonly #source: BurstSubscription
  readonly #feed: Feed
  readonly #target: FollowTarget
  // The burst being written record by record while it waits for room, and the next one to write;
  // `NO_BURST` while it waits for a burst.
  #burst: readonly EventRecord[] = NO_BURST
  #at = 0
  // Bound once, for every wait: one continuation for a burst or for room, one for a failure.
  readonly #resume: (burst?: readonly EventRecord[]) => void
  readonly #fail: (error: unknown) => void

  constructor(source: BurstSubscription, feed: Feed, target: FollowTarget) {
    this.#source = source
    this.#feed = feed
    this.#target = target
    this.#resume = this.#step.bind(this)
    this.#fail = this.#failed.bind(this)
  }

  /** Asks for the first burst. */
  start(): void {
    try {
      this.#read()
    } catch (error) {
      this.#failed(error)
    }
  }

  // Asks for the next burst: its promise resumes the pump.
  #read(): void {
    this.#source[NEXT_BURST]().then(this.#resume, this.#fail)
  }

  // Resumed by a burst (or `undefined`, woken with nothing) or, while a burst is held, by room.
  #step(burst?: readonly EventRecord[]): void {
    try {
      if (this.#burst !== NO_BURST) this.#write()
      else this.#take(burst)
    } catch (error) {
      this.#failed(error)
    }
  }

  #take(burst: readonly EventRecord[] | undefined): void {
    if (burst === undefined) {
      this.#read()
      return
    }
    const feed = this.#feed
    const target = this.#target
    if (burst.length === 0 || feed.state() !== 'open') {
      target.done()
      return
    }
    if (burst.length > 1 && target.burst?.(burst) === true) {
      target.tally?.(burst[0] as EventRecord)
      this.#read()
      return
    }
    this.#burst = burst
    this.#at = 0
    this.#write()
  }

  // Writes the held burst from where it stopped; awaits only when the buffer is full, since an
  // await per event is what a burst must not cost. A full buffer pauses the pump: a replay waits
  // for the client, and live events wait in the subscription (bounded in count) while the feed's
  // heartbeat watches the bytes.
  #write(): void {
    const feed = this.#feed
    const target = this.#target
    const burst = this.#burst
    while (this.#at < burst.length) {
      if (feed.full() && feed.state() === 'open') {
        // The same continuation as for a burst: with a burst held, it resumes writing it.
        const resume: () => void = this.#resume
        feed.waitForRoom().then(resume, this.#fail)
        return
      }
      if (feed.state() !== 'open') {
        this.#burst = NO_BURST
        target.tally?.(burst[0] as EventRecord)
        return
      }
      target.send(burst[this.#at++] as EventRecord)
    }
    this.#burst = NO_BURST
    target.tally?.(burst[0] as EventRecord)
    this.#read()
  }

  #failed(error: unknown): void {
    this.#target.fail(error)
  }
}

// What the pump holds while it waits for a burst.
const NO_BURST: readonly EventRecord[] = []
