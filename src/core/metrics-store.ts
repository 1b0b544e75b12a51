import type { MetricsRecorder } from './metrics.js'
import type { EventStore, ReadResult, StoreListener, Unlisten } from './store.js'

/**
 * The store as a manager's hubs and subscriptions see it: the same store, whose failed reads and
 * live registrations count as store failures. Appends do not go through it: the manager counts
 * those where it learns their outcome.
 */
export function countingStore(store: EventStore, metrics: MetricsRecorder): EventStore {
  return {
    append: (draft) => store.append(draft),
    read(stream, options) {
      let result: ReadResult | Promise<ReadResult>
      try {
        result = store.read(stream, options)
      } catch (error) {
        metrics.storeFailed('read', error)
        throw error
      }
      if (!isPromise(result)) return result
      return result.catch((error: unknown) => {
        metrics.storeFailed('read', error)
        throw error
      })
    },
    listen(stream, listener) {
      // One wrapper per stream followed (the hub's single registration), not per subscriber.
      const counted: StoreListener = {
        event: (record) => listener.event(record),
        error(error) {
          metrics.storeFailed('listen', error)
          listener.error?.(error)
        },
      }
      let registered: Unlisten | Promise<Unlisten>
      try {
        registered = store.listen(stream, counted)
      } catch (error) {
        metrics.storeFailed('listen', error)
        throw error
      }
      if (!isPromise(registered)) return registered
      return registered.catch((error: unknown) => {
        metrics.storeFailed('listen', error)
        throw error
      })
    },
  }
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function'
}
