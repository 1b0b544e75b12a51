import type { EventRecord } from './envelope.js'
import { compareEventIds } from './event-id.js'
import type { EventStore, Unlisten } from './store.js'

/**
 * Fans the live events of one stream out to the subscribers of this process, through a single
 * registration with the store however many subscribers there are.
 */
export interface Hub {
  /** Adds `sink`, resolving once the store delivers; when the store fails to, `sink` is dropped. */
  join(sink: LiveSink): Promise<void>
  /**
   * Removes `sink`; the last one out ends the registration. A method of the hub, not a closure
   * per subscriber: it is kept for the subscriber's whole life.
   */
  leave(sink: LiveSink): void
  readonly size: number
}

/**
 * The live events the store delivered in one turn of the event loop, in order: the same object
 * for every subscriber, so that what is derived from it (the joined SSE frames of a burst) is
 * derived once, not once per subscriber. The hub appends to it while the turn lasts; its
 * records are of one incarnation (one epoch), with strictly increasing ids, and none but the
 * last is terminal.
 */
export interface LiveBurst {
  readonly records: readonly EventRecord[]
  /**
   * Set once the burst may grow no more: at the end of its turn, or when a subscriber took it
   * whole (what was taken must not change). The hub then starts another for the next event.
   */
  sealed: boolean
  /**
   * How many subscribers hold it whole (each counts itself in, and out when it stops holding it
   * before it is sealed or leaves): while every subscriber does, an event appended to it is
   * news to no one, and the hub calls none of them.
   */
  holders: number
}

/** A subscriber as a hub sees it. */
export interface LiveSink {
  /** One live event, already appended to `burst`, the burst of this turn. */
  push(record: EventRecord, burst: LiveBurst): void
  fail(error: unknown): void
}

/**
 * Creates the hub of one stream. `onEmpty` is called when its last subscriber leaves. Each event
 * is handed to every subscriber as the store delivers it, together with the burst of this turn
 * that it was appended to: a subscriber that keeps up holds the burst rather than each event.
 */
export function createHub(store: EventStore, stream: string, onEmpty: () => void): Hub {
  const sinks = new Set<LiveSink>()
  let unlisten: Unlisten | undefined
  let starting: Promise<void> | undefined
  let burst: (LiveBurst & { records: EventRecord[] }) | undefined

  const listener = {
    event(record: EventRecord) {
      let current = burst
      if (current === undefined || current.sealed || !follows(current.records, record)) {
        if (current === undefined) queueMicrotask(endBurst)
        else current.sealed = true
        current = { records: [record], sealed: false, holders: 0 }
        burst = current
      } else {
        current.records.push(record)
        // Everyone holds this burst: it grew for all of them at once. (A terminal event is still
        // told: it ends each subscription.)
        if (current.holders >= sinks.size && !record.terminal) return
      }
      for (const sink of sinks) sink.push(record, current)
    },
    error(error: unknown) {
      endBurst()
      const current = [...sinks]
      sinks.clear()
      unlisten = undefined
      starting = undefined
      for (const sink of current) sink.fail(error)
      onEmpty()
    },
  }

  return {
    get size() {
      return sinks.size
    },
    async join(sink) {
      sinks.add(sink)
      if (starting === undefined) {
        starting = Promise.resolve(store.listen(stream, listener)).then((stop) => {
          unlisten = stop
          // Everyone left while the store was still registering.
          if (sinks.size === 0) release()
        })
        starting.catch(() => {
          starting = undefined
        })
      }
      try {
        await starting
      } catch (error) {
        sinks.delete(sink)
        throw error
      }
    },
    leave(sink) {
      if (!sinks.delete(sink)) return
      if (sinks.size === 0) release()
    },
  }

  // The turn is over: the next event starts a burst of its own.
  function endBurst(): void {
    if (burst !== undefined) burst.sealed = true
    burst = undefined
  }

  function release(): void {
    const stop = unlisten
    unlisten = undefined
    starting = undefined
    stop?.()
    onEmpty()
  }
}

// Whether `record` may follow `records` in one burst: same incarnation, a later id, and no
// terminal event before it.
function follows(records: readonly EventRecord[], record: EventRecord): boolean {
  const before = records[records.length - 1] as EventRecord
  return (
    !before.terminal &&
    record.epoch === before.epoch &&
    compareEventIds(record.envelope.id, before.envelope.id) > 0
  )
}
