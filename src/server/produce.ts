import type { AnyCatalog } from '../core/catalog.js'
import { RunstreamError } from '../core/errors.js'
import type { StreamHandle } from '../core/manager.js'

/**
 * What an Observable is to runstream: anything with `subscribe({ next, error, complete })` that
 * returns something to `unsubscribe()` (RxJS, AG-UI's agents, zen-observable). runstream does not
 * depend on RxJS.
 */
export interface Subscribable<T> {
  /** Starts the flow of values to `observer`. */
  subscribe(observer: {
    next: (value: T) => void
    error: (error: unknown) => void
    complete: () => void
  }): { unsubscribe(): void }
}

/**
 * Where a producer's events come from: an async iterable (an `async function*`), a
 * `ReadableStream` (the AI SDK's `toUIMessageStream()`), or an Observable.
 */
export type EventSource<T> = AsyncIterable<T> | ReadableStream<T> | Subscribable<T>

/** How {@link drain} ended: the source ended, `take` stopped it, or it failed. */
export type DrainOutcome =
  | { readonly kind: 'ended' }
  | { readonly kind: 'stopped' }
  | { readonly kind: 'failed'; readonly error: unknown }

/**
 * Feeds every value of `source` to `take`, in order, until `take` returns `false` (the source is
 * then closed: its iterator returned, its reader cancelled, its subscription ended), the source
 * ends, or it fails. Never rejects: a failure, `take`'s own throw included, is the outcome.
 */
export async function drain<T>(
  source: EventSource<T>,
  take: (value: T) => boolean,
): Promise<DrainOutcome> {
  try {
    if (isReadableStream(source)) return await drainReader(source.getReader(), take)
    if (isAsyncIterable(source)) return await drainIterator(source[Symbol.asyncIterator](), take)
    return await drainSubscribable(source, take)
  } catch (error) {
    return { kind: 'failed', error }
  }
}

/** Whether `value` is a source {@link drain} reads. */
export function isEventSource(value: unknown): value is EventSource<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    (isReadableStream(value) ||
      isAsyncIterable(value) ||
      typeof (value as { subscribe?: unknown }).subscribe === 'function')
  )
}

async function drainReader<T>(
  reader: ReadableStreamDefaultReader<T>,
  take: (value: T) => boolean,
): Promise<DrainOutcome> {
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return { kind: 'ended' }
      if (!take(value)) {
        void reader.cancel().catch(() => undefined)
        return { kind: 'stopped' }
      }
    }
  } finally {
    reader.releaseLock()
  }
}

async function drainIterator<T>(
  iterator: AsyncIterator<T>,
  take: (value: T) => boolean,
): Promise<DrainOutcome> {
  for (;;) {
    const step = await iterator.next()
    if (step.done === true) return { kind: 'ended' }
    if (!take(step.value)) {
      // An async generator runs its `finally` here; its own failure there changes nothing.
      void Promise.resolve(iterator.return?.()).catch(() => undefined)
      return { kind: 'stopped' }
    }
  }
}

function drainSubscribable<T>(
  source: Subscribable<T>,
  take: (value: T) => boolean,
): Promise<DrainOutcome> {
  return new Promise((resolve) => {
    let settled = false
    let subscription: { unsubscribe(): void } | undefined
    let stopNow = false
    const settle = (outcome: DrainOutcome) => {
      if (settled) return
      settled = true
      resolve(outcome)
    }
    subscription = source.subscribe({
      next(value) {
        if (settled) return
        let go: boolean
        try {
          go = take(value)
        } catch (error) {
          go = false
          settle({ kind: 'failed', error })
        }
        if (go) return
        settle({ kind: 'stopped' })
        // A value delivered while subscribe() runs: the subscription is not known yet.
        if (subscription === undefined) stopNow = true
        else subscription.unsubscribe()
      },
      error: (error) => settle({ kind: 'failed', error }),
      complete: () => settle({ kind: 'ended' }),
    })
    if (stopNow) subscription.unsubscribe()
  })
}

// By shape, not instanceof: a stream from a polyfill or another realm is a stream too.
function isReadableStream(value: unknown): value is ReadableStream<unknown> {
  return typeof (value as { getReader?: unknown }).getReader === 'function'
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
}

/**
 * The reason a cancelled run's signal carries (`manager.cancelRun`'s), or a default for a signal
 * aborted otherwise (the manager closed).
 */
export function cancelReason(signal: AbortSignal): string {
  const reason = (signal.reason as { details?: { reason?: unknown } } | undefined)?.details?.reason
  return typeof reason === 'string' ? reason : 'The run was canceled.'
}

/** The run a protocol producer writes: its stream, its cancel signal, the manager's catalog. */
export interface ProducedRun {
  // biome-ignore lint/suspicious/noExplicitAny: a run of any catalog
  readonly stream: StreamHandle<any>
  readonly signal: AbortSignal
  readonly catalog: AnyCatalog
}

/**
 * What every protocol producer does once {@link drain} returned: nothing when the stream already
 * finished; otherwise reports a failed source (`handler_failed`, with the message `failure` makes
 * of the error's), then ends a cancelled run with the catalog's cancellation event at once.
 * @returns whether the stream is over; when not, the caller adds its protocol's terminal event
 */
export function settleRun(
  run: ProducedRun,
  outcome: DrainOutcome,
  report: (error: RunstreamError) => void,
  failure: (why: string) => string,
): boolean {
  const { stream, signal } = run
  if (stream.finished) return true
  if (outcome.kind === 'failed') {
    const why = outcome.error instanceof Error ? outcome.error.message : String(outcome.error)
    report(
      new RunstreamError('handler_failed', failure(why), {
        cause: outcome.error,
        details: { stream: stream.name },
      }),
    )
  }
  if (signal.aborted) {
    const made = run.catalog.cancel?.(cancelReason(signal))
    if (made !== undefined) stream.emit(made.type as never, made.data as never)
    return true
  }
  return false
}
