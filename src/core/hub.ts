import type { EventRecord } from './envelope.js'
import { compareEventIds } from './event-id.js'
import type { EventStore, Unlisten } from './store.js'
import { recordId } from './stored-record.js'

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
  /**
   * Calls `listener.burstReady()` once the events of this turn are all delivered (in a microtask
   * of its own when no turn is under way): for a reader woken while the turn may still add to the
   * burst it will take. One call per burst for every reader, with no promise or closure each.
   */
  defer(listener: TurnListener): void
  readonly size: number
}

/** What wants to know when the events of a turn are all delivered (see {@link Hub.defer}). */
export interface TurnListener {
  /** The turn is over. Must not throw: the other listeners of the turn are called after it. */
  burstReady(): void
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

/** Symbol names of a subscriber's hub methods: the subscription then shows no such names. */
export const LIVE_PUSH: unique symbol = Symbol('runstream.live.push')
/** See {@link LIVE_PUSH}. */
export const LIVE_FAIL: unique symbol = Symbol('runstream.live.fail')

/** A subscriber as a hub sees it. */
export interface LiveSink {
  /**
   * One live event, already appended to `burst`, the burst of this turn. May return a listener
   * to call once the turn is over, as {@link Hub.defer} would.
   */
  [LIVE_PUSH](record: EventRecord, burst: LiveBurst): TurnListener | undefined
  [LIVE_FAIL](error: unknown): void
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
  // Whether the end of this turn is queued, and who is told of it then.
  let turnQueued = false
  let waking: TurnListener[] = []

  const listener = {
    event(record: EventRecord) {
      let current = burst
      if (current === undefined || current.sealed || !follows(current.records, record)) {
        if (!turnQueued) queueTurnEnd()
        if (current !== undefined) current.sealed = true
        current = { records: [record], sealed: false, holders: 0 }
        burst = current
      } else {
        current.records.push(record)
        // Everyone holds this burst: it grew for all of them at once. (A terminal event is still
        // told: it ends each subscription.)
        if (current.holders >= sinks.size && !record.terminal) return
      }
      for (const sink of sinks) {
        const woken = sink[LIVE_PUSH](record, current)
        if (woken !== undefined) waking.push(woken)
      }
    },
    error(error: unknown) {
      // (Those already woken are still told at the end of the turn.)
      if (burst !== undefined) burst.sealed = true
      burst = undefined
      const current = [...sinks]
      sinks.clear()
      unlisten = undefined
      starting = undefined
      for (const sink of current) sink[LIVE_FAIL](error)
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
    defer(listener) {
      waking.push(listener)
      if (!turnQueued) queueTurnEnd()
    },
  }

  function queueTurnEnd(): void {
    turnQueued = true
    queueMicrotask(endTurn)
  }

  // The turn is over: the next event starts a burst of its own, and the readers woken by this
  // one's take it.
  function endTurn(): void {
    turnQueued = false
    if (burst !== undefined) burst.sealed = true
    burst = undefined
    const woken = waking
    if (woken.length === 0) return
    waking = []
    for (const listener of woken) {
      try {
        listener.burstReady()
      } catch (error) {
        // A listener must not throw; if one does, the others are still told, and the error is
        // thrown on its own, as an unhandled rejection would have been.
        queueMicrotask(() => {
          throw error
        })
      }
    }
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
    compareEventIds(recordId(record), recordId(before)) > 0
  )
}
