import type { EventRecord } from './envelope.js'
import type { EventStore, Unlisten } from './store.js'

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
