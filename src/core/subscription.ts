import type { Envelope, EventRecord } from './envelope.js'
import { isRunstreamError, RunstreamError } from './errors.js'
import { compareEventIds, parseCursor } from './event-id.js'
import { cursorOf, describeGap, detectGap, type GapInfo, lostSince } from './gap.js'
import type { LiveBurst, LiveSink } from './hub.js'
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
 * The internal method of a record subscription that the SSE connection pumps with: it resolves
 * with every record queued, in a burst that is, whenever the subscriber's queue held nothing
 * else, the very array the hub filled for every subscriber (so its frames are joined once for all
 * of them), or with an empty array once the subscription is done. It rejects as `next()` does.
 * When nothing is queued it waits, and resolves with `undefined` once something is: the caller
 * calls again, after the turn that queued it, so that it takes the turn's whole burst. Not public
 * API: a symbol, not a name.
 */
export const NEXT_BURST: unique symbol = Symbol('runstream.subscription.nextBurst')

/** A subscription as the SSE connection uses it. */
export interface BurstSubscription {
  [NEXT_BURST](): Promise<readonly EventRecord[] | undefined>
}

/**
 * Creates one subscriber: it joins the hub first, then replays from the store, then drains what
 * arrived live meanwhile, so the seam between replay and live has no gap and no duplicate.
 */
