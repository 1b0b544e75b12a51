import { optionalFunction, optionsObject, positiveInteger } from './check.js'
import { type DraftEvent, type EventRecord, recordFromDraft } from './envelope.js'
import { RunstreamError } from './errors.js'
import { newEpoch } from './event-id.js'
import { createLruList, type LruNode, lruNode } from './lru-list.js'
import { createMemoryRuns } from './memory-runs.js'
import {
  type CancelListener,
  checkReadOptions,
  type EventStore,
  type ReadOptions,
  type ReadResult,
  type RunState,
  type StoreListener,
  type Unlisten,
} from './store.js'
import { storedRecord } from './stored-record.js'

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * How many of a stream's newest events are kept for replay. Older ones are dropped, and a
   * cursor older than what is kept is reported as a gap, never skipped silently. The default
   * keeps a whole long agent run streamed token by token (a 64k-token answer with reasoning and
   * tool calls; the arithmetic is in docs/reliability.md), so a follower that reconnects late
   * still resumes.
   * @defaultValue 100_000
   */
  maxEventsPerStream?: number
  /**
   * How many bytes of events one stream keeps, counted on each stored envelope JSON as its length
   * in characters (its size in bytes when it is ASCII; see docs/core.md). Past it, the stream's
   * oldest events are dropped (its newest event is always kept), reported to a resuming follower
   * as a gap. The default holds the 100,000 events of `maxEventsPerStream` when they average up
   * to 167 bytes (an LLM token's envelope is 115 to 135), and 16 events of the largest size the
   * manager accepts (1 MiB).
   * @defaultValue 16_777_216 (16 MiB)
   */
  maxBytesPerStream?: number
  /**
   * How many bytes of events the whole store keeps, counted as for `maxBytesPerStream`. Past it,
   * the oldest events of the stream written longest ago are dropped, and so on, reported to a
   * resuming follower as a gap. The stream itself (its last id, whether it finished) is kept, so
   * its ids never restart. The V8 heap holds about 1.5 times the JSON (the JSON, its id and a
   * compact record; measured in bench/store.ts), so a full store at the default takes about
   * 99 MB of heap: room on a small server (512 MB to 1 GB).
   * @defaultValue 67_108_864 (64 MiB)
   */
  maxBytes?: number
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

/**
 * The in-memory {@link EventStore}: a bounded queue of events per stream, in this process only.
 * It keeps older events as compact records whose envelope is parsed from their JSON when read
 * (see docs/core.md#what-the-memory-store-keeps).
 */
export interface MemoryStore extends EventStore {
  append(draft: DraftEvent): EventRecord
  read(stream: string, options?: ReadOptions): ReadResult
  listen(stream: string, listener: StoreListener): Unlisten
  createRun(stream: string): boolean
  endRun(stream: string): void
  cancelRun(stream: string, reason: string): RunState
  onCancel(listener: CancelListener): Unlisten
  /** How many streams are held now. */
  readonly size: number
  /** How many bytes of events are held now, in every stream, counted as the budgets count them. */
  readonly bytes: number
  /** Forgets one stream (and its run's claim), or every stream. */
  clear(stream?: string): void
  /** Forgets everything and ends every listener; appends, reads and listens then fail. */
  close(): void
}

/**
 * How many stream states one store has touched while making room (expiry, eviction, trimming):
 * the work counter that proves making room costs O(1) per append. For tests; not public API.
 */
export const WORK: unique symbol = Symbol('runstream.memoryStore.work')

// How many of a stream's newest events are held as the records the live path delivered, with the
// producer's envelope and data; older ones are held as compact records (see StoredRecord). The
// events a subscriber joining now replays across the seam with live are among these, so it gets
// the same objects (and frames) as those already following; a record that lives this short dies
// in V8's young generation, and no garbage collection copies its envelope.
const LIVE_RECORDS = 64

// Streams that expired are forgotten a few per append, so a mass expiry never stalls one emit;
// the rest are refused as expired when touched, and forgotten on later appends.
const EXPIRE_PER_APPEND = 16

/**
 * Creates the in-memory event store, the default of `createStreamManager`. Everything it holds
 * is bounded: events and bytes per stream, bytes in total, streams, and how long finished or
 * idle streams stay. Making room costs O(1) per append, however many streams are held.
 */
