import type { AnyCatalog, CatalogEvent, EventName } from '../core/catalog.js'

/**
 * What a subscription yields for one event of kind `E`. The client reads both framings a server
 * may write, with no option (docs/wire-format.md):
 *
 * - **payload framing** (the default of runstream's server, and what other SSE servers write:
 *   `id:`, `event:` and the payload alone in `data:`): `id` is the SSE `id:` (`''` when the
 *   server sent none), `type` the SSE `event:` (`'message'` when it sent none), `data` the
 *   payload, `stream` the stream's name when the client knows it (`createStreamClient` does;
 *   `connect()` takes it as its `stream` option), and `ts` is absent. Raw text stays text: when
 *   the catalog's schema for the type accepts a string, or `data:` is not JSON, `data` is the text
 *   as it came (the tokens `42`, `true`, `null`, `"x"` keep their characters); otherwise it is
 *   the JSON value. Without a catalog, JSON is parsed whenever it parses.
 * - **envelope framing** (`data:` is runstream's envelope: `{ id, type, stream, ts, data }`):
 *   every member is present.
 */
export type StreamEvent<
  E extends { type: string; data: unknown } = { type: string; data: unknown },
> = E extends unknown
  ? {
      /** The event id: the cursor to resume after it. */
      id: string
      /** The event name. */
      type: E['type']
      /** The payload, validated and parsed when a catalog was given. */
      data: E['data']
      /** The stream's name: from the envelope, or the one the client was given (payload framing). */
      stream?: string
      /** When the event was emitted, ISO-8601 UTC (envelope framing only). */
      ts?: string
    }
  : never

/**
 * The events a subscription yields: typed from the catalog when one is given (a union
 * discriminated on `type`), otherwise any name with an `unknown` payload.
 */
export type ClientEvent<C extends AnyCatalog | undefined> = C extends AnyCatalog
  ? StreamEvent<CatalogEvent<C>>
  : StreamEvent

/** The names `on()` accepts: the catalog's event names (any string without one), or `'*'`. */
export type ClientEventName<C extends AnyCatalog | undefined> =
  | (C extends AnyCatalog ? EventName<C> : string)
  | '*'

/** The event a handler registered with `on(type, …)` receives. `'*'` receives every event. */
export type ClientEventOf<C extends AnyCatalog | undefined, K> = K extends '*'
  ? ClientEvent<C>
  : C extends AnyCatalog
    ? Extract<ClientEvent<C>, { type: K }>
    : StreamEvent

/**
 * The state of a subscription's connection, as in `EventSource`:
 * `connecting` before the first response and while waiting to reconnect, `open` while events
 * can arrive, `closed` at the end (terminal event, 204, fatal error, `close()`).
 */
export type ReadyState = 'connecting' | 'open' | 'closed'
