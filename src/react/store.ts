/**
 * The connections the hooks share, by key. Several hooks with one key share one connection; the
 * last to let go closes it, one task later, so that React's StrictMode (which unsubscribes and
 * subscribes again at once) and a component that moves in the tree keep their connection
 * instead of opening a second one. No React here: the store is plain state plus listeners.
 */

/** What an opener gets: the latest options the hooks rendered with, and where to publish. */
export interface Link<S, O> {
  /** The options of the hook that rendered last with this key (callbacks are read from here). */
  readonly options: O
  /** Replaces the snapshot and tells every subscribed hook. */
  publish(snapshot: S): void
}

/** Opens a connection for one key; returns the function that closes it. */
export type Opener<S, O> = (link: Link<S, O>) => () => void

/** The shared connections of every hook: one per key. */
export interface ConnectionStore {
  /** The latest snapshot of `key`, or `undefined` before its first publish (or with no connection). */
  snapshot<S>(key: string): S | undefined
  /**
   * Subscribes `listener` to `key`, opening its connection with `open` if none is open. Returns
   * the function that unsubscribes; the connection closes once no one is subscribed, a task later.
   */
  subscribe<S, O>(key: string, options: O, open: Opener<S, O>, listener: () => void): () => void
  /** Gives the connection of `key`, if open, the options of the hook that rendered last. */
  setOptions(key: string, options: unknown): void
  /** How many connections are open now. */
  readonly size: number
}

interface Entry {
  refs: number
  snapshot: unknown
  options: unknown
  listeners: Set<() => void>
  close: () => void
  timer: ReturnType<typeof setTimeout> | undefined
}

/** Creates an empty {@link ConnectionStore}. */
export function createConnectionStore(): ConnectionStore {
  const entries = new Map<string, Entry>()
  return {
    snapshot: <S>(key: string) => entries.get(key)?.snapshot as S | undefined,
    subscribe(key, options, open, listener) {
      let entry = entries.get(key)
      if (entry === undefined) {
        const created: Entry = {
          refs: 0,
          snapshot: undefined,
          options,
          listeners: new Set(),
          close: () => {},
          timer: undefined,
        }
        entry = created
        entries.set(key, created)
        created.close = open({
          get options() {
            return created.options as typeof options
          },
          publish(snapshot) {
            created.snapshot = snapshot
            for (const call of created.listeners) call()
          },
        })
      }
      const own = entry
      clearTimeout(own.timer)
      own.refs++
      // A wrapper per subscription: React may subscribe the same listener twice.
      const call = () => listener()
      own.listeners.add(call)
      let subscribed = true
      return () => {
        if (!subscribed) return
        subscribed = false
        own.listeners.delete(call)
        if (--own.refs > 0) return
        own.timer = setTimeout(() => {
          if (own.refs > 0 || entries.get(key) !== own) return
          entries.delete(key)
          own.close()
        }, 0)
      }
    },
    setOptions(key, options) {
      const entry = entries.get(key)
      if (entry) entry.options = options
    },
    get size() {
      return entries.size
    },
  }
}