export function memoryStore(options?: MemoryStoreOptions): MemoryStore {
  const given = optionsObject('memoryStore', options)
  const where = 'memoryStore'
  const maxEvents = positiveInteger(
    where,
    'maxEventsPerStream',
    given.maxEventsPerStream,
    100_000,
    'events',
    '100_000',
  )
  const maxBytesPerStream = positiveInteger(
    where,
    'maxBytesPerStream',
    given.maxBytesPerStream,
    16_777_216,
    'bytes',
    '16_777_216 (16 MiB)',
  )
  const maxBytes = positiveInteger(
    where,
    'maxBytes',
    given.maxBytes,
    67_108_864,
    'bytes',
    '67_108_864 (64 MiB)',
  )
  const finishedTtl = positiveInteger(
    where,
    'finishedTtlMs',
    given.finishedTtlMs,
    300_000,
    'milliseconds',
    '300_000',
  )
  const idleTtl = positiveInteger(
    where,
    'idleTtlMs',
    given.idleTtlMs,
    3_600_000,
    'milliseconds',
    '3_600_000',
  )
  const maxStreams = positiveInteger(
    where,
    'maxStreams',
    given.maxStreams,
    10_000,
    'streams',
    '10_000',
  )
  const now = optionalFunction(where, 'now', given.now) ?? Date.now

  const streams = new Map<string, StreamState>()
  // Each list is ordered by last write, oldest first: the heads are what expires or goes first.
  const active = createLruList<StreamState>()
  const ended = createLruList<StreamState>()
  // The streams that hold at least one event, by last write: where the total budget takes from.
  const holding = createLruList<StreamState>()
  const listeners = new Map<string, Set<StoreListener>>()
  let bytes = 0
  let work = 0
  let closed = false
  // Runs live beside the streams, on their public reads: claims last as long as an idle stream.
  const runs = createMemoryRuns({
    read: (stream) => store.read(stream, { limit: 0 }),
    ttlMs: idleTtl,
    maxRuns: maxStreams,
    now,
  })

  const store: MemoryStore & { readonly [WORK]: number } = {
    get size() {
      return streams.size
    },
    get bytes() {
      return bytes
    },
    get [WORK]() {
      return work
    },
    append(draft) {
      if (closed) throw closedError()
      const t = now()
      expire(t)
      let state = streams.get(draft.stream)
      if (state !== undefined && isExpired(state, t)) {
        forget(state)
        state = undefined
      }
      if (state === undefined) {
        while (streams.size >= maxStreams) {
          const oldest = ended.head ?? active.head
          if (oldest === undefined) break
          forget(oldest.value)
        }
        state = createState(draft.stream)
        streams.set(draft.stream, state)
      } else if (state.finished) {
        throw new RunstreamError(
          'stream_finished',
          `Stream "${draft.stream}" already received its terminal event (id ${state.lastId}); "${draft.type}" was not stored. Emit terminal events last, from one producer.`,
          {
            details: { stream: draft.stream, eventType: draft.type, lastId: String(state.lastId) },
          },
        )
      }
      const id = state.lastId + 1
      const record = recordFromDraft(String(id), draft, state.epoch)
      // Characters, not UTF-8 bytes: the same for ASCII JSON, and a scan of every event to
      // count UTF-8 exactly cost more than everything else an append does (see docs/core.md).
      const size = record.json.length
      // The JSON is built from pieces (the id, the draft's parts): reading a character makes V8
      // flatten it into one string, which halves the heap a held event takes (bench/store.ts).
      record.json.charCodeAt(0)
      state.events.push(record)
      // The newest events stay the very records the live path delivered (a subscriber joining
      // now replays them, and finds their frames made); an older one becomes a compact copy.
      const aged = state.events.length - 1 - LIVE_RECORDS
      if (aged >= state.head) {
        state.events[aged] = storedRecord(state.events[aged] as EventRecord)
      }
      state.bytes += size
      bytes += size
      state.lastId = id
      state.touched = t
      if (draft.terminal) state.finished = true
      ;(state.finished ? ended : active).moveToEnd(state.life)
      holding.moveToEnd(state.held)
      // The stream's own bounds; its newest event always stays, so its ids stay known.
      while (
        state.events.length - state.head > maxEvents ||
        (state.bytes > maxBytesPerStream && state.events.length - state.head > 1)
      ) {
        dropOldest(state)
      }
      // The store's bound: the oldest events of the streams written longest ago go first.
      while (bytes > maxBytes) {
        const oldest = holding.head?.value
        if (oldest === undefined || (oldest === state && state.events.length - state.head <= 1)) {
          break
        }
        dropOldest(oldest)
      }
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
      if (closed) throw closedError()
      const cursor = checkReadOptions('memoryStore.read', readOptions)
      const state = streams.get(stream)
      if (state === undefined || isExpired(state, now())) {
        if (state !== undefined) forget(state)
        return {
          events: [],
          firstId: undefined,
          lastId: undefined,
          finished: false,
          hasMore: false,
          epoch: undefined,
        }
      }
      const count = state.events.length - state.head
      const firstId = state.lastId - count + 1
      // A cursor of an earlier incarnation reads this one from its start.
      const after = cursor.epoch === undefined || cursor.epoch === state.epoch ? cursor.after : 0
      const from = Math.max(after + 1, firstId, 1)
      const available = state.lastId - from + 1
      const take = Math.max(0, Math.min(cursor.limit, available))
      const start = state.head + (from - firstId)
      return {
        events: state.events.slice(start, start + take) as EventRecord[],
        firstId: count > 0 ? String(firstId) : undefined,
        lastId: state.lastId > 0 ? String(state.lastId) : undefined,
        finished: state.finished,
        hasMore: available > take,
        epoch: state.epoch,
      }
    },
    listen(stream, listener) {
      if (closed) throw closedError()
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
    createRun: runs.createRun,
    endRun: runs.endRun,
    cancelRun: runs.cancelRun,
    onCancel: runs.onCancel,
    clear(stream) {
      runs.clear(stream)
      if (stream !== undefined) {
        const state = streams.get(stream)
        if (state !== undefined) forget(state)
        return
      }
      streams.clear()
      active.clear()
      ended.clear()
      holding.clear()
      bytes = 0
    },
    close() {
      if (closed) return
      store.clear()
      runs.close()
      closed = true
      const all = [...listeners.values()].flatMap((set) => [...set])
      listeners.clear()
      for (const listener of all) {
        try {
          listener.error?.(closedError())
        } catch {
          // Nothing more to tell a listener whose error handler throws.
        }
      }
    },
  }
  return store

  function createState(name: string): StreamState {
    const state = {
      name,
      events: [],
      head: 0,
      lastId: 0,
      bytes: 0,
      finished: false,
      touched: 0,
      // A new incarnation: followers of an earlier one are told it started over.
      epoch: newEpoch(),
    } as unknown as StreamState
    state.life = lruNode(state)
    state.held = lruNode(state)
    return state
  }

  function isExpired(state: StreamState, t: number): boolean {
    // Counted: a scan of the streams for what to expire or evict would show here.
    work++
    return t - state.touched > (state.finished ? finishedTtl : idleTtl)
  }

  // Forgets the expired streams at the heads of both lists, a bounded number per call.
  function expire(t: number): void {
    for (let i = 0; i < EXPIRE_PER_APPEND; i++) {
      const oldest = active.head?.value
      if (oldest === undefined || !isExpired(oldest, t)) break
      forget(oldest)
    }
    for (let i = 0; i < EXPIRE_PER_APPEND; i++) {
      const oldest = ended.head?.value
      if (oldest === undefined || !isExpired(oldest, t)) break
      forget(oldest)
    }
  }

  function forget(state: StreamState): void {
    work++
    if (streams.get(state.name) === state) streams.delete(state.name)
    active.remove(state.life)
    ended.remove(state.life)
    holding.remove(state.held)
    bytes -= state.bytes
    state.bytes = 0
    state.events = []
    state.head = 0
  }

  function dropOldest(state: StreamState): void {
    work++
    // Counted again from the record, not kept beside it: an array of sizes was one more slot per
    // held event, copied each time it grew, for a length that the JSON string already stores.
    const size = (state.events[state.head] as EventRecord).json.length
    state.events[state.head] = undefined
    state.head++
    state.bytes -= size
    bytes -= size
    if (state.head === state.events.length) {
      state.events = []
      state.head = 0
      holding.remove(state.held)
    } else if (state.head > 1024 && state.head * 2 > state.events.length) {
      // Compacts in batches: each slot is moved at most once per halving, O(1) per drop on average.
      state.events.splice(0, state.head)
      state.head = 0
    }
  }
}

interface StreamState {
  readonly name: string
  /** The held events, oldest at `head`; slots before it are empty. */
  events: (EventRecord | undefined)[]
  head: number
  lastId: number
  bytes: number
  finished: boolean
  touched: number
  /** This incarnation's epoch: a stream forgotten and written again gets a new one. */
  readonly epoch: string
  /** Its place in the active or the finished list. */
  life: LruNode<StreamState>
  /** Its place in the list of streams holding events. */
  held: LruNode<StreamState>
}

function closedError(): RunstreamError {
  return new RunstreamError(
    'store_failed',
    'The memory store was closed (manager.close() closes its store); create a new one.',
  )
}
