import type { Redis } from 'ioredis'
import { createLiveFanout, type LiveFanout, type LiveFanoutOptions } from './live.js'
import { slotPrimaries } from './slot.js'

/** What the fanouts of the nodes need: a subscriber per node, and the fanout's options. */
export interface NodeFanoutsOptions
  extends Omit<LiveFanoutOptions, 'subscriber' | 'sharded' | 'onMoved'> {
  /** The subscriber connection to a node (`host:port`), opened on first use. */
  nodeSubscriber(node: string): Redis
  /**
   * Closes the subscriber connection to a node (`host:port`) that serves no slot and holds no
   * watch: the next {@link NodeFanoutsOptions.nodeSubscriber} call for it opens a fresh one.
   */
  retireSubscriber(node: string): void
  /** A node said a slot moved away from it: the slot map wants a refresh. */
  onMoved(): void
}

/**
 * The sharded fanout's per-node fanouts, one per cluster node (`host:port`) that holds watched
 * streams, each with a subscriber connection of its own to that node.
 */
export interface NodeFanouts {
  /** The fanout of `node`, if it has one. */
  get(node: string): LiveFanout | undefined
  /** The fanout of `node`, created (with its subscriber, opened on first use) if it has none. */
  of(node: string): LiveFanout
  /**
   * Closes the fanout and subscriber of each node that `slots` (ioredis' `cluster.slots`) no
   * longer names as a primary and that holds no watch.
   */
  retireIdle(slots: readonly (readonly string[] | undefined)[]): void
  /** Closes every node's fanout (their registrations are ended). */
  close(): void
}

/** Creates the per-node fanouts, each a single-Redis fanout on sharded pub/sub. */
export function createNodeFanouts(options: NodeFanoutsOptions): NodeFanouts {
  const byNode = new Map<string, LiveFanout>()

  return {
    get: (node) => byNode.get(node),
    of(node) {
      let fanout = byNode.get(node)
      if (fanout === undefined) {
        fanout = createLiveFanout({
          ...options,
          subscriber: () => options.nodeSubscriber(node),
          sharded: true,
          onMoved: options.onMoved,
        })
        byNode.set(node, fanout)
      }
      return fanout
    },
    // A node that failed over and never comes back would otherwise be reconnected to about once
    // a second until the store closes. If it comes back as a primary, the next watch of one of
    // its slots opens a fresh subscriber.
    retireIdle(slots) {
      const serving = slotPrimaries(slots)
      // A map with no slot is no map (the cluster is out of reach): nothing to judge by.
      if (serving.size === 0) return
      for (const [node, fanout] of byNode) {
        if (serving.has(node) || fanout.size > 0) continue
        byNode.delete(node)
        fanout.close()
        options.retireSubscriber(node)
      }
    },
    close() {
      for (const fanout of byNode.values()) fanout.close()
    },
  }
}
