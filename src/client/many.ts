import type { AnyCatalog } from '../core/catalog.js'
import { absoluteUrl, type StreamSubscription, subscribe } from './connect.js'
import type { ClientEvent } from './events.js'
import { createManyCursor } from './many-cursor.js'
import { type ConnectOptions, resolveConnectOptions } from './options.js'

/** Options of {@link subscribeMany}: those of `connect()`, but the request is the client's to make. */
export interface SubscribeManyOptions<C extends AnyCatalog | undefined = undefined>
  extends Omit<ConnectOptions<C>, 'method' | 'body' | 'stream'> {
  /**
   * A composite cursor to resume after: a subscription's `lastEventId`, saved, with the same
   * stream list in the same order.
   */
  lastEventId?: string
}

/** An event of a many-stream subscription: its `stream` and `ts` are always there (envelope framing). */
export type ManyEvent<C extends AnyCatalog | undefined = undefined> = ClientEvent<C> & {
  /** The stream the event belongs to (`task:t1`). */
  stream: string
  /** When the event was emitted, ISO-8601 UTC. */
  ts: string
}

/**
 * A live subscription to several streams over one connection. Like a {@link StreamSubscription}
 * (`for await`, `on()`, `close()`), with the events of every stream, each with its `stream`.
 */
export interface ManySubscription<C extends AnyCatalog | undefined = undefined>
  extends StreamSubscription<C> {
  /** The streams followed now, in the order of the composite cursor. */
  readonly streams: readonly string[]
  /**
   * The composite cursor of `streams`: a position per stream, comma-separated, `~` for a finished
   * one. Pass it back as `lastEventId` to resume them all later.
   */
  readonly lastEventId: string
  /**
   * Where each stream is: its cursor (qualified with its epoch when the server told it),
   * `undefined` before its first event, `'~'` once it finished.
   */
  cursor(stream: string): string | undefined
  /**
   * Follows `streams` from now on: streams kept go on from their place, new ones start from
   * their first event (or from where they were, if followed before), and the connection is made
   * again with the new list. An empty list is a `TypeError`: call `close()`.
   */
  update(streams: readonly string[]): void
  [Symbol.asyncIterator](): AsyncIterator<ManyEvent<C>>
}

/** Past this length of URL, the list goes in a POST body: proxies and servers cap request lines. */
const MAX_GET_URL = 2000

/**
 * Follows several streams over ONE connection to a runstream handler's many-stream route
 * (`{basePath}/streams`), so that a page watching twenty tasks holds one connection, not twenty
 * (browsers allow six per origin over HTTP/1.1). Each stream is replayed from its own position,
 * then followed live; every event carries its `stream`. It reconnects and resumes exactly as
 * {@link connect} does, with a composite `Last-Event-ID` that holds every stream's position, and
 * ends once every stream has sent its terminal event (a 204, a fatal error or `close()` end it
 * too). The list goes in the query, or in a `POST` body when the URL would be long; a
 * reconnect sends it again.
 *
 * @param baseUrl - where the handler's routes are: its origin and `basePath`
 *   (`https://api.example.com/api/v0`, or `/api/v0` in a page)
 * @param streams - the streams' names, `<kind>:<id>` (`task:t1`), as many as the server's
 *   `maxStreamsPerConnection` (32 by default)
 * @example
 * ```ts
 * const tasks = subscribeMany('https://api.example.com/api/v0', ['task:t1', 'task:t2'], {
 *   catalog: executionCatalog,
 * })
 * for await (const event of tasks) {
 *   if (event.type === 'llm_chunk') append(event.stream, event.data.text)
 * }
 * ```
 * @see docs/client.md
 */
export function subscribeMany<C extends AnyCatalog | undefined = undefined>(
  baseUrl: string | URL,
  streams: readonly string[],
  options: SubscribeManyOptions<C> = {},
): ManySubscription<C> {
  const target = absoluteUrl(`${String(baseUrl).replace(/\/+$/, '')}/streams`)
  let list = checked(streams)
  const { lastEventId, ...rest } = options
  const cursor = createManyCursor(list, lastEventId)
  const own = rest as ConnectOptions<AnyCatalog>
  const subscription = subscribe(target, own, resolveConnectOptions(own), {
    cursor,
    request() {
      cursor.use(list)
      const url = `${target.href}?${list.map((name) => `stream=${encodeURIComponent(name)}`).join('&')}`
      return url.length > MAX_GET_URL
        ? [target.href, 'POST', JSON.stringify({ streams: list })]
        : [url, 'GET', undefined]
    },
    resumable: () => true,
    ends: (event) => cursor.finish(event.stream as string),
  })
  // Defined, not assigned: the getters stay getters, and `lastEventId` replaces the one-stream one.
  return Object.defineProperties(
    subscription,
    Object.getOwnPropertyDescriptors({
      get streams() {
        return list
      },
      get lastEventId() {
        return cursor.composite(list)
      },
      cursor: cursor.position,
      update(next: readonly string[]) {
        const before = list
        list = checked(next)
        if (list.join() !== before.join()) subscription.restart()
      },
    }),
  ) as unknown as ManySubscription<C>
}

function checked(streams: readonly string[]): readonly string[] {
  if (
    !streams.length ||
    streams.some((name) => typeof name !== 'string' || !name) ||
    new Set(streams).size !== streams.length
  ) {
    throw new TypeError(
      'subscribeMany: streams must be distinct names such as ["task:t1", "task:t2"]; call close() to follow none.',
    )
  }
  return [...streams]
}
