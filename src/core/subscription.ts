import type { Envelope, EventRecord } from './envelope.js'
import { isRunstreamError, RunstreamError } from './errors.js'
import { compareEventIds, parseCursor } from './event-id.js'
import { cursorOf, describeGap, detectGap, type GapInfo, lostSince } from './gap.js'
import { LIVE_FAIL, LIVE_PUSH, type LiveBurst, type LiveSink, type TurnListener } from './hub.js'
import { recordId } from './stored-record.js'
import type { SubscribeOptions, SubscriptionOf, SubscriptionSetup } from './subscription-types.js'

export type { GapInfo } from './gap.js'
export type {
  Closable,
  RecordSubscription,
  SubscribeOptions,
  Subscription,
  SubscriptionOf,
  SubscriptionSetup,
} from './subscription-types.js'

type State = 'replaying' | 'live' | 'done'

/**
 * The internal method of a record subscription that the SSE connection pumps with, without a
 * promise: it returns every record queued, in a burst that is, whenever the subscriber's queue
 * held nothing else, the very array the hub filled for every subscriber (so its frames are joined
 * once for all of them), or an empty array once the subscription is done. It throws as `next()`
 * rejects. When nothing is queued it returns `undefined` and calls `reader.burstReady()` once
 * something is, after the turn that queued it (so that the reader takes the turn's whole burst),
 * and the reader calls again. Not public API: a symbol, not a name.
 */
export const NEXT_BURST: unique symbol = Symbol('runstream.subscription.nextBurst')

/**
 * An internal option of `subscribeRecords()`, a symbol key in its options object: an object whose
 * `gap()` is called where `onGap` would be, so that the SSE connection, which is such an object,
 * needs no function bound for it. It counts as an `onGap` (gaps are told, not thrown).
 */
export const GAP_TARGET: unique symbol = Symbol('runstream.subscription.gapTarget')

/** What {@link GAP_TARGET} names. */
export interface GapTarget {
  gap(gap: GapInfo): void
}

/** Subscribe options with a {@link GAP_TARGET}. */
export type TargetedSubscribeOptions = SubscribeOptions & { readonly [GAP_TARGET]?: GapTarget }

/** A subscription as the SSE connection uses it. */
export interface BurstSubscription {
  [NEXT_BURST](reader: TurnListener): readonly EventRecord[] | undefined
}

export type { TurnListener } from './hub.js'

/**
 * Creates one subscriber: it joins the hub first, then replays from the store, then drains what
 * arrived live meanwhile, so the seam between replay and live has no gap and no duplicate.
 */
export function createSubscription(
  setup: SubscriptionSetup,
  options: SubscribeOptions,
): SubscriptionOf<EventRecord | Envelope> {
  const cursor = options.lastEventId
  const parsed = typeof cursor === 'string' ? parseCursor(cursor) : undefined
  if (cursor !== undefined && parsed === undefined) {
    const shown = String(cursor).slice(0, 40)
    throw new RunstreamError(
      'invalid_cursor',
      `Invalid cursor "${shown}": a cursor is a decimal event id such as "42", optionally after its epoch and a dot ("lz3kq9a1.42"). Pass the lastEventId of the subscription you resume.`,
      { details: { lastEventId: shown } },
    )
  }
  return new Subscriber(setup, options, parsed)
}

type Gap = { at: number; gap: GapInfo }

// Shared empty arrays for what an idle subscriber never fills (its queue, gaps, live events while
// replaying) or has emptied: replaced by an array of its own before anything is pushed.
const NO_GAPS: Gap[] = []
const NO_EARLY: EventRecord[] = []
const NO_QUEUE: EventRecord[] = []

/**
 * One subscriber. A class, not an object of closures: its methods live once on the prototype,
 * where closures would be a function object each (and a context holding them) per subscriber.
 * `next`, `return` and `close` work detached (passed as callbacks), as a subscription's methods
 * always have: they are getters that bind all three the first time one is read, so that a
 * subscription whose methods are never read (the SSE connection's, read through
 * {@link NEXT_BURST}) holds no bound function.
 */
