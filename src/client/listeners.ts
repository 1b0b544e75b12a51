import type { StreamEvent } from './events.js'

/** The `on()` handlers of a subscription: see {@link createListeners}. */
export interface Listeners {
  /** How many event names (and `'*'`) have handlers. */
  size: number
  /** Adds a handler for `type` (`'*'`: every event); returns the function that removes it. */
  add(type: string, handler: (event: StreamEvent) => void): () => void
  /** Runs the handlers of the event's type, then those of `'*'`. */
  dispatch(event: StreamEvent): void
}

/**
 * The `on()` handlers by event name. Each list is replaced, never changed in place, so a dispatch
 * runs the handlers there were when it began, without copying them per event. A handler that
 * throws does not stop the others or the stream: its error is rethrown asynchronously, as
 * `EventTarget` does.
 */
export function createListeners(): Listeners {
  const byType = new Map<string, ((event: StreamEvent) => void)[]>()
  // A field kept up to date, not a getter: it is read for every event.
  const listeners: Listeners = {
    size: 0,
    add(type, handler) {
      // No rest arguments here: this runs for every event a handler gets.
      const call = (event: StreamEvent) => {
        try {
          handler(event)
        } catch (error) {
          rethrow(error)
        }
      }
      byType.set(type, [...(byType.get(type) ?? []), call])
      listeners.size = byType.size
      return () => {
        const rest = byType.get(type)?.filter((other) => other !== call) ?? []
        if (rest.length > 0) byType.set(type, rest)
        else byType.delete(type)
        listeners.size = byType.size
      }
    },
    dispatch(event) {
      for (const call of byType.get(event.type) ?? NONE) call(event)
      for (const call of byType.get('*') ?? NONE) call(event)
    },
  }
  return listeners
}

/** Like `EventTarget`: a callback that throws is reported, and neither stops the stream nor is swallowed. */
export function safely<A extends unknown[]>(callback: (...args: A) => void, ...args: A): void {
  try {
    callback(...args)
  } catch (error) {
    rethrow(error)
  }
}

function rethrow(error: unknown): void {
  queueMicrotask(() => {
    throw error
  })
}

const NONE: readonly never[] = []
