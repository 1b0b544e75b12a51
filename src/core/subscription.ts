import { compareEventIds, type Envelope, type EventRecord, parseEventId } from './envelope.js'
import { RunstreamError } from './errors.js'
import type { EventStore, Unlisten } from './store.js'

/** Options of `manager.subscribe()`. */
export interface SubscribeOptions {
  /** The stream to follow, such as `workflow:exec_42`. */
  stream: string
  /**
   * Start after this event id (a `Last-Event-ID`): what the store holds after it is replayed
   * first, then live events follow with no gap and no duplicate. Leave out to replay everything
   * the store holds; `"0"` means the same.
   */
  after?: string | undefined
  /** Ends the subscription when aborted. */
  signal?: AbortSignal | undefined
  /**
   * Called when `after` is older than what the store still holds, or unknown to it. When given,
   * the subscription goes on from the oldest held event; when left out, iteration throws a
   * `RunstreamError` with code `cursor_expired`.
   */
  onGap?: ((gap: GapInfo) => void) | undefined
  /**
   * How many events may wait for this subscriber. Past it, the subscriber is ended with a
   * `subscriber_overflow` error carrying the last id it received, so it can resume from the store.
   * @defaultValue the manager's `maxSubscriberQueue` (10_000)
   */
  maxQueue?: number | undefined
}

/** What {@link SubscribeOptions.onGap} is told. */
export interface GapInfo {
  /** `expired`: events after the cursor were dropped by retention; `unknown`: the store does not know the cursor (it is ahead of the stream, or the stream is gone). */
  reason: 'expired' | 'unknown'
  /** The cursor that was asked for. */
  after: string
  /** The oldest id the store still holds, if any. */
  firstId: string | undefined
  /** The newest id of the stream, if any. */
  lastId: string | undefined
}

/**
 * A live subscription: an async iterator of event records. `break` in a `for await` loop, or
 * `return()`, ends it and releases everything it held.
 */
export interface Subscription<E extends Envelope = Envelope>
  extends AsyncIterableIterator<EventRecord<E>> {
  /** The id of the last event this subscription yielded. */
  readonly lastId: string | undefined
  /** Ends the subscription; pending `next()` calls resolve as done. */
  close(): void
  /**
   * Takes every record already queued, without waiting (an empty array when none is), exactly as
   * that many `next()` calls would. A consumer that awaits `next()` once and then takes the rest
   * handles a burst of events in one turn instead of one `await` per event.
   */
  takeQueued(): EventRecord<E>[]
}

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

/** A subscriber as a hub sees it. */
export interface LiveSink {
  push(record: EventRecord): void
  fail(error: unknown): void
}

