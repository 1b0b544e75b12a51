import type { EventRecord } from './envelope.js'

/**
 * Somewhere events are sent as they are emitted: stdout, a log, a socket. A transport gets each
 * event's record once, after the store gave it its id, in emit order per stream.
 *
 * `send` may return a promise; the manager never waits for it before returning from `emit`, and
 * reports a throw or a rejection through `onError` while the other transports still get the event.
 *
 * @see docs/transports.md for writing your own.
 */
export interface Transport {
  /** A short name used in error reports, such as `stdout`. */
  readonly name: string
  /** Sends one event. Use `record.json`: the envelope's bytes, the same on every transport. */
  send(record: EventRecord): void | Promise<void>
  /** Finishes pending writes and releases resources. */
  close?(): void | Promise<void>
}
