import type { Redis } from 'ioredis'

/** Internal: a sharded subscribe answered MOVED (never leaves the live fanout). */
export class SlotMovedError extends Error {}

/**
 * The pub/sub commands a fanout sends on its subscriber connection: `SUBSCRIBE`, or, sharded,
 * `SSUBSCRIBE` (whose `MOVED` reply ioredis reports as an event, not as the command's result).
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
   * A MOVED reply to one of the pending sharded subscribes (ioredis does not say which): all of
   * them fail with {@link SlotMovedError}.
   */
  rejectMoved(): void
}

/** Creates the commands, sharded or not. */
export function channelCommands(sharded: boolean): ChannelCommands {
  // Sharded subscribes waiting for their reply: a MOVED reply never settles them in ioredis (it
  // emits 'moved' on the connection instead), so they are rejected from here.
  const awaitingReply = new Set<(error: Error) => void>()

  return {
    subscribe,
    async subscribeOne(sub, channel) {
      const [result] = await subscribe(sub, [channel])
      if (result?.status === 'rejected') throw result.reason
    },
    unsubscribe: (sub, channel) => (sharded ? sub.sunsubscribe(channel) : sub.unsubscribe(channel)),
    rejectMoved() {
      const pending = [...awaitingReply]
      awaitingReply.clear()
      for (const reject of pending) reject(new SlotMovedError())
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
                reject(error)
              },
            )
          }),
      ),
    )
  }
}

/**
 * Reads an `error` of a sharded subscriber connection: a reply it could not match to a command
 * (`Command queue state error`), with the channel named when the reply was a pushed
 * `sunsubscribe`; `undefined` for any other error. When a slot leaves a node, Redis pushes
 * `sunsubscribe` for each of its shard channels; ioredis takes that push for the reply of the
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
