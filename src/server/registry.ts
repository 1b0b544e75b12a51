import type { Connection } from './connection.js'
import type { Limiter } from './limits.js'

/** Live figures of a handler: what its open streams hold right now. */
export interface HandlerStats {
  /** Open streams (SSE and text). Back to 0 once every client is gone. */
  readonly connections: number
  /** Bytes waiting for slow clients, over all connections. */
  readonly bufferedBytes: number
}

/** The open connections of one handler, so it can report them and end them on shutdown. */
export interface Registry {
  /** Whether the handler was closed: new requests get a 503. */
  readonly closed: boolean
  /** Admits new streams within the handler's connection caps. */
  readonly limiter: Limiter
  add(connection: Connection): void
  remove(connection: Connection): void
  stats(): HandlerStats
  /** Refuses new streams and ends the open ones with `runstream.error` (`aborted`). */
  close(): void
}

/** Creates an empty registry whose new streams are admitted by `limiter`. */
export function createRegistry(limiter: Limiter): Registry {
  const connections = new Set<Connection>()
  let closed = false
  return {
    get closed() {
      return closed
    },
    limiter,
    add(connection) {
      connections.add(connection)
    },
    remove(connection) {
      connections.delete(connection)
    },
    stats() {
      let bufferedBytes = 0
      for (const connection of connections) bufferedBytes += connection.bufferedBytes()
      return { connections: connections.size, bufferedBytes }
    },
    close() {
      closed = true
      // Each client is told to resume elsewhere, then ended.
      for (const connection of [...connections]) connection.end('aborted')
    },
  }
}
