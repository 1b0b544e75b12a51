import type { Cluster, Redis } from 'ioredis'
import { RunstreamError } from '../core/errors.js'
import { createLiveFanout, type LiveFanout, type LiveFanoutOptions } from './live.js'
import { keySlot } from './slot.js'

/** What the sharded fanout needs: the cluster, a subscriber per node, and the fanout's options. */
export interface ShardedFanoutOptions extends Omit<LiveFanoutOptions, 'subscriber' | 'sharded'> {
  readonly cluster: Cluster
  /** The subscriber connection to a node (`host:port`), opened on first use. */
  nodeSubscriber(node: string): Redis
}

/**
 * Live delivery over a Redis Cluster: a stream's channel is a shard channel (`SSUBSCRIBE`), which
 * only the node holding its slot serves, so each node that holds watched streams gets a subscriber
 * connection of its own, with the same fanout as a single Redis (one connection, many streams,
 * catching up from the store after each reconnection). A node restarted in place is one
 * reconnection of its subscriber; streams watched there catch up as with a single Redis.
 */
export function createShardedFanout(options: ShardedFanoutOptions): LiveFanout {
  const { cluster } = options
  const byNode = new Map<string, LiveFanout>()
  let closed = false

  return {
    get size() {
      let size = 0
      for (const fanout of byNode.values()) size += fanout.size
      return size
    },
    async listen(stream, listener) {
      const node = await nodeOf(options.keys(stream).channel, stream)
      let fanout = byNode.get(node)
      if (fanout === undefined) {
        fanout = createLiveFanout({
          ...options,
          subscriber: () => options.nodeSubscriber(node),
          sharded: true,
        })
        byNode.set(node, fanout)
      }
      return fanout.listen(stream, listener)
    },
    close() {
      closed = true
      for (const fanout of byNode.values()) fanout.close()
    },
  }

  // The node serving a channel's slot, once the cluster knows its slots.
  async function nodeOf(channel: string, stream: string): Promise<string> {
    const slot = keySlot(channel)
    const known = cluster.slots[slot]?.[0]
    if (known !== undefined) return known
    if (!closed && cluster.status !== 'ready') {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer)
          cluster.off('ready', done)
          resolve()
        }
        const timer = setTimeout(done, options.maxOutageMs)
        cluster.once('ready', done)
      })
    }
    const found = cluster.slots[slot]?.[0]
    if (found !== undefined && !closed) return found
    throw new RunstreamError(
      'store_failed',
      `Cannot follow stream "${stream}": no Redis Cluster node serves its slot ${slot} (the cluster is not reachable, or its slots are not all assigned). Check the cluster with \`redis-cli --cluster check\`.`,
      { details: { stream, slot } },
    )
  }
}