/** Creates the hub of one stream. `onEmpty` is called when its last subscriber leaves. */
export function createHub(store: EventStore, stream: string, onEmpty: () => void): Hub {
  const sinks = new Set<LiveSink>()
  let unlisten: Unlisten | undefined
  let starting: Promise<void> | undefined

  const listener = {
    event(record: EventRecord) {
      for (const sink of sinks) sink.push(record)
    },
    error(error: unknown) {
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

  function release(): void {
    const stop = unlisten
    unlisten = undefined
    starting = undefined
    stop?.()
    onEmpty()
  }
}

type State = 'replaying' | 'live' | 'done'

/**
 * Creates one subscriber: it joins the hub first, then replays from the store, then drains what
 * arrived live meanwhile, so the seam between replay and live has no gap and no duplicate.
 */
export function createSubscription(
  store: EventStore,
  hub: Hub,
  options: SubscribeOptions,
  maxQueue: number,
  pageSize: number,
  owners?: Set<Subscription>,
): Subscription {
  const { stream, signal } = options
  if (options.after !== undefined && parseEventId(options.after) === undefined) {
    throw new RunstreamError(
      'invalid_cursor',
      `Invalid cursor "${options.after.slice(0, 40)}": an event id is a decimal number such as "42". Pass the id of the last event received.`,
      { details: { after: options.after.slice(0, 40) } },
    )
  }

  let state: State = 'replaying'
  let lastId = options.after === '0' ? undefined : options.after
  const queue: EventRecord[] = []
  let queueHead = 0
  // Live events that arrived while replaying. Bounded: past maxQueue they are dropped and the
  // store is read once more, since it holds them too.
  let early: EventRecord[] = []
  let earlyDropped = false
  let failure: unknown
  // The consumer waiting in next(): once woken, it gets whatever next() says then.
  let waiter:
    | ((result: IteratorResult<EventRecord> | Promise<IteratorResult<EventRecord>>) => void)
    | undefined
  // The replay, waiting for the subscriber to take enough of its queue for the next page.
  let replayWaiter: (() => void) | undefined
  const pageLimit = Math.max(1, Math.min(pageSize, maxQueue))
  // Whether the hub counts this subscriber, which then leaves it once done.
  let joined = false
  let finished = false

  const sink: LiveSink = {
    push(record) {
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
            details: { stream, lastId },
          },
        ),
      )
    },
  }

  // `lastId` is a data property kept equal to the variable, not a getter: an object literal with
  // a getter of its own is kept in V8's slow dictionary mode, a cost paid per subscriber.
  const subscription: Subscription & { lastId: string | undefined } = {
    lastId,
    [Symbol.asyncIterator]: returnThis,
    // Not async functions: an idle subscriber then waits on one promise and one callback, with no
    // suspended function (and its own promises) kept alive behind them, per subscriber.
    next() {
      // Not after the whole replay: the replay waits for this consumer to take its pages.
      if (queueHead < queue.length) return Promise.resolve({ value: take(), done: false })
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
        waiter = resolve
      })
    },
    return() {
      close()
      return Promise.resolve(DONE)
    },
    close,
    takeQueued() {
      const taken: EventRecord[] = []
      while (queueHead < queue.length) taken.push(take())
      return taken
    },
  }
  signal?.addEventListener('abort', close, { once: true })
  if (signal?.aborted) close()
  if (!isDone()) void start(options.after, options.onGap)
  return subscription

  // Takes the head of the queue; only called when it is not empty.
  function take(): EventRecord {
    const record = queue[queueHead] as EventRecord
    queue[queueHead++] = undefined as unknown as EventRecord
    if (queueHead > 1024 && queueHead * 2 > queue.length) {
      queue.splice(0, queueHead)
      queueHead = 0
    }
    lastId = record.envelope.id
    subscription.lastId = lastId
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
    return record
  }

  /**
   * Joins the hub, then replays. It runs once: the functions and options only it uses live in its
   * own scope, freed when it ends, rather than in the subscriber's, kept as long as it lives.
   */
  async function start(
    cursor: string | undefined,
    onGap: SubscribeOptions['onGap'],
  ): Promise<void> {
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
        const after = lastIdForRead()
        const page = await store.read(stream, { after, limit: pageLimit })
        if (isDone()) return
        if (first) {
          first = false
          const gap = detectGap(cursor, page.firstId, page.lastId)
          if (gap !== undefined) {
            if (onGap === undefined) {
              throw new RunstreamError(
                'cursor_expired',
                `Cursor "${gap.after}" of stream "${stream}" is ${gap.reason === 'expired' ? `older than the oldest event still held ("${gap.firstId}")` : 'unknown to the store'}. Events were lost for this subscriber: resubscribe without a cursor, or pass onGap to continue from what is held.`,
                { details: { ...gap, stream } },
              )
            }
            onGap(gap)
            // Go on from the oldest event still held.
            lastId = undefined
            subscription.lastId = undefined
            continue
          }
        } else if (after !== undefined && lostSince(after, page.firstId)) {
          // Retention dropped events this replay had not read yet: the subscriber is too far
          // behind. It resumes from its last id, and is then told of the gap.
          throw new RunstreamError(
            'subscriber_overflow',
            `Subscriber of stream "${stream}" fell behind the store's retention while replaying and was ended. Resubscribe with after: "${after ?? '0'}".`,
            { details: { stream, lastId: after, firstId: page.firstId, maxQueue } },
          )
        }
        for (const record of page.events) enqueue(record)
        if (isDone()) return
        if (!page.hasMore) {
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
      const tail = lastIdForRead()
      let fresh = 0
      for (const record of records) {
        if (tail === undefined || compareEventIds(record.envelope.id, tail) > 0) fresh++
      }
      return queue.length - queueHead + fresh <= maxQueue
    }
  }

  function lastIdForRead(): string | undefined {
    const tail = queue.length > queueHead ? queue[queue.length - 1]?.envelope.id : undefined
    return tail ?? lastId
  }

  function enqueue(record: EventRecord): void {
    if (isDone()) return
    // Drops the overlap between replay and live, and anything a store delivers twice.
    const tail = lastIdForRead()
    if (tail !== undefined && compareEventIds(record.envelope.id, tail) <= 0) return
    if (queue.length - queueHead >= maxQueue) {
      fail(
        new RunstreamError(
          'subscriber_overflow',
          `Subscriber of stream "${stream}" fell more than ${maxQueue} events behind and was ended. Resubscribe with after: "${tail ?? '0'}" to resume from the store.`,
          { details: { stream, lastId: tail, maxQueue } },
        ),
      )
      return
    }
    queue.push(record)
    if (record.terminal) {
      detach()
      return
    }
    const resolve = waiter
    waiter = undefined
    // The record itself, not next()'s promise for it: resolving with a promise costs two turns.
    resolve?.({ value: take(), done: false })
  }

  function fail(error: unknown): void {
    if (isDone()) return
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
    if (joined) {
      joined = false
      hub.leave(sink)
    }
    const resolve = waiter
    waiter = undefined
    resolve?.(queueHead < queue.length ? { value: take(), done: false } : subscription.next())
  }

  function close(): void {
    owners?.delete(subscription)
    if (!finished) {
      // Closing drops what was queued but not taken.
      queue.length = 0
      queueHead = 0
    }
    detach()
  }

  // A function, not a comparison, because awaits in between can change the state.
  function isDone(): boolean {
    return state === 'done'
  }
}

// The async iterator of a subscription is the subscription itself: shared, not one closure each.
function returnThis<T>(this: T): T {
  return this
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true })

// Whether the store no longer holds the event right after `after`.
function lostSince(after: string, firstId: string | undefined): boolean {
  if (firstId === undefined) return false
  return (parseEventId(firstId) ?? 0) > (parseEventId(after) ?? 0) + 1
}

// Whether the cursor `after` is older than what the store holds, or unknown to it.
function detectGap(
  after: string | undefined,
  firstId: string | undefined,
  newest: string | undefined,
): GapInfo | undefined {
  if (after === undefined || after === '0') return undefined
  const cursor = parseEventId(after) ?? 0
  if (newest === undefined || cursor > (parseEventId(newest) ?? 0)) {
    return { reason: 'unknown', after, firstId, lastId: newest }
  }
  if (firstId !== undefined && (parseEventId(firstId) ?? 0) > cursor + 1) {
    return { reason: 'expired', after, firstId, lastId: newest }
  }
  return undefined
}
