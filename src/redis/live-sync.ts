import type { RunstreamError } from '../core/errors.js'
import { goneError, trimmedError } from './live-errors.js'
import type { LiveFanoutOptions } from './live-types.js'
import { deliver, drain, isAway, type Watch } from './live-watch.js'
import type { RawPage } from './scripts.js'

const PAGE_SIZE = 1000
const SYNC_RETRY_MS = 250

/** What the catch-up needs from the fanout whose watches it catches up. */
export interface CatchUpContext {
  /** Where the missed events are read from, and stale epochs fenced. */
  readonly store: Pick<LiveFanoutOptions, 'readPage' | 'fence'>
  /** The subscriber connection's generation now: steps begun in an older one are stale. */
  generation(): number
  /** Whether `watch` is still the fanout's watch of its stream, in generation `gen`. */
  isCurrent(watch: Watch, gen: number): boolean
  /** Ends `watch` with `error` (its listeners are told). */
  fail(watch: Watch, error: RunstreamError): void
  /** A store command failed: the fanout's outage clock bounds the retries. */
  armOutageTimer(): void
  /** A watch went live again: the outage clock stops once no watch is behind. */
  caughtUp(): void
}

/**
 * Creates the catch-up of a fanout's watches: `sync(watch)` delivers, from the store, what came
 * after the last id the watch delivered (telling a new incarnation, fencing ids a promoted
 * replica never received, failing on events trimmed or lost), then the messages it held, and
 * puts it `live`.
 */
export function createCatchUp(context: CatchUpContext): (watch: Watch) => Promise<void> {
  const { store } = context
  return sync

  /**
   * After a sync's command failed: waits before its next try, and says whether to try (the watch
   * was not replaced or moved away meanwhile). The command connection may still be coming back;
   * the outage timer bounds the retries.
   */
  async function retryLater(watch: Watch, gen: number): Promise<boolean> {
    if (!context.isCurrent(watch, gen) || isAway(watch)) return false
    context.armOutageTimer()
    await delay(SYNC_RETRY_MS)
    return context.isCurrent(watch, gen) && !isAway(watch)
  }

  /** Catches a watch up from the store after its last delivered id, then goes live. */
  async function sync(watch: Watch): Promise<void> {
    // One sync per watch at a time: a watch leaves `live` here, and only `live` starts a sync;
    // a sync of an older connection stops at its next step.
    watch.state = 'syncing'
    const gen = context.generation()
    for (;;) {
      let page: RawPage
      try {
        page = await store.readPage(watch.stream, watch.lastId, PAGE_SIZE, watch.epoch)
      } catch {
        if (!(await retryLater(watch, gen))) return
        continue
      }
      // An `away` watch stops here: it is continued, from where it stands, on the slot's new node.
      if (!context.isCurrent(watch, gen) || isAway(watch)) return
      if (page.epoch === undefined && page.lastId === 0) {
        // The stream is gone (expired, deleted, or Redis restarted without its data): its next
        // incarnation, if one begins, is delivered from its first event.
        watch.lastId = 0
        watch.epoch = undefined
      } else if (page.epoch !== undefined && watch.epoch === undefined && watch.lastId > 0) {
        // A stream written before epochs existed, which has one now: the same incarnation.
        watch.epoch = page.epoch
      } else if (page.epoch !== undefined && page.epoch !== watch.epoch) {
        // A new incarnation: the page holds it from its oldest event.
        watch.lastId = 0
        watch.epoch = page.epoch
      } else if (
        page.lastId < watch.lastId &&
        watch.epoch !== undefined &&
        store.fence !== undefined
      ) {
        // The stream lost events this watch delivered (a replica promoted before it received
        // them): it goes on in a new epoch, whose events the next page gives from the oldest held.
        try {
          await store.fence(watch.stream, watch.epoch, watch.lastId)
        } catch {
          if (!(await retryLater(watch, gen))) return
          continue
        }
        if (!context.isCurrent(watch, gen) || isAway(watch)) return
        continue
      } else if (page.lastId < watch.lastId) {
        // A stream written before epochs existed, started over: nothing tells its incarnations apart.
        context.fail(watch, goneError(watch))
        return
      } else if (page.lastId > watch.lastId && page.firstId > watch.lastId + 1) {
        context.fail(watch, trimmedError(watch, page.firstId))
        return
      }
      for (const record of page.records) {
        const id = Number(record.envelope.id)
        if (id > watch.lastId) deliver(watch, { id, epoch: page.epoch, record })
      }
      if (page.hasMore) continue
      if (drain(watch)) {
        watch.state = 'live'
        context.caughtUp()
        return
      }
    }
  }
}

// Also the sharded fanout's pause before it retries a registration on a refreshed slot map.
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
