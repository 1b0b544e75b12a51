/**
 * The buffer between the connection and one `for await` consumer. Pull-based: while it holds
 * `maxQueued` events the connection stops reading (see {@link EventQueue.drained}), so a slow
 * consumer slows the TCP stream instead of growing memory.
 */
export interface EventQueue<T> {
  /** Adds an event for the consumer. Ignored after {@link EventQueue.end}. */
  push(value: T): void
  /**
   * Calls `callback` once the consumer has taken every event queued now: at once when none is.
   * So a report about the stream (a gap) reaches the app after the events before it.
   */
  mark(callback: () => void): void
  /** No more events: the consumer gets what is queued, then `done`, or `error` thrown. */
  end(error?: unknown): void
  /** Whether the connection should wait for the consumer before reading more. */
  readonly full: boolean
  /** Resolves when the consumer has taken enough (or the queue ended, or {@link EventQueue.wake} ran). */
  drained(): Promise<void>
  /** Lets a connection waiting in `drained()` go on, though the queue may still be full. */
  wake(): void
  /** The consumer's side. `return()` (a `break`) calls `onReturn`. */
  readonly iterator: AsyncIterableIterator<T>
}

/** Creates an {@link EventQueue}. */
export function createEventQueue<T extends object>(
  maxQueued: number,
  onReturn: () => void,
): EventQueue<T> {
  // A list read from `head` and written at `tail`: `shift()` copies the whole array each time
  // once it is long, and `push()` is a call into the engine per event where a store at an index
  // is not. Drained, it is reused from 0 (a new array would grow again). A mark is kept in the
  // list as its callback, called when the consumer reaches it: an event is an object, never a
  // function, so one typeof tells them apart (cheaper per event than an instanceof, which walks
  // the event's prototype chain).
  let items: (T | (() => void) | undefined)[] = []
  let head = 0
  let tail = 0
  let ended = false
  let failure: unknown
  // At most one side waits at a time: the consumer for an event, or the connection for room.
  let consumer: ((result: IteratorResult<T> | Promise<IteratorResult<T>>) => void) | undefined
  let producer: (() => void) | undefined

  // Hand-written rather than an async generator: one promise per event instead of three.
  const iterator: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => iterator,
    next() {
      while (typeof items[head] === 'function') {
        const mark = items[head] as () => void
        items[head++] = undefined
        mark()
      }
      if (head < tail) {
        const value = items[head] as T
        items[head++] = undefined
        if (head === tail) head = tail = 0
        else if (head >= COMPACT_AT && head * 2 >= tail) {
          items = items.slice(head, tail)
          tail -= head
          head = 0
        }
        if (producer !== undefined && tail - head < maxQueued) release()
        return Promise.resolve({ value, done: false })
      }
      if (ended) {
        // The error is thrown once; after it the iterator is done, as a generator would be.
        const error = failure
        failure = undefined
        return error === undefined ? done : Promise.reject(error)
      }
      return new Promise((resolve) => (consumer = resolve))
    },
    return() {
      items = []
      head = tail = 0
      end()
      failure = undefined
      onReturn()
      return done
    },
  }
  const end = (error?: unknown) => {
    if (ended) return
    ended = true
    failure = error
    release()
    if (consumer) {
      const resolve = consumer
      consumer = undefined
      resolve(iterator.next())
    }
  }

  return {
    iterator,
    end,
    wake: release,
    get full() {
      return tail - head >= maxQueued
    },
    push(value) {
      if (ended) return
      if (consumer) {
        const resolve = consumer
        consumer = undefined
        resolve({ value, done: false })
      } else items[tail++] = value
    },
    mark(callback) {
      if (head < tail) items[tail++] = callback
      else callback()
    },
    drained() {
      return ended || tail - head < maxQueued
        ? Promise.resolve()
        : new Promise<void>((resolve) => (producer = resolve))
    },
  }

  function release(): void {
    producer?.()
    producer = undefined
  }
}

// Past this many taken events, the list is cut down to what is left (when that is at most half).
const COMPACT_AT = 1024

const done: Promise<IteratorResult<never>> = Promise.resolve({ value: undefined, done: true })