class Subscriber implements SubscriptionOf<Yielded>, BurstSubscription, LiveSink {
  // A data property kept equal to the cursor, not a getter: an object with a getter of its own is
  // kept in V8's slow dictionary mode, a cost paid per subscriber.
  lastEventId: string | undefined
  readonly #store: SubscriptionSetup['store']
  readonly #hub: SubscriptionSetup['hub']
  readonly #envelopes: boolean
  readonly #owners: SubscriptionSetup['owners']
  readonly #metrics: SubscriptionSetup['metrics']
  readonly #maxQueue: number
  readonly #pageLimit: number
  readonly #stream: string
  readonly #signal: AbortSignal | undefined
  // The onGap option, or the GAP_TARGET one.
  readonly #onGap: SubscribeOptions['onGap'] | GapTarget
  #state: State = 'replaying'
  // The last event the consumer took (or the cursor): what `lastEventId` says.
  #lastId: string | undefined
  #lastEpoch: string | undefined
  // The last event queued (or the cursor): where reads go on from, and what an event must follow.
  #tailId: string | undefined
  #tailEpoch: string | undefined
  // Gaps found after events that are queued but not taken yet: each is told to `onGap` just
  // before the event at `at` (counted in events taken) is yielded, so that it reaches a consumer
  // (an SSE response) after every event before it.
  #gaps: Gap[] = NO_GAPS
  #taken = 0
  #queue: EventRecord[] = NO_QUEUE
  #queueHead = 0
  // A live burst held whole, queued after `queue` (only ever while `queue` is empty): shared with
  // the other subscribers until it is taken, copied into `queue` when anything else is needed.
  // Every record the hub appends to it is this subscriber's, so nothing is done per event: the
  // tail, the count and the bound are worked out from the burst when it is taken or copied.
  #shared: LiveBurst | undefined
  // Whether this subscriber is counted in `shared.holders` (the hub skips holders).
  #counted = false
  // Live events that arrived while replaying. Bounded: past maxQueue they are dropped and the
  // store is read once more, since it holds them too.
  #early: EventRecord[] = NO_EARLY
  #earlyDropped = false
  #failure: unknown
  // The consumer waiting: the resolve function of next() (once woken, it gets whatever next()
  // says then), or the reader of NEXT_BURST (told to call again once the turn is over).
  #waiter: ((result: never) => void) | TurnListener | undefined
  // The replay, waiting for the subscriber to take enough of its queue for the next page.
  #replayWaiter: (() => void) | undefined
  // Whether the hub counts this subscriber, which then leaves it once done.
  #joined = false
  #finished = false
  // `next`, `return` and `close` bound, once one of them is read.
  #boundMethods: BoundMethods | undefined

  constructor(
    setup: SubscriptionSetup,
    options: SubscribeOptions,
    parsed: ReturnType<typeof parseCursor>,
  ) {
    this.#store = setup.store
    this.#hub = setup.hub
    this.#envelopes = setup.envelopes
    this.#owners = setup.owners
    this.#metrics = setup.metrics
    this.#maxQueue = setup.maxQueuedEvents
    this.#pageLimit = Math.max(1, Math.min(setup.pageSize, setup.maxQueuedEvents))
    this.#stream = options.stream
    this.#signal = options.signal
    this.#onGap = options.onGap ?? (options as TargetedSubscribeOptions)[GAP_TARGET]
    this.#lastId = parsed === undefined || parsed.id === 0 ? undefined : String(parsed.id)
    this.#lastEpoch = parsed?.epoch
    this.#tailId = this.#lastId
    this.#tailEpoch = this.#lastEpoch
    this.lastEventId = cursorOf(this.#lastEpoch, this.#lastId)
    const signal = this.#signal
    signal?.addEventListener('abort', this.close, { once: true })
    if (signal?.aborted) this.#close()
    if (!this.#isDone()) void this.#start()
  }

  // The async iterator of a subscription is the subscription itself.
  [Symbol.asyncIterator](): this {
    return this
  }

  /** `next()`, bound to this subscription (see the class). */
  get next(): () => Promise<IteratorResult<Yielded>> {
    return this.#bound().next
  }

  /** `return()`, bound to this subscription. */
  get return(): () => Promise<IteratorResult<Yielded>> {
    return this.#bound().return
  }

  /** `close()`, bound to this subscription. */
  get close(): () => void {
    return this.#bound().close
  }

  #bound(): BoundMethods {
    this.#boundMethods ??= {
      next: this.#next.bind(this),
      return: this.#return.bind(this),
      close: this.#close.bind(this),
    }
    return this.#boundMethods
  }

