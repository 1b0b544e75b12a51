import type { Redis } from 'ioredis'

/** Internal: a sharded subscribe answered MOVED (never leaves the live fanout). */
export class SlotMovedError extends Error {}

/**
 * The pub/sub commands a fanout sends on its subscriber connection: `SUBSCRIBE`, or, sharded,
 * `SSUBSCRIBE` (whose `MOVED` reply ioredis 5 reports as an event only, not as the command's
 * result).
 */
export interface ChannelCommands {
  /**
   * Subscribes to each channel; one result per channel. Sharded channels go one per command:
   * Redis refuses an `SSUBSCRIBE` whose channels are in different slots (CROSSSLOT).
   */
  subscribe(sub: Redis, channels: string[]): Promise<PromiseSettledResult<unknown>[]>
  /** Subscribes to one channel; rejects as `subscribe` reports. */
  subscribeOne(sub: Redis, channel: string): Promise<void>
  unsubscribe(sub: Redis, channel: string): Promise<unknown>
  /**
   * A `moved` event of the sharded subscriber connection `sub`, whose meaning depends on the
   * ioredis major (see {@link reportsPushedUnsubscribe}):
   * - ioredis 5: a MOVED reply to one of the pending sharded subscribes, which ioredis never
   *   settles and does not name: all of them fail with {@link SlotMovedError}.
   * - ioredis 6: a MOVED reply (that subscribe fails with {@link SlotMovedError} by itself), or a
   *   `sunsubscribe` that Redis pushed when a slot left the node, whose channel ioredis does not
   *   pass on. Once the replies that came with it are read, `channelsLeft` is called if some
   *   `moved` event was not a MOVED reply (once for all the events of that moment).
   */
  moved(sub: Redis, channelsLeft: () => void): void
}

/** Creates the commands, sharded or not. */
export function channelCommands(sharded: boolean): ChannelCommands {
  // Sharded subscribes waiting for their reply: a MOVED reply never settles them in ioredis 5 (it
  // emits 'moved' on the connection instead), so they are rejected from here.
  const awaitingReply = new Set<(error: Error) => void>()
  // ioredis 6: the `moved` events and the MOVED replies seen since the last count. ioredis emits
  // the event, then rejects the subscribe, in one step: by the next macrotask, every MOVED reply
  // of the events so far has been seen here.
  let movedEvents = 0
  let movedReplies = 0
  let counting: ReturnType<typeof setTimeout> | undefined

  return {
    subscribe,
    async subscribeOne(sub, channel) {
      const [result] = await subscribe(sub, [channel])
      if (result?.status === 'rejected') throw result.reason
    },
    unsubscribe: (sub, channel) => (sharded ? sub.sunsubscribe(channel) : sub.unsubscribe(channel)),
    moved(sub, channelsLeft) {
      if (!reportsPushedUnsubscribe(sub)) {
        const pending = [...awaitingReply]
        awaitingReply.clear()
        for (const reject of pending) reject(new SlotMovedError())
        return
      }
      movedEvents++
      if (counting !== undefined) return
      counting = setTimeout(() => {
        counting = undefined
        const pushed = movedEvents > movedReplies
        movedEvents = 0
        movedReplies = 0
        if (pushed) channelsLeft()
      }, 0)
    },
  }

  function subscribe(sub: Redis, channels: string[]): Promise<PromiseSettledResult<unknown>[]> {
    if (!sharded) {
      return sub.subscribe(...channels).then(
        (value) => channels.map(() => ({ status: 'fulfilled', value }) as const),
        (reason: unknown) => channels.map(() => ({ status: 'rejected', reason }) as const),
      )
    }
    return Promise.allSettled(
      channels.map(
        (channel) =>
          new Promise((resolve, reject) => {
            awaitingReply.add(reject)
            sub.ssubscribe(channel).then(
              (value) => {
                awaitingReply.delete(reject)
                resolve(value)
              },
              (error: unknown) => {
                awaitingReply.delete(reject)
                if (isMovedReply(error)) {
                  // ioredis 6: the node no longer serves the channel's slot.
                  movedReplies++
                  reject(new SlotMovedError())
                } else reject(error)
              },
            )
          }),
      ),
    )
  }
}

/**
 * Whether `sub` is an ioredis 6 connection, which differs from ioredis 5 in two ways here: it
 * settles an `SSUBSCRIBE` answered MOVED (rejected with that reply), and it reports a
 * `sunsubscribe` that Redis pushed as a `moved` event, without its channel, instead of taking it
 * for the reply of the oldest waiting command (see {@link unmatchedReply}). Told by the
 * `replyMapping` option, which ioredis 6 always fills in and ioredis 5 does not have.
 */
export function reportsPushedUnsubscribe(sub: Redis): boolean {
  // (`in` first: ioredis 5's types compile it too.)
  const { options } = sub
  return 'replyMapping' in options && options.replyMapping !== undefined
}

// A MOVED error reply ("MOVED <slot> <host>:<port>").
function isMovedReply(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('MOVED ')
}

/**
 * Reads an `error` of a sharded subscriber connection: a reply it could not match to a command
 * (`Command queue state error`), with the channel named when the reply was a pushed
 * `sunsubscribe`; `undefined` for any other error. When a slot leaves a node, Redis pushes
 * `sunsubscribe` for each of its shard channels; ioredis 5 takes that push for the reply of the
 * oldest waiting command, or, when none waits, reports it as this error.
 */
export function unmatchedReply(
  error: unknown,
): { readonly sunsubscribed: string | undefined } | undefined {
  const message = error instanceof Error ? error.message : ''
  if (!message.startsWith('Command queue state error')) return undefined
  const pushed = /Last reply: sunsubscribe,([\s\S]*),\d+$/.exec(message)
  return { sunsubscribed: pushed === null ? undefined : (pushed[1] as string) }
}
