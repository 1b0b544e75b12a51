import type { Redis } from 'ioredis'
import { recycleConnection } from './connection.js'
import { type ChannelCommands, SlotMovedError, unmatchedReply } from './live-subscribe.js'
import type { Watch } from './live-watch.js'

/**
 * What a sharded fanout learns from its subscriber connection when a slot leaves the node, and
 * does about it. Redis then pushes a `sunsubscribe` for each shard channel of the slot, which
 * each ioredis major reports in its own way: ioredis 5 names the channel (in an `error`, see
 * `unmatchedReply`), ioredis 6 does not (a `moved` event). Either way, each watch whose channel
 * the node let go is set `away`, and the sharded fanout moves it to the slot's new owner.
 */
export interface MovedSlots {
  /** The connection's `moved` event. */
  onMovedEvent(): void
  /** The connection's `error` event. */
  onConnectionError(error: unknown): void
}

/** What {@link createMovedSlots} works on: the fanout's watches and its connection. */
export interface MovedSlotsContext {
  readonly watches: ReadonlyMap<string, Watch>
  readonly commands: ChannelCommands
  /** The subscriber connection, once opened. */
  connection(): Redis | undefined
  /** Bumped whenever the connection closes: what was begun before it is stale. */
  generation(): number
  /** The node let the watch's channel go: it waits, `away`, to be moved. */
  setAway(watch: Watch): void
  /** Forgets a starting watch, so that its start fails (and is tried again on the new owner). */
  forget(watch: Watch): void
  /** A slot moved away from the node, with the stream concerned when known. */
  onMoved(stream: string | undefined): void
}

/** Creates the handlers of one sharded fanout's subscriber connection. */
export function createMovedSlots(context: MovedSlotsContext): MovedSlots {
  const { watches, commands } = context
  let checking = false
  let checkAgain = false

  return {
    onMovedEvent() {
      const sub = context.connection()
      if (sub === undefined) return
      commands.moved(sub, () => void checkChannels(sub))
      context.onMoved(undefined)
    },

    /**
     * A reply the connection could not match to a command (see `unmatchedReply`). Alone (a pushed
     * `sunsubscribe`, and no command waited), it only ends that channel's subscription: the watch
     * is `away` until the sharded fanout moves it. Any other unmatched reply means the replies and
     * commands were out of step (a push consumed a command's reply, so a subscribe may have
     * resolved before it was active): the connection is recycled, and every watch on it
     * resubscribes and catches up from the store, as after any reconnection. (Out of step replies
     * that end on the reply to an `SUNSUBSCRIBE` of ours look like a lone push; a subscribe taken
     * as done too early then shows as a hole in the ids at its stream's next event, which the
     * watch fills from the store.)
     */
    onConnectionError(error) {
      const reply = unmatchedReply(error)
      if (reply === undefined) return
      const sub = context.connection()
      if (sub === undefined) return
      if (reply.sunsubscribed !== undefined) {
        const watch = watches.get(reply.sunsubscribed)
        // (Redis may push it twice for one move; a watch already away, or moved, stays so.)
        if (watch === undefined || watch.state !== 'starting') {
          if (watch !== undefined) context.setAway(watch)
          context.onMoved(watch?.stream)
          return
        }
      }
      recycleConnection(sub)
      context.onMoved(undefined)
    },
  }

  /**
   * ioredis 6: Redis pushed a `sunsubscribe` of a channel ioredis does not name. Each watch
   * subscribed here subscribes again, which the node answers with MOVED for the channels whose
   * slot left it, and accepts (changing nothing) for the others. Events that come meanwhile are
   * checked once the current check ends.
   */
  async function checkChannels(sub: Redis): Promise<void> {
    if (checking) {
      checkAgain = true
      return
    }
    checking = true
    try {
      do {
        checkAgain = false
        // Not ready: its reconnection subscribes every watch again, and learns the same.
        if (sub !== context.connection() || sub.status !== 'ready') return
        const gen = context.generation()
        const checked = [...watches.values()].filter(
          (watch) =>
            watch.state === 'live' || watch.state === 'syncing' || watch.state === 'starting',
        )
        if (checked.length === 0) return
        const results = await commands.subscribe(
          sub,
          checked.map((watch) => watch.channel),
        )
        if (gen !== context.generation()) return
        for (const [i, watch] of checked.entries()) {
          const result = results[i]
          if (result?.status !== 'rejected' || !(result.reason instanceof SlotMovedError)) continue
          if (watches.get(watch.channel) !== watch) continue
          // A starting watch may have been subscribed before the slot left: its start is done
          // again, on the node the refreshed slot map names.
          if (watch.state === 'starting') context.forget(watch)
          else if (watch.state !== 'away') context.setAway(watch)
          context.onMoved(watch.stream)
        }
      } while (checkAgain)
    } finally {
      checking = false
    }
  }
}
