import type { StoreListener, Unlisten } from '../core/store.js'
import { endListeners } from './live-watch.js'
import { keySlot } from './slot.js'

/**
 * One watched stream of the sharded fanout: its listeners, and the registration that feeds them,
 * on the fanout of the node serving its slot. When the slot moves, the registration is ended and
 * another begins on the new node from where the first stopped, so the listeners never see it.
 */
export interface Follow {
  readonly stream: string
  readonly channel: string
  readonly slot: number
  readonly listeners: Set<StoreListener>
  /** The node of the current registration; `undefined` while (re)starting. */
  node: string | undefined
  release: Unlisten | undefined
  /** Whether a subscribe was sent for it: from then on it counts as watched, moves included. */
  subscribed: boolean
  /** Settles once the first registration is made. */
  ready: Promise<void>
}

/** A follow of `stream` (on shard channel `channel`), not registered yet, with no listener. */
export function newFollow(stream: string, channel: string): Follow {
  return {
    stream,
    channel,
    slot: keySlot(channel),
    listeners: new Set(),
    node: undefined,
    release: undefined,
    subscribed: false,
    ready: Promise.resolve(),
  }
}

/** Ends `follow`'s registration, and its listeners with `error`; it has none afterwards. */
export function endFollow(follow: Follow, error: unknown): void {
  follow.release?.()
  follow.release = undefined
  endListeners(follow.listeners, error)
}
