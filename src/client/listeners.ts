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
  const byType = new Map<string, Handler[]>()
  // Events come in runs of one type: the handlers of the last type, and those of '*', are kept
  // at hand, so an event of the run costs a string comparison instead of two hash lookups. Both
  // are read again whenever a handler is added or removed.
  let lastType: string | undefined
  let lastCalls: readonly Handler[] = NONE
  let anyCalls: readonly Handler[] = NONE
  const changed = () => {
    listeners.size = byType.size
    lastType = undefined
    anyCalls = byType.get('*') ?? NONE
  }
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
      changed()
      return () => {
        const rest = byType.get(type)?.filter((other) => other !== call) ?? []
        if (rest.length > 0) byType.set(type, rest)
        else byType.delete(type)
        changed()
      }
    },
    dispatch(event) {
      const type = event.type
      if (type !== lastType) {
        lastCalls = byType.get(type) ?? NONE
        lastType = type
      }
      // The lists of when the dispatch began: a handler that adds or removes one changes them
      // for the next event.
      const calls = lastCalls
      const any = anyCalls
      for (let i = 0; i < calls.length; i++) (calls[i] as Handler)(event)
      for (let i = 0; i < any.length; i++) (any[i] as Handler)(event)
    },
  }
  return listeners
}

type Handler = (event: StreamEvent) => void

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
