import type { EventRecord } from '../core/envelope.js'
import type { StoreListener } from '../core/store.js'
import type { LiveMessage } from './scripts.js'

/**
 * The states of one watched stream:
 * - `starting`: subscribing and reading its newest id; `listen` waits for this.
 * - `live`: messages are delivered as they come.
 * - `syncing`: catching up from the store (after a reconnection, or a hole in the ids); messages
 *   are held meanwhile.
 * - `down`: the subscriber connection is gone; waiting for it to return.
 * - `away` (sharded only): the node no longer serves the stream's slot; waiting for the sharded
 *   fanout to move the watch to the new owner (`position` gives where it stands). Bounded by
 *   `maxOutageMs` like `down`.
 */
export type WatchState = 'starting' | 'live' | 'syncing' | 'down' | 'away'

/**
 * One watched stream of a fanout: its listeners, the last event it delivered, and the live
 * messages it holds while it cannot deliver them yet. The functions below keep its deliveries
 * in order, once each.
 */
export interface Watch {
  readonly stream: string
  readonly channel: string
  readonly listeners: Set<StoreListener>
  /** The newest id delivered (or known when the watch started): the resume point. */
  lastId: number
  /** The incarnation `lastId` belongs to; `undefined` while the stream has none. */
  epoch: string | undefined
  state: WatchState
  buffer: LiveMessage[]
  bufferDropped: boolean
  ready: Promise<void>
}

/** A watch of `stream` (on `channel`), starting, with no listener yet. */
export function newWatch(stream: string, channel: string): Watch {
  return {
    stream,
    channel,
    listeners: new Set(),
    lastId: 0,
    epoch: undefined,
    state: 'starting',
    buffer: [],
    bufferDropped: false,
    ready: Promise.resolve(),
  }
}

// A function, not an inline test: a state checked after an await may have changed meanwhile.
export function isAway(watch: Watch): boolean {
  return watch.state === 'away'
}

// Whether `message` is the next event of what the watch delivered.
// (A watch without an epoch follows a stream that has none yet, or that predates epochs.)
export function follows(watch: Watch, message: LiveMessage): boolean {
  return (
    (message.epoch === watch.epoch || watch.epoch === undefined) && message.id === watch.lastId + 1
  )
}

// Whether `message` was delivered already (same incarnation, not newer).
export function isStale(watch: Watch, message: LiveMessage): boolean {
  return (
    (message.epoch === watch.epoch || watch.epoch === undefined || message.epoch === undefined) &&
    message.id <= watch.lastId
  )
}

/**
 * Takes a live message of the watch: delivers it when it continues the ids, holds it while the
 * watch is not live, drops it when delivered already. True when it shows a hole in the ids, or
 * a new incarnation (it is then held): what is missing must be read from the store.
 */
export function receive(watch: Watch, message: LiveMessage, maxBuffered: number): boolean {
  if (watch.state !== 'live') {
    hold(watch, message, maxBuffered)
    return false
  }
  if (follows(watch, message)) {
    deliver(watch, message)
    return false
  }
  if (isStale(watch, message)) return false
  hold(watch, message, maxBuffered)
  return true
}

/** Holds `message` for later, up to `maxBuffered` messages. */
export function hold(watch: Watch, message: LiveMessage, maxBuffered: number): void {
  if (watch.buffer.length >= maxBuffered) {
    // Everything held is in the store too: drop it and read it back from there.
    watch.buffer = []
    watch.bufferDropped = true
    return
  }
  watch.buffer.push(message)
}

/** Forgets what the watch holds: the store has it, and the watch reads it back from there. */
export function dropHeld(watch: Watch): void {
  watch.buffer = []
  watch.bufferDropped = false
}

/** Gives `message` to every listener of the watch, which moves on to it. */
export function deliver(watch: Watch, message: LiveMessage): void {
  watch.lastId = message.id
  watch.epoch = message.epoch
  tellEvent(watch.listeners, message.record)
}

/** Gives `record` to each of `listeners` (of a watch, or of a sharded fanout's follow). */
export function tellEvent(listeners: Iterable<StoreListener>, record: EventRecord): void {
  for (const listener of listeners) {
    try {
      listener.event(record)
    } catch {
      // A listener's failure is its own; the others still get the event.
    }
  }
}

/** Ends each of `listeners` with `error`, and empties the set: a registration ends once. */
export function endListeners(listeners: Set<StoreListener>, error: unknown): void {
  const ended = [...listeners]
  listeners.clear()
  for (const listener of ended) {
    try {
      listener.error?.(error)
    } catch {
      // Nothing more to tell a listener whose error handler throws.
    }
  }
}

/** Delivers the held messages that continue the ids; false when the store must be read first. */
export function drain(watch: Watch): boolean {
  const held = watch.buffer
  watch.buffer = []
  if (watch.bufferDropped) {
    watch.bufferDropped = false
    return false
  }
  for (const message of held) {
    if (follows(watch, message)) deliver(watch, message)
    else if (!isStale(watch, message)) return false
  }
  return true
}
