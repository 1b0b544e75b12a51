import { type DraftEvent, type EventRecord, parseEventId, recordFromDraft } from './envelope.js'
import {
  checkReadOptions,
  type EventStore,
  type ReadOptions,
  type ReadResult,
  type StoreListener,
  type Unlisten,
} from './store.js'

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * How many of a stream's newest events are kept for replay. Older ones are dropped, and a
   * cursor older than what is kept is reported as a gap, never skipped silently.
   * @defaultValue 10_000
   */
  maxEventsPerStream?: number
  /**
   * How long a finished stream (one that received its terminal event) is kept, in milliseconds.
   * @defaultValue 300_000 (5 minutes)
   */
  finishedTtlMs?: number
  /**
   * How long a stream with no new event is kept before it is forgotten, in milliseconds, so that
   * the streams of crashed producers do not pile up.
   * @defaultValue 3_600_000 (1 hour)
   */
  idleTtlMs?: number
  /**
   * How many streams are kept at once. Past it, the stream that was written longest ago is
   * forgotten (finished streams first).
   * @defaultValue 10_000
   */
  maxStreams?: number
  /** The clock, for tests. @defaultValue `Date.now` */
  now?: () => number
}

/** The in-memory {@link EventStore}: a bounded ring of events per stream, in this process only. */
export interface MemoryStore extends EventStore {
  append(draft: DraftEvent): EventRecord
  read(stream: string, options?: ReadOptions): ReadResult
  listen(stream: string, listener: StoreListener): Unlisten
  /** How many streams are held now. */
  readonly size: number
  /** Forgets one stream, or every stream. */
  clear(stream?: string): void
}

/**
 * Creates the in-memory event store, the default of `createStreamManager`. Everything it holds
 * is bounded: events per stream, streams, and how long finished or idle streams stay.
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const maxEvents = positive('maxEventsPerStream', options.maxEventsPerStream ?? 10_000)
  const finishedTtl = positive('finishedTtlMs', options.finishedTtlMs ?? 300_000)
  const idleTtl = positive('idleTtlMs', options.idleTtlMs ?? 3_600_000)
  const maxStreams = positive('maxStreams', options.maxStreams ?? 10_000)
  const now = options.now ?? Date.now
  // Map order is creation order; `touched` says when a stream was last written.
  const streams = new Map<string, StreamState>()
  const listeners = new Map<string, Set<StoreListener>>()
  let appendsSinceSweep = 0

  return {
    get size() {
      return streams.size
    },
    append(draft) {
      let state = streams.get(draft.stream)
      const t = now()
      if (state !== undefined && isExpired(state, t)) {
        streams.delete(draft.stream)
        state = undefined
      }
      if (state === undefined) {
        if (++appendsSinceSweep >= 256 || streams.size >= maxStreams) sweep(t)
        state = { ring: [], start: 0, count: 0, lastId: 0, finished: false, touched: t }
        streams.set(draft.stream, state)
      }
      const id = state.lastId + 1
      const record = recordFromDraft(String(id), draft)
      state.ring[(state.start + state.count) % maxEvents] = record
      if (state.count < maxEvents) state.count++
      else state.start = (state.start + 1) % maxEvents
      state.lastId = id
      state.touched = t
      if (draft.terminal) state.finished = true
      const set = listeners.get(draft.stream)
      if (set !== undefined) {
        for (const listener of set) {
          try {
            listener.event(record)
          } catch {
            // A listener's failure is its own; the event is stored and the others still get it.
          }
        }
      }
      return record
    },
    read(stream, readOptions) {
      const { lastEventId, limit } = checkReadOptions('memoryStore.read', readOptions)
      const state = streams.get(stream)
      if (state === undefined || isExpired(state, now())) {
        if (state !== undefined) streams.delete(stream)
        return {
          events: [],
          firstId: undefined,
          lastId: undefined,
          finished: false,
          hasMore: false,
        }
      }
      const firstId = state.lastId - state.count + 1
      const after = lastEventId === undefined ? 0 : (parseEventId(lastEventId) ?? 0)
      const from = Math.max(after + 1, firstId)
      const available = state.lastId - from + 1
      const take = Math.max(0, Math.min(limit, available))
      const events: EventRecord[] = new Array(take)
      for (let i = 0; i < take; i++) {
        events[i] = state.ring[(state.start + (from - firstId) + i) % maxEvents] as EventRecord
      }
      return {
        events,
        firstId: state.count > 0 ? String(firstId) : undefined,
        lastId: state.lastId > 0 ? String(state.lastId) : undefined,
        finished: state.finished,
        hasMore: available > take,
      }
    },
    listen(stream, listener) {
      let set = listeners.get(stream)
      if (set === undefined) {
        set = new Set()
        listeners.set(stream, set)
      }
      set.add(listener)
      return () => {
        const current = listeners.get(stream)
        if (current === undefined) return
        current.delete(listener)
        if (current.size === 0) listeners.delete(stream)
      }
    },
    clear(stream) {
      if (stream === undefined) streams.clear()
      else streams.delete(stream)
    },
  }

  function isExpired(state: StreamState, t: number): boolean {
    return t - state.touched > (state.finished ? finishedTtl : idleTtl)
  }

  function sweep(t: number): void {
    appendsSinceSweep = 0
    for (const [name, state] of streams) {
      if (isExpired(state, t)) streams.delete(name)
    }
    if (streams.size < maxStreams) return
    for (const [name, state] of streams) {
      if (state.finished) {
        streams.delete(name)
        if (streams.size < maxStreams) return
      }
    }
    const byAge = [...streams].sort((a, b) => a[1].touched - b[1].touched)
    for (const [name] of byAge) {
      streams.delete(name)
      if (streams.size < maxStreams) return
    }
  }
}

interface StreamState {
  ring: EventRecord[]
  start: number
  count: number
  lastId: number
  finished: boolean
  touched: number
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`memoryStore: \`${name}\` must be a positive number, got ${String(value)}.`)
  }
  return value
}
