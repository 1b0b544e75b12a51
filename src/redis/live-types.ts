import type { Redis } from 'ioredis'
import type { StoreListener, Unlisten } from '../core/store.js'
import type { RawPage, StreamKeys } from './scripts.js'

/**
 * Live delivery of one process: every stream its subscribers watch is one channel of the single
 * subscriber connection, however many subscribers there are.
 */
export interface LiveFanout {
  /**
   * Follows `stream`: from its newest event, or with `from` (when this call starts the watch)
   * from that position, catching up from the store first.
   */
  listen(stream: string, listener: StoreListener, from?: WatchPosition): Promise<Unlisten>
  /**
   * Where the watch of `stream` stands once started, to continue it on another connection, and
   * whether this connection's node told it that it no longer serves the stream (`away`).
   */
  position(stream: string): (WatchPosition & { readonly away: boolean }) | undefined
  /** How many streams are subscribed now. */
  readonly size: number
  /** Ends every registration (their `error` is called) and forgets them. */
  close(): void
}

/** Where a watch stands: the last id it delivered and the incarnation that id belongs to. */
export interface WatchPosition {
  readonly lastId: number
  readonly epoch: string | undefined
}

/** What the fanout needs from the store. */
export interface LiveFanoutOptions {
  /** The subscriber connection, opened on first use. */
  subscriber(): Redis
  keys(stream: string): StreamKeys
  /** The newest id of a stream (0 when it has none) and its epoch. */
  head(stream: string): Promise<{ id: number; epoch: string | undefined }>
  /**
   * One page of the stream after `after` of incarnation `epoch`: from the start of the current
   * incarnation when it is another one.
   */
  readPage(
    stream: string,
    after: number,
    limit: number,
    epoch: string | undefined,
  ): Promise<RawPage>
  /**
   * Ends incarnation `epoch` of a stream that holds less than `lastId` in it (see
   * `FENCE_SCRIPT`): the ids a watch delivered are then never given to other events in that
   * epoch. Without it, such a watch is ended with `store_failed`.
   */
  fence?(stream: string, epoch: string, lastId: number): Promise<void>
  /** How long a registration may wait for Redis to come back before it is ended. */
  maxOutageMs: number
  /** How many live messages one stream may hold while it catches up from the store. */
  maxBuffered: number
  /** Sharded pub/sub (`SSUBSCRIBE`, Redis 7), for a subscriber connected to a cluster node. */
  sharded?: boolean
  /**
   * Sharded only: the node said a slot moved away from it (a `MOVED` reply to `SSUBSCRIBE`, or a
   * pushed `sunsubscribe`), with the stream concerned when known. The caller refreshes its slot
   * map and moves the streams that are now served elsewhere.
   */
  onMoved?(stream: string | undefined): void
}
