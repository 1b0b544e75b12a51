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
 * The pump is a module function, not a closure: a connection holds nothing more for it.
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
  void pump(subscription, feed, target)
  return subscription
}

async function pump(records: RecordSubscription, feed: Feed, target: FollowTarget): Promise<void> {
  const source = records as RecordSubscription & BurstSubscription
  try {
    for (;;) {
      // Every record queued, in one await per burst, not per event (two when it had to wait).
      const burst = (await source[NEXT_BURST]()) ?? (await source[NEXT_BURST]())
      if (burst === undefined) continue
      if (burst.length === 0 || feed.state() !== 'open') break
      const oldest = burst[0] as EventRecord
      if (burst.length > 1 && target.burst?.(burst) === true) {
        target.tally?.(oldest)
        continue
      }
      for (const record of burst) {
        // Awaits only when the buffer is full: an await per event is what a burst must not cost.
        if (feed.full() || feed.state() !== 'open') {
          if (!(await deliver(record, feed, target))) return target.tally?.(oldest)
        } else {
          target.send(record)
        }
      }
      target.tally?.(oldest)
    }
    target.done()
  } catch (error) {
    target.fail(error)
  }
}

/**
 * Sends one record once there is room. A full buffer pauses the pump: a replay waits for the
 * client, and live events wait in the subscription (bounded in count) while the feed's heartbeat
 * watches the bytes. Returns whether the feed is still open.
 */
async function deliver(record: EventRecord, feed: Feed, target: FollowTarget): Promise<boolean> {
  while (feed.full() && feed.state() === 'open') await feed.waitForRoom()
  if (feed.state() !== 'open') return false
  target.send(record)
  return true
}
