/**
 * Where a connection's bytes go: a Web `ReadableStream` body or a Node response. The sink owns
 * write coalescing and tells how much is waiting; the connection decides everything else.
 */
export interface ConnectionSink {
  // The feed calls its methods on it: a sink may be a class instance.
  /** Queues bytes for the client. Frames are whole: a sink never splits or reorders them. */
  write(chunk: Uint8Array): void
  /**
   * Bytes accepted but not yet taken by the network. A method, not a getter: an object literal
   * with a getter of its own is kept in V8's slow dictionary mode, a cost paid per connection.
   */
  bufferedBytes(): number
  /** Resolves the next time the network takes bytes, or when the sink is done. */
  waitForRoom(): Promise<void>
  /** Ends the response once what is queued, then `last` when given, is sent. */
  end(last?: Uint8Array): void
  /** Drops everything and cuts the connection at once. */
  destroy(): void
}

/**
 * What a sink tells once it is done (finished, failed or cut by the client): an object with a
 * method rather than a callback, so that a connection's owner is told with no function bound
 * to it per connection.
 */
export interface SinkOwner {
  /** Called once, when the sink is done. */
  sinkDone(): void
}
