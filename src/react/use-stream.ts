import { type ClientEvent, type ConnectOptions, connect } from '../client.js'
import type { AnyCatalog } from '../core/catalog.js'
import { type ConnectionState, openView } from './connection.js'
import { keyOf } from './key.js'
import { useConnection } from './use-connection.js'

/** Options of {@link useStream}: those of `connect()`, without `signal` (the hook owns the connection's life), plus `maxEvents`. */
export interface UseStreamOptions<C extends AnyCatalog | undefined = undefined>
  extends Omit<ConnectOptions<C>, 'signal'> {
  /**
   * How many of the latest events `events` keeps; older ones are dropped from it (`last` and
   * `lastEventId` still follow every event). A positive integer.
   * @defaultValue 1000
   */
  maxEvents?: number
}

/** What {@link useStream} returns: the events so far and the state of the connection. */
export interface StreamState<E> extends ConnectionState {
  /** The latest events, oldest first: at most `maxEvents`. A new array whenever one arrives. */
  readonly events: readonly E[]
  /** The last event received, or `undefined` before the first. */
  readonly last: E | undefined
}

const DEFAULT_MAX_EVENTS = 1000

const CONNECTING: StreamState<never> = {
  events: [],
  last: undefined,
  readyState: 'connecting',
  error: undefined,
  lastEventId: undefined,
}
const IDLE: StreamState<never> = { ...CONNECTING, readyState: 'closed' }

/**
 * Watches an event stream from a React component: opens it with `connect()` after the component
 * mounts, re-renders as events arrive (at most once a frame), and closes it when the last
 * component using it unmounts. Components that pass the same URL and options share one
 * connection. On the server it renders `readyState: 'connecting'` and opens nothing.
 *
 * A new `url`, or a change to an option other than a callback or `fetch`, opens a new
 * connection. `url` `null` or `undefined` opens none (`readyState: 'closed'`).
 *
 * @param url - the SSE endpoint (relative to the page, or absolute)
 * @param options - those of `connect()`, and `maxEvents`
 * @example
 * ```tsx
 * import { executionCatalog } from 'runstream'
 * import { useStream } from 'runstream/react'
 *
 * export function Events({ url }: { url: string }) {
 *   const { events, readyState } = useStream(url, { catalog: executionCatalog })
 *   return (
 *     <ol title={readyState}>
 *       {events.map((event) => (
 *         <li key={event.id}>{event.type}</li>
 *       ))}
 *     </ol>
 *   )
 * }
 * ```
 * @see docs/react.md
 */
export function useStream<C extends AnyCatalog | undefined = undefined>(
  url: string | URL | null | undefined,
  options: UseStreamOptions<C> = {},
): StreamState<ClientEvent<C>> {
  const max = options.maxEvents ?? DEFAULT_MAX_EVENTS
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new TypeError(
      `useStream: maxEvents must be a positive integer (got ${String(options.maxEvents)}); leave it out for ${DEFAULT_MAX_EVENTS}.`,
    )
  }
  const key = url == null ? undefined : keyOf('stream', String(url), options)
  const state = useConnection(
    key,
    options,
    () =>
      openView(
        (live, { maxEvents: _, ...latest }) =>
          connect(url as string | URL, { ...(latest as ConnectOptions), ...live }),
        () => eventsView(max),
        options.lastEventId,
      ),
    key === undefined ? IDLE : CONNECTING,
  )
  return state as StreamState<ClientEvent<C>>
}

// Keeps the latest `max` events, trimming in bulk (at 2 × max) rather than shifting per event,
// and copies them once per published snapshot so that a snapshot never changes afterwards.
function eventsView<E>(max: number) {
  let kept: E[] = []
  let last: E | undefined
  let published: readonly E[] = []
  let changed = false
  return {
    add(event: E) {
      kept.push(event)
      last = event
      changed = true
      if (kept.length >= 2 * max) kept = kept.slice(-max)
    },
    read(state: ConnectionState): StreamState<E> {
      if (changed) {
        if (kept.length > max) kept = kept.slice(-max)
        published = kept.slice()
        changed = false
      }
      return { ...state, events: published, last }
    },
  }
}
