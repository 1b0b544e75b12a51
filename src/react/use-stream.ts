import {
  type ClientEvent,
  type ConnectOptions,
  connect,
  type ManyEvent,
  type SubscribeManyOptions,
  subscribeMany,
} from '../client.js'
import type { AnyCatalog } from '../core/catalog.js'
import {
  type ConnectionState,
  type EventFeed,
  type LiveConnectOptions,
  type LiveOptions,
  openView,
} from './connection.js'
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
  const key = url == null ? undefined : keyOf('stream', String(url), options)
  return useEvents('useStream', key, options, (live, latest) =>
    connect(url as string | URL, { ...(latest as ConnectOptions), ...live }),
  ) as StreamState<ClientEvent<C>>
}

/** Options of {@link useStreams}: those of `subscribeMany()`, without `signal`, plus `maxEvents`. */
export interface UseStreamsOptions<C extends AnyCatalog | undefined = undefined>
  extends Omit<SubscribeManyOptions<C>, 'signal'> {
  /** See {@link UseStreamOptions.maxEvents}: the latest events of all the streams together. @defaultValue 1000 */
  maxEvents?: number
}

/**
 * Watches several streams over ONE connection (`subscribeMany`) from a React component: the
 * events of all of them, interleaved as they arrive, each with its `stream`; `lastEventId` is the
 * composite cursor. It re-renders at most once a frame, and ends once every stream has finished.
 * Components that pass the same base URL, list and options share the connection. A new list
 * opens a new connection, which replays the listed streams from their start into a fresh view.
 * `streams` `null`, `undefined` or empty opens none.
 *
 * @param baseUrl - the server's routes: origin and `basePath` (`/api/v0` in a page)
 * @param streams - the streams' names, `<kind>:<id>`
 * @example
 * ```tsx
 * import { executionCatalog } from 'runstream'
 * import { useStreams } from 'runstream/react'
 *
 * export function Tasks({ ids }: { ids: string[] }) {
 *   const { events } = useStreams('/api/v0', ids.map((id) => `task:${id}`), {
 *     catalog: executionCatalog,
 *   })
 *   return <p>{events.filter((event) => event.type === 'complete').length} done</p>
 * }
 * ```
 * @see docs/react.md
 */
export function useStreams<C extends AnyCatalog | undefined = undefined>(
  baseUrl: string | URL,
  streams: readonly string[] | null | undefined,
  options: UseStreamsOptions<C> = {},
): StreamState<ManyEvent<C>> {
  const key = streams?.length ? keyOf('streams', String(baseUrl), streams, options) : undefined
  return useEvents('useStreams', key, options, (live, latest) =>
    subscribeMany(baseUrl, streams as string[], { ...(latest as SubscribeManyOptions), ...live }),
  ) as StreamState<ManyEvent<C>>
}

// The hooks that keep the latest events, whatever feed they come from.
function useEvents<O extends LiveOptions & { maxEvents?: number; lastEventId?: string }>(
  hook: string,
  key: string | undefined,
  options: O,
  start: (live: LiveConnectOptions, latest: O) => EventFeed,
): StreamState<unknown> {
  const max = options.maxEvents ?? DEFAULT_MAX_EVENTS
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new TypeError(
      `${hook}: maxEvents must be a positive integer (got ${String(options.maxEvents)}); leave it out for ${DEFAULT_MAX_EVENTS}.`,
    )
  }
  return useConnection(
    key,
    options,
    () =>
      openView(
        (live, { maxEvents: _, ...latest }) => start(live, latest as O),
        () => eventsView(max),
        options.lastEventId,
      ),
    key === undefined ? IDLE : CONNECTING,
  )
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
