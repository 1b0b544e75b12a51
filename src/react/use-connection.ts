import { useCallback, useEffect, useSyncExternalStore } from 'react'
import { createConnectionStore, type Opener } from './store.js'

// One store for the page: hooks anywhere in the tree with one key share one connection.
const store = /* @__PURE__ */ createConnectionStore()

/**
 * Subscribes to the connection of `key` (none when `key` is `undefined`), opening it with `open`
 * after the commit, never during a render, and returns its latest snapshot, or `empty` before
 * the first one. On the server, and while hydrating, the snapshot is `empty` and nothing opens.
 */
export function useConnection<S, O>(
  key: string | undefined,
  options: O,
  open: () => Opener<S, O>,
  empty: S,
): S {
  // `options` and `open` are those of the render that subscribes: the store calls `open` once
  // per connection, and keeps later options through setOptions below.
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new key is a new connection; nothing else is
  const subscribe = useCallback(
    (onChange: () => void) =>
      key === undefined ? () => {} : store.subscribe(key, options, open(), onChange),
    [key],
  )
  const snapshot = useSyncExternalStore(
    subscribe,
    () => (key === undefined ? undefined : store.snapshot<S>(key)) ?? empty,
    () => empty,
  )
  useEffect(() => {
    if (key !== undefined) store.setOptions(key, options)
  })
  return snapshot
}

/** The store the hooks share (for tests: how many connections are open). */
export const connections = store