  // Not async functions: an idle subscriber then waits on one promise and one callback, with no
  // suspended function (and its own promises) kept alive behind them, per subscriber.
  #next(): Promise<IteratorResult<Yielded>> {
    this.#unshare()
    // Not after the whole replay: the replay waits for this consumer to take its pages.
    if (this.#queueHead < this.#queue.length) return Promise.resolve(this.#takeOne())
    if (this.#failure !== undefined) {
      const error = this.#failure
      this.#failure = undefined
      this.#owners?.delete(this)
      return Promise.reject(error)
    }
    if (this.#isDone()) {
      this.#owners?.delete(this)
      return Promise.resolve(DONE)
    }
    // Woken by an event, a failure or the end: the answer is whatever next() says then.
    return new Promise((resolve) => {
      this.#waiter = resolve as (result: never) => void
    })
  }

  #return(): Promise<IteratorResult<Yielded>> {
    this.#close()
    return Promise.resolve(DONE)
  }

  takeQueued(): Yielded[] {
    this.#unshare()
    const batch: Yielded[] = []
    // Stops before an event that follows a gap: `next()` tells the gap, once the consumer has
    // handled the events before it.
    while (
      this.#queueHead < this.#queue.length &&
      (batch.length === 0 || this.#gaps[0]?.at !== this.#taken)
    ) {
      batch.push(this.#take())
    }
    this.#publishCursor()
    return batch
  }

  [NEXT_BURST](reader: TurnListener): readonly EventRecord[] | undefined {
    const burst = this.#shared
    if (
      burst !== undefined &&
      this.#queueHead === this.#queue.length &&
      this.#gaps.length === 0 &&
      burst.records.length <= this.#maxQueue
    ) {
      // The burst held is all there is: taken as it is, shared. It must not grow any more: the
      // hub starts another for the next event.
      burst.sealed = true
      if (this.#counted) {
        this.#counted = false
        burst.holders--
      }
      this.#shared = undefined
      const records = burst.records
      const last = records[records.length - 1] as EventRecord
      this.#tailId = recordId(last)
      this.#tailEpoch = last.epoch
      this.#taken += records.length
      this.#lastId = recordId(last)
      this.#lastEpoch = last.epoch
      if (last.terminal) {
        this.#finished = true
        this.#close()
      }
      this.#publishCursor()
      return records
    }
    if (burst !== undefined || this.#queueHead < this.#queue.length) {
      return this.takeQueued() as EventRecord[]
    }
    if (this.#failure !== undefined) {
      const error = this.#failure
      this.#failure = undefined
      this.#owners?.delete(this)
      throw error
    }
    if (this.#isDone()) {
      this.#owners?.delete(this)
      return NO_RECORDS
    }
    // Nothing yet: the reader is told once something is queued and the waker's turn is over, so
    // that a burst the hub is still filling is taken whole. An idle connection then holds no
    // promise and no function of its own here, only the reader it already is.
    this.#waiter = reader
    return undefined
  }

  #close(): void {
    this.#owners?.delete(this)
    if (!this.#finished) {
      // Closing drops what was queued but not taken.
      this.#queue.length = 0
      this.#queueHead = 0
      if (this.#counted) {
        this.#counted = false
        ;(this.#shared as LiveBurst).holders--
      }
      this.#shared = undefined
    }
    this.#detach()
  }

  /** A live event from the hub (see {@link LiveSink}). */
  [LIVE_PUSH](record: EventRecord, burst: LiveBurst): TurnListener | undefined {
    if (this.#isDone()) return undefined
    if (this.#state === 'replaying') {
      if (this.#early.length >= this.#maxQueue) {
        this.#early = NO_EARLY
        this.#earlyDropped = true
      } else {
        if (this.#early === NO_EARLY) this.#early = []
        this.#early.push(record)
      }
      return undefined
    }
    if (this.#shared === burst) {
      // The burst held grew by this event: nothing to copy, and no one waits.
      if (record.terminal) this.#detach()
      return undefined
    }
    // An event that starts a burst, when nothing else waits and it is new: held as that burst.
    // The hub keeps what it appends after it new too (see LiveBurst).
    if (
      this.#shared === undefined &&
      !burst.sealed &&
      burst.records.length === 1 &&
      this.#queueHead === this.#queue.length &&
      this.#gaps.length === 0 &&
      !this.#restarts(record) &&
      (this.#tailId === undefined || compareEventIds(recordId(record), this.#tailId) > 0)
    ) {
      this.#shared = burst
      burst.holders++
      this.#counted = true
      if (record.terminal) this.#detach()
      else {
        // A reader is told by the hub at the end of the turn, with the burst then whole.
        const waiter = this.#waiter
        if (waiter === undefined || typeof waiter === 'function') this.#wake()
        else {
          this.#waiter = undefined
          return waiter
        }
      }
      return undefined
    }
    this.#enqueue(record)
    return undefined
  }

  /** The hub failed (see {@link LiveSink}); it has dropped every subscriber already. */
  [LIVE_FAIL](error: unknown): void {
    this.#joined = false
    const stream = this.#stream
    this.#fail(
      new RunstreamError(
        'store_failed',
        `Live delivery of stream "${stream}" was interrupted. Subscribe again from the last id received.`,
        {
          cause: error,
          details: { stream, lastEventId: this.#tailCursor() },
        },
      ),
    )
  }

  // Copies the held burst into the queue, for whatever takes or counts events one by one. Past
  // maxQueuedEvents, the subscriber is ended as too slow, as if the events had come one by one.
  #unshare(): void {
    const burst = this.#shared
    if (burst === undefined) return
    if (this.#counted) {
      this.#counted = false
      burst.holders--
    }
    this.#shared = undefined
    const records = burst.records
    const maxQueue = this.#maxQueue
    const count = Math.min(records.length, maxQueue)
    let queue = this.#queue
    if (queue === NO_QUEUE) this.#queue = queue = []
    for (let i = 0; i < count; i++) queue.push(records[i] as EventRecord)
    const last = records[count - 1] as EventRecord
    this.#tailId = recordId(last)
    this.#tailEpoch = last.epoch
    if (records.length > maxQueue)
      this.#fail(overflowError(this.#stream, maxQueue, this.#tailCursor()))
  }

  // Tells the consumer waiting that something is queued (or that the subscription ended).
  #wake(): void {
    const waiter = this.#waiter
    if (waiter === undefined) return
    this.#waiter = undefined
    if (typeof waiter !== 'function') this.#hub.defer(waiter)
    else {
      this.#unshare()
      // The value itself, not next()'s promise for it: resolving with a promise costs two turns.
      ;(waiter as (result: unknown) => void)(this.#takeOne())
    }
  }

  // Takes the head of the queue and says so in `lastEventId`; only called when it is not empty.
  #takeOne(): IteratorYieldResult<Yielded> {
    const value = this.#take()
    this.#publishCursor()
    return { value, done: false }
  }

  // Once per call of next() or takeQueued(), not per event: a qualified cursor is a new string.
  #publishCursor(): void {
    this.lastEventId = sharedCursor(this.#lastEpoch, this.#lastId)
  }

  // Takes the head of the queue; only called when it is not empty. The caller publishes the cursor.
  #take(): Yielded {
    const queue = this.#queue
    const record = queue[this.#queueHead] as EventRecord
    if (this.#gaps[0]?.at === this.#taken) this.#tellGap((this.#gaps.shift() as Gap).gap)
    queue[this.#queueHead++] = undefined as unknown as EventRecord
    if (this.#queueHead > 1024 && this.#queueHead * 2 > queue.length) {
      queue.splice(0, this.#queueHead)
      this.#queueHead = 0
    }
    this.#taken++
    this.#lastId = recordId(record)
    this.#lastEpoch = record.epoch
    if (record.terminal) {
      this.#finished = true
      this.#close()
    }
    // The replay waits for room for one more page.
    if (
      this.#replayWaiter !== undefined &&
      queue.length - this.#queueHead + this.#pageLimit <= this.#maxQueue
    ) {
      const resume = this.#replayWaiter
      this.#replayWaiter = undefined
      resume()
    }
    return this.#envelopes ? record.envelope : record
  }

  /** Joins the hub, then replays. */
  async #start(): Promise<void> {
    try {
      await this.#hub.join(this)
      if (this.#isDone()) {
        this.#hub.leave(this)
        return
      }
      this.#joined = true
      await this.#replay()
    } catch (error) {
      this.#fail(error)
    }
  }

  async #replay(): Promise<void> {
    const stream = this.#stream
    const maxQueue = this.#maxQueue
    const pageLimit = this.#pageLimit
    let first = true
    for (;;) {
      // The replay goes no faster than the subscriber takes: a long backlog waits in the store,
      // not in this queue, so a reader that keeps up is never ended as too slow.
      while (this.#queue.length - this.#queueHead + pageLimit > maxQueue) {
        await new Promise<void>((resolve) => {
          this.#replayWaiter = resolve
        })
        if (this.#isDone()) return
      }
      const after = this.#tailCursor()
      const page = await this.#store.read(stream, { lastEventId: after, limit: pageLimit })
      if (this.#isDone()) return
      const gap = detectGap(after, page)
      if (gap !== undefined && (first || gap.reason === 'restarted')) {
        first = false
        if (!this.#signalGap(gap)) return
        // Go on from the oldest event still held (of the new incarnation).
        this.#tailId = this.#tailEpoch = undefined
        if (this.#taken === 0) {
          this.#lastId = this.#lastEpoch = undefined
          this.lastEventId = undefined
        }
        continue
      }
      if (first) {
        first = false
        // A plain cursor means an id of the incarnation the store holds now: from here on, an
        // event of another incarnation is a restart.
        if (
          this.#tailEpoch === undefined &&
          this.#tailId !== undefined &&
          page.epoch !== undefined
        ) {
          this.#tailEpoch = page.epoch
          if (this.#taken === 0) {
            this.#lastEpoch = page.epoch
            this.lastEventId = cursorOf(this.#lastEpoch, this.#lastId)
          }
        }
      } else if (
        this.#tailId !== undefined &&
        lostSince(Number(this.#tailId), page.firstId, page.lastId)
      ) {
        // Retention dropped events this replay had not read yet: the subscriber is too far
        // behind. It resumes from its last id, and is then told of the gap.
        throw new RunstreamError(
          'subscriber_overflow',
          `Subscriber of stream "${stream}" fell behind the store's retention while replaying and was ended. Resubscribe with lastEventId: "${after}".`,
          {
            details: {
              stream,
              lastEventId: after,
              firstId: page.firstId,
              maxQueuedEvents: maxQueue,
            },
          },
        )
      }
      this.#metrics?.replayed(stream, page.events.length)
      for (const record of page.events) this.#enqueue(record)
      if (this.#isDone()) return
      if (!page.hasMore) {
        if (page.finished && page.events.length === 0) {
          // The cursor is at the end of a finished stream: nothing will ever follow it.
          this.#finished = true
          this.#detach()
          return
        }
        // Live events that would overfill the queue are read from the store instead, once the
        // subscriber has taken enough: only a subscriber behind the live stream itself is ended.
        if (!this.#earlyDropped && this.#fits(this.#early)) break
        this.#earlyDropped = false
        this.#early = NO_EARLY
      }
    }
    const pending = this.#early
    this.#early = NO_EARLY
    if (this.#isDone()) return
    this.#state = 'live'
    for (const record of pending) this.#enqueue(record)
  }

  // Whether the records not queued yet among `records` fit in the queue.
  #fits(records: readonly EventRecord[]): boolean {
    let fresh = 0
    for (const record of records) {
      if (
        this.#restarts(record) ||
        this.#tailId === undefined ||
        compareEventIds(recordId(record), this.#tailId) > 0
      )
        fresh++
    }
    return this.#queue.length - this.#queueHead + fresh <= this.#maxQueue
  }

  // The cursor after the last queued event (or the given cursor): where the next read starts.
  #tailCursor(): string | undefined {
    const burst = this.#shared
    if (burst !== undefined) {
      // Holding a burst: its last event is the tail.
      const last = burst.records[burst.records.length - 1] as EventRecord
      return cursorOf(last.epoch, recordId(last))
    }
    return cursorOf(this.#tailEpoch, this.#tailId)
  }

  // Whether `record` belongs to another incarnation of the stream than the last one queued.
  #restarts(record: EventRecord): boolean {
    return (
      record.epoch !== undefined &&
      this.#tailEpoch !== undefined &&
      record.epoch !== this.#tailEpoch
    )
  }

  #enqueue(record: EventRecord): void {
    if (this.#isDone()) return
    this.#unshare()
    if (this.#isDone()) return
    if (this.#restarts(record)) {
      // The store started the stream over while this subscriber followed it: its ids begin
      // again, and none of them is a duplicate of what came before.
      const id = recordId(record)
      if (
        !this.#signalGap({
          reason: 'restarted',
          lastEventId: this.#tailCursor() ?? '0',
          firstId: id,
          lastId: id,
        })
      ) {
        return
      }
    } else if (this.#tailId !== undefined && compareEventIds(recordId(record), this.#tailId) <= 0) {
      // The overlap between replay and live, or an event a store delivered twice.
      return
    }
    if (this.#queue.length - this.#queueHead >= this.#maxQueue) {
      this.#fail(overflowError(this.#stream, this.#maxQueue, this.#tailCursor()))
      return
    }
    if (this.#queue === NO_QUEUE) this.#queue = []
    this.#queue.push(record)
    this.#tailId = recordId(record)
    this.#tailEpoch = record.epoch
    if (record.terminal) {
      this.#detach()
      return
    }
    this.#wake()
  }

  /**
   * Tells a gap: at once when nothing was yielded or queued yet, otherwise just before the next
   * event queued is yielded. Without `onGap`, the subscription fails with `cursor_expired` after
   * the events already queued. Returns whether the subscription goes on.
   */
  #signalGap(gap: GapInfo): boolean {
    this.#metrics?.gap(this.#stream, gap)
    if (this.#onGap === undefined) {
      const stream = this.#stream
      this.#fail(
        new RunstreamError(
          'cursor_expired',
          `Cursor "${gap.lastEventId}" of stream "${stream}" ${describeGap(gap)}. Events were lost for this subscriber: resubscribe without a cursor, or pass onGap to continue from what is held.`,
          { details: { ...gap, stream } },
        ),
      )
      return false
    }
    const pending = this.#queue.length - this.#queueHead
    if (this.#taken === 0 && pending === 0) this.#tellGap(gap)
    else {
      if (this.#gaps === NO_GAPS) this.#gaps = []
      this.#gaps.push({ at: this.#taken + pending, gap })
    }
    return !this.#isDone()
  }

  #tellGap(gap: GapInfo): void {
    try {
      const onGap = this.#onGap
      if (typeof onGap === 'function') onGap(gap)
      else onGap?.gap(gap)
    } catch (error) {
      // A throwing onGap ends the subscription, after the events already queued.
      this.#fail(error)
    }
  }

  #fail(error: unknown): void {
    if (this.#isDone()) return
    if (isRunstreamError(error, 'subscriber_overflow'))
      this.#metrics?.cutOff(this.#stream, 'events')
    this.#failure = error
    this.#detach()
  }

  // Ends the subscription: stops the replay and live delivery, then wakes the consumer.
  #detach(): void {
    this.#state = 'done'
    this.#early = NO_EARLY
    const resume = this.#replayWaiter
    this.#replayWaiter = undefined
    resume?.()
    this.#signal?.removeEventListener('abort', this.close)
    // No longer counted among the burst's holders: the hub tells every event to what it keeps.
    if (this.#counted) {
      this.#counted = false
      ;(this.#shared as LiveBurst).holders--
    }
    if (this.#joined) {
      this.#joined = false
      this.#hub.leave(this)
    }
    const waiter = this.#waiter
    if (waiter === undefined) return
    this.#waiter = undefined
    if (typeof waiter !== 'function') this.#hub.defer(waiter)
    else (waiter as (result: unknown) => void)(this.#next())
  }

  // A method, not a comparison, because awaits in between can change the state.
  #isDone(): boolean {
    return this.#state === 'done'
  }
}

type Yielded = EventRecord | Envelope

// The last cursor made, shared: the subscribers of a stream that take a burst each publish the
// same cursor, which is then one string for all of them, not one each per burst.
let lastCursorEpoch: string | undefined
let lastCursorId: string | undefined
let lastCursor: string | undefined

function sharedCursor(epoch: string | undefined, id: string | undefined): string | undefined {
  if (id !== lastCursorId || epoch !== lastCursorEpoch) {
    lastCursorEpoch = epoch
    lastCursorId = id
    lastCursor = cursorOf(epoch, id)
  }
  return lastCursor
}

interface BoundMethods {
  readonly next: () => Promise<IteratorResult<Yielded>>
  readonly return: () => Promise<IteratorResult<Yielded>>
  readonly close: () => void
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true })
const NO_RECORDS: readonly EventRecord[] = Object.freeze([])

// The error of a subscriber that fell more than `maxQueue` events behind. At module level: a
// function declared inside the subscription would be one more object per subscriber.
function overflowError(stream: string, maxQueue: number, tail: string | undefined): RunstreamError {
  return new RunstreamError(
    'subscriber_overflow',
    `Subscriber of stream "${stream}" fell more than ${maxQueue} events behind (maxQueuedEvents) and was ended. Resubscribe with lastEventId: "${tail ?? '0'}" to resume from the store.`,
    { details: { stream, lastEventId: tail, maxQueuedEvents: maxQueue } },
  )
}
