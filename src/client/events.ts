import type { AnyCatalog, CatalogEvent, EventName } from '../core/catalog.js'

/**
 * What a subscription yields for one event of kind `E`.
 *
 * From a runstream server, the SSE `data` is an envelope and every member is present. From a
 * plain server that sends only the payload, `id` and `type` come from the SSE fields (`id` is
 * `''` when the server sent none, `type` is `message` when it sent no `event:`), `data` is the
 * JSON-parsed payload (or the raw text when it is not JSON), and `stream` and `ts` are absent.
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
      /** The stream's name (runstream envelopes only). */
      stream?: string
      /** When the event was emitted, ISO-8601 UTC (runstream envelopes only). */
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
