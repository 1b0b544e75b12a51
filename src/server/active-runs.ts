import { draftBody } from '../core/envelope.js'
import type { EventStore } from '../core/store.js'

/**
 * Which run a conversation (an AI SDK chat, an AG-UI thread) has now, kept in the event store so
 * that every process sharing it agrees: a page reloaded on another replica finds the run.
 */
export interface ActiveRuns {
  /** The name of `key`'s pointer stream, `<prefix>:<key>`: what `authorize` is asked about. */
  pointer(key: string): string
  /** Records that `key`'s run is now the stream `stream`. */
  set(key: string, stream: string): Promise<void>
  /** The stream of `key`'s last run, or `undefined` when it had none (or it expired). */
  get(key: string): Promise<string | undefined>
}

/**
 * Keeps the pointers as a stream per key, `<prefix>:<key>`, with one `run` event per run started
 * (its data the run's stream name): the last event is the active run. A stream rather than a key
 * of its own, so any store that keeps streams keeps pointers, with the same expiry as an idle
 * stream (the Redis store's idle TTL) and no new store method. A pointer stream is never served
 * by a route: it holds no event of the catalog.
 *
 * @param prefix - the pointer streams' kind, such as `chat-run`
 */
export function activeRuns(store: EventStore, prefix: string): ActiveRuns {
  const name = (key: string) => `${prefix}:${key}`
  return {
    pointer: name,
    async set(key, stream) {
      const pointer = name(key)
      const ts = new Date().toISOString()
      await store.append({
        type: 'run',
        stream: pointer,
        ts,
        data: stream,
        terminal: false,
        body: draftBody('run', pointer, ts, stream),
      })
    },
    async get(key) {
      const pointer = name(key)
      const { lastId } = await store.read(pointer, { limit: 0 })
      if (lastId === undefined) return undefined
      // The event before the last one's id: the read returns the last one.
      const { events } = await store.read(pointer, {
        lastEventId: String(Number(lastId) - 1),
        limit: 1,
      })
      const last = events[0]?.envelope
      return last?.id === lastId && typeof last.data === 'string' ? last.data : undefined
    },
  }
}