export function createSubscription(
  setup: SubscriptionSetup,
  options: SubscribeOptions,
): SubscriptionOf<EventRecord | Envelope> {
  const { store, hub, pageSize, envelopes, owners, metrics } = setup
  const maxQueue = setup.maxQueuedEvents
  const { stream, signal, onGap } = options
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

  let state: State = 'replaying'
  // The last event the consumer took (or the cursor): what `lastEventId` says.
  let lastId = parsed === undefined || parsed.id === 0 ? undefined : String(parsed.id)
  let lastEpoch = parsed?.epoch
  // The last event queued (or the cursor): where reads go on from, and what an event must follow.
  let tailId = lastId
  let tailEpoch = lastEpoch
  // Gaps found after events that are queued but not taken yet: each is told to `onGap` just before
  // the event at `at` (counted in events taken) is yielded, so that it reaches a consumer (an SSE
  // response) after every event before it.
  const gaps: { at: number; gap: GapInfo }[] = []
  let taken = 0
  const queue: EventRecord[] = []
  let queueHead = 0
  // A live burst held whole, queued after `queue` (only ever while `queue` is empty): shared with
  // the other subscribers until it is taken, copied into `queue` when anything else is needed.
  // Every record the hub appends to it is this subscriber's, so nothing is done per event: the
  // tail, the count and the bound are worked out from the burst when it is taken or copied.
  let shared: LiveBurst | undefined
  // Whether this subscriber is counted in `shared.holders` (the hub skips holders).
  let counted = false
  // Live events that arrived while replaying. Bounded: past maxQueue they are dropped and the
  // store is read once more, since it holds them too.
  let early: EventRecord[] = []
  let earlyDropped = false
  let failure: unknown
  // The consumer waiting in next(): once woken, it gets whatever next() says then.
  let waiter: ((result: never) => void) | undefined
  // Whether the waiter came from NEXT_BURST (wants a burst) or from next() (wants one event).
  let waiterWantsBurst = false
  // The replay, waiting for the subscriber to take enough of its queue for the next page.
  let replayWaiter: (() => void) | undefined
  const pageLimit = Math.max(1, Math.min(pageSize, maxQueue))
  // Whether the hub counts this subscriber, which then leaves it once done.
  let joined = false
  let finished = false

  const sink: LiveSink = {
    push(record, burst) {
      if (isDone()) return
      if (state === 'replaying') {
        if (early.length >= maxQueue) {
          early = []
          earlyDropped = true
        } else {
          early.push(record)
        }
        return
      }
      if (shared === burst) {
        // The burst held grew by this event: nothing to copy, and no one waits.
        if (record.terminal) detach()
        return
      }
      // An event that starts a burst, when nothing else waits and it is new: held as that burst.
      // The hub keeps what it appends after it new too (see LiveBurst).
      if (
        shared === undefined &&
        !burst.sealed &&
        burst.records.length === 1 &&
        queueHead === queue.length &&
        gaps.length === 0 &&
        !restarts(record) &&
        (tailId === undefined || compareEventIds(record.envelope.id, tailId) > 0)
      ) {
        shared = burst
        burst.holders++
        counted = true
        if (record.terminal) detach()
        else wake()
        return
      }
      enqueue(record)
    },
    fail(error) {
      // The hub has dropped every subscriber already.
      joined = false
      fail(
        new RunstreamError(
          'store_failed',
          `Live delivery of stream "${stream}" was interrupted. Subscribe again from the last id received.`,
          {
            cause: error,
            details: { stream, lastEventId: tailCursor() },
          },
        ),
      )
    },
  }

  // `lastEventId` is a data property kept equal to the variable, not a getter: an object literal
  // with a getter of its own is kept in V8's slow dictionary mode, a cost paid per subscriber.
  const subscription: SubscriptionOf<Yielded> & {
    lastEventId: string | undefined
  } & BurstSubscription = {
    lastEventId: cursorOf(lastEpoch, lastId),
    [Symbol.asyncIterator]: returnThis,
    // Not async functions: an idle subscriber then waits on one promise and one callback, with no
    // suspended function (and its own promises) kept alive behind them, per subscriber.
    next() {
      unshare()
      // Not after the whole replay: the replay waits for this consumer to take its pages.
      if (queueHead < queue.length) return Promise.resolve(takeOne())
      if (failure !== undefined) {
        const error = failure
        failure = undefined
        owners?.delete(subscription)
        return Promise.reject(error)
      }
      if (isDone()) {
        owners?.delete(subscription)
        return Promise.resolve(DONE)
      }
      // Woken by an event, a failure or the end: the answer is whatever next() says then.
      return new Promise((resolve) => {
        waiter = resolve as (result: never) => void
        waiterWantsBurst = false
      })
    },
    [NEXT_BURST]: nextBurst,
    return() {
      close()
      return Promise.resolve(DONE)
    },
    close,
    takeQueued() {
      unshare()
      const batch: Yielded[] = []
      // Stops before an event that follows a gap: `next()` tells the gap, once the consumer has
      // handled the events before it.
      while (queueHead < queue.length && (batch.length === 0 || gaps[0]?.at !== taken)) {
        batch.push(take())
      }
      publishCursor()
      return batch
    },
  }
  signal?.addEventListener('abort', close, { once: true })
  if (signal?.aborted) close()
  if (!isDone()) void start()
  return subscription

  // Every function declared in here is one more object per subscriber: the burst path keeps to
  // few of them.
  function nextBurst(): Promise<readonly EventRecord[] | undefined> {
    const burst = shared
    if (
      burst !== undefined &&
      queueHead === queue.length &&
      gaps.length === 0 &&
      burst.records.length <= maxQueue
    ) {
      // The burst held is all there is: taken as it is, shared. It must not grow any more: the
      // hub starts another for the next event.
      burst.sealed = true
      if (counted) {
        counted = false
        burst.holders--
      }
      shared = undefined
      const records = burst.records
      const last = records[records.length - 1] as EventRecord
      tailId = last.envelope.id
      tailEpoch = last.epoch
      taken += records.length
      lastId = last.envelope.id
      lastEpoch = last.epoch
      if (last.terminal) {
        finished = true
        close()
      }
      publishCursor()
      return Promise.resolve(records)
    }
    if (burst !== undefined || queueHead < queue.length) {
      return Promise.resolve(subscription.takeQueued() as EventRecord[])
    }
    if (failure !== undefined || isDone()) {
      return (subscription.next() as Promise<IteratorResult<EventRecord>>).then((result) =>
        result.done === true
          ? NO_RECORDS
          : [result.value, ...(subscription.takeQueued() as EventRecord[])],
      )
    }
    // Woken with nothing: the caller takes once the waker's turn is over, so a burst the hub is
    // still filling is taken whole. (No promise chained here: one less per idle connection.)
    return new Promise<undefined>((resolve) => {
      waiter = resolve as (result: never) => void
      waiterWantsBurst = true
    })
  }

  // Copies the held burst into the queue, for whatever takes or counts events one by one. Past
  // maxQueuedEvents, the subscriber is ended as too slow, as if the events had come one by one.
  function unshare(): void {
    const burst = shared
    if (burst === undefined) return
    if (counted) {
      counted = false
      burst.holders--
    }
    shared = undefined
    const records = burst.records
    const count = Math.min(records.length, maxQueue)
    for (let i = 0; i < count; i++) queue.push(records[i] as EventRecord)
    const last = records[count - 1] as EventRecord
    tailId = last.envelope.id
    tailEpoch = last.epoch
    if (records.length > maxQueue) fail(overflowError(stream, maxQueue, tailCursor()))
  }

  // Tells the consumer waiting that something is queued (or that the subscription ended).
  function wake(): void {
    const resolve = waiter as ((result: unknown) => void) | undefined
    if (resolve === undefined) return
    waiter = undefined
    if (waiterWantsBurst) resolve(undefined)
    else {
      unshare()
      // The value itself, not next()'s promise for it: resolving with a promise costs two turns.
      resolve(takeOne())
    }
  }

  // Takes the head of the queue and says so in `lastEventId`; only called when it is not empty.
  function takeOne(): IteratorYieldResult<Yielded> {
    const value = take()
    publishCursor()
    return { value, done: false }
  }

  // Once per call of next() or takeQueued(), not per event: a qualified cursor is a new string.
  function publishCursor(): void {
    subscription.lastEventId = cursorOf(lastEpoch, lastId)
  }

  // Takes the head of the queue; only called when it is not empty. The caller publishes the cursor.
  function take(): Yielded {
    const record = queue[queueHead] as EventRecord
    if (gaps[0]?.at === taken) tellGap((gaps.shift() as { gap: GapInfo }).gap)
    queue[queueHead++] = undefined as unknown as EventRecord
    if (queueHead > 1024 && queueHead * 2 > queue.length) {
      queue.splice(0, queueHead)
      queueHead = 0
    }
    taken++
    lastId = record.envelope.id
    lastEpoch = record.epoch
    if (record.terminal) {
      finished = true
      close()
    }
    // The replay waits for room for one more page.
    if (replayWaiter !== undefined && queue.length - queueHead + pageLimit <= maxQueue) {
      const resume = replayWaiter
      replayWaiter = undefined
      resume()
    }
    return envelopes ? record.envelope : record
  }

  /**
   * Joins the hub, then replays. It runs once: the functions only it uses live in its own scope,
   * freed when it ends, rather than in the subscriber's, kept as long as it lives.
   */
  async function start(): Promise<void> {
    try {
      await hub.join(sink)
      if (isDone()) {
        hub.leave(sink)
        return
      }
      joined = true
      await replay()
    } catch (error) {
      fail(error)
    }

    async function replay(): Promise<void> {
      let first = true
      for (;;) {
        // The replay goes no faster than the subscriber takes: a long backlog waits in the store,
        // not in this queue, so a reader that keeps up is never ended as too slow.
        while (queue.length - queueHead + pageLimit > maxQueue) {
          await new Promise<void>((resolve) => {
            replayWaiter = resolve
          })
          if (isDone()) return
        }
        const after = tailCursor()
        const page = await store.read(stream, { lastEventId: after, limit: pageLimit })
        if (isDone()) return
        const gap = detectGap(after, page)
        if (gap !== undefined && (first || gap.reason === 'restarted')) {
          first = false
          if (!signalGap(gap)) return
          // Go on from the oldest event still held (of the new incarnation).
          tailId = tailEpoch = undefined
          if (taken === 0) {
            lastId = lastEpoch = undefined
            subscription.lastEventId = undefined
          }
          continue
        }
        if (first) {
          first = false
          // A plain cursor means an id of the incarnation the store holds now: from here on, an
          // event of another incarnation is a restart.
          if (tailEpoch === undefined && tailId !== undefined && page.epoch !== undefined) {
            tailEpoch = page.epoch
            if (taken === 0) {
              lastEpoch = page.epoch
              subscription.lastEventId = cursorOf(lastEpoch, lastId)
            }
          }
        } else if (tailId !== undefined && lostSince(Number(tailId), page.firstId, page.lastId)) {
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
        metrics?.replayed(stream, page.events.length)
        for (const record of page.events) enqueue(record)
        if (isDone()) return
        if (!page.hasMore) {
          if (page.finished && page.events.length === 0) {
            // The cursor is at the end of a finished stream: nothing will ever follow it.
            finished = true
            detach()
            return
          }
          // Live events that would overfill the queue are read from the store instead, once the
          // subscriber has taken enough: only a subscriber behind the live stream itself is ended.
          if (!earlyDropped && fits(early)) break
          earlyDropped = false
          early = []
        }
      }
      const pending = early
      early = []
      if (isDone()) return
      state = 'live'
      for (const record of pending) enqueue(record)
    }

    // Whether the records not queued yet among `records` fit in the queue.
    function fits(records: readonly EventRecord[]): boolean {
      let fresh = 0
      for (const record of records) {
        if (
          restarts(record) ||
          tailId === undefined ||
          compareEventIds(record.envelope.id, tailId) > 0
        )
          fresh++
      }
      return queue.length - queueHead + fresh <= maxQueue
    }
  }

  // The cursor after the last queued event (or the given cursor): where the next read starts.
  function tailCursor(): string | undefined {
    const burst = shared
    if (burst !== undefined) {
      // Holding a burst: its last event is the tail.
      const last = burst.records[burst.records.length - 1] as EventRecord
      return cursorOf(last.epoch, last.envelope.id)
    }
    return cursorOf(tailEpoch, tailId)
  }

  // Whether `record` belongs to another incarnation of the stream than the last one queued.
  function restarts(record: EventRecord): boolean {
    return record.epoch !== undefined && tailEpoch !== undefined && record.epoch !== tailEpoch
  }

  function enqueue(record: EventRecord): void {
    if (isDone()) return
    unshare()
    if (isDone()) return
    if (restarts(record)) {
      // The store started the stream over while this subscriber followed it: its ids begin
      // again, and none of them is a duplicate of what came before.
      const id = record.envelope.id
      if (
        !signalGap({
          reason: 'restarted',
          lastEventId: tailCursor() ?? '0',
          firstId: id,
          lastId: id,
        })
      ) {
        return
      }
    } else if (tailId !== undefined && compareEventIds(record.envelope.id, tailId) <= 0) {
      // The overlap between replay and live, or an event a store delivered twice.
      return
    }
    if (queue.length - queueHead >= maxQueue) {
      fail(overflowError(stream, maxQueue, tailCursor()))
      return
    }
    queue.push(record)
    tailId = record.envelope.id
    tailEpoch = record.epoch
    if (record.terminal) {
      detach()
      return
    }
    wake()
  }

  /**
   * Tells a gap: at once when nothing was yielded or queued yet, otherwise just before the next
   * event queued is yielded. Without `onGap`, the subscription fails with `cursor_expired` after
   * the events already queued. Returns whether the subscription goes on.
   */
  function signalGap(gap: GapInfo): boolean {
    metrics?.gap(stream, gap)
    if (onGap === undefined) {
      fail(
        new RunstreamError(
          'cursor_expired',
          `Cursor "${gap.lastEventId}" of stream "${stream}" ${describeGap(gap)}. Events were lost for this subscriber: resubscribe without a cursor, or pass onGap to continue from what is held.`,
          { details: { ...gap, stream } },
        ),
      )
      return false
    }
    const pending = queue.length - queueHead
    if (taken === 0 && pending === 0) tellGap(gap)
    else gaps.push({ at: taken + pending, gap })
    return !isDone()
  }

  function tellGap(gap: GapInfo): void {
    try {
      onGap?.(gap)
    } catch (error) {
      // A throwing onGap ends the subscription, after the events already queued.
      fail(error)
    }
  }

  function fail(error: unknown): void {
    if (isDone()) return
    if (isRunstreamError(error, 'subscriber_overflow')) metrics?.cutOff(stream, 'events')
    failure = error
    detach()
  }

  // Ends the subscription: stops the replay and live delivery, then wakes the consumer.
  function detach(): void {
    state = 'done'
    early = []
    const resume = replayWaiter
    replayWaiter = undefined
    resume?.()
    signal?.removeEventListener('abort', close)
    // No longer counted among the burst's holders: the hub tells every event to what it keeps.
    if (counted) {
      counted = false
      ;(shared as LiveBurst).holders--
    }
    if (joined) {
      joined = false
      hub.leave(sink)
    }
    const resolve = waiter as ((result: unknown) => void) | undefined
    if (resolve === undefined) return
    waiter = undefined
    resolve(waiterWantsBurst ? undefined : subscription.next())
  }

  function close(): void {
    owners?.delete(subscription)
    if (!finished) {
      // Closing drops what was queued but not taken.
      queue.length = 0
      queueHead = 0
      if (counted) {
        counted = false
        ;(shared as LiveBurst).holders--
      }
      shared = undefined
    }
    detach()
  }

  // A function, not a comparison, because awaits in between can change the state.
  function isDone(): boolean {
    return state === 'done'
  }
}

type Yielded = EventRecord | Envelope

// The async iterator of a subscription is the subscription itself: shared, not one closure each.
function returnThis<T>(this: T): T {
  return this
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
