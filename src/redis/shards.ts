import type { Cluster } from 'ioredis'
import { RunstreamError } from '../core/errors.js'
import type { StoreListener, Unlisten } from '../core/store.js'
import type { LiveFanout, WatchPosition } from './live.js'
import { closedError } from './live-errors.js'
import { delay } from './live-sync.js'
import { tellEvent } from './live-watch.js'
import { endFollow, type Follow, newFollow } from './shards-follow.js'
import { createNodeFanouts, type NodeFanoutsOptions } from './shards-nodes.js'
import { createClusterReadyWait } from './shards-ready.js'
import { createSlotRefresher, REFRESH_GAP_MS } from './shards-refresh.js'

/**
 * What the sharded fanout needs: the cluster, a subscriber per node (see
 * {@link NodeFanoutsOptions}), and the fanout's options.
 */
export interface ShardedFanoutOptions extends Omit<NodeFanoutsOptions, 'onMoved'> {
  readonly cluster: Cluster
}

/**
 * Live delivery over a Redis Cluster: a stream's channel is a shard channel (`SSUBSCRIBE`), which
 * only the node holding its slot serves, so each node that holds watched streams gets a subscriber
 * connection of its own, with the same fanout as a single Redis (one connection, many streams,
 * catching up from the store after each reconnection). A node restarted in place is one
 * reconnection of its subscriber; streams watched there catch up as with a single Redis.
 *
 * A slot that moves to another node (resharding) takes its watches along: the old node pushes an
 * unsubscribe (or answers MOVED), which makes the fanout refresh the cluster's slot map; after
 * every refresh (whoever asked for it), each watch whose slot is served by another node than its
 * registration's is continued there from the last id it delivered, through the store. A node
 * left with no slot and no watch (it failed over, or left the cluster) has its subscriber closed.
 *
 * This file holds the watches and their moves; a watch's record and its listeners are in
 * `shards-follow.ts`, the per-node fanouts and subscribers in `shards-nodes.ts`, the spaced slot refreshes in `shards-refresh.ts`, and the wait for the
 * cluster to connect in `shards-ready.ts`.
 */
export function createShardedFanout(options: ShardedFanoutOptions): LiveFanout {
  const { cluster } = options
  const follows = new Map<string, Follow>()
  let closed = false
  const refresher = createSlotRefresher(cluster)
  const requestRefresh = refresher.request
  const nodes = createNodeFanouts({ ...options, onMoved: requestRefresh })
  const clusterReady = createClusterReadyWait(cluster)
  cluster.on('refresh', relocate)

  return {
    get size() {
      let size = 0
      for (const follow of follows.values()) if (follow.subscribed) size++
      return size
    },
    position(stream) {
      const follow = follows.get(options.keys(stream).channel)
      if (follow?.node === undefined) return undefined
      return nodes.get(follow.node)?.position(stream)
    },
    async listen(stream, listener, from) {
      if (closed) throw closedError()
      const { channel } = options.keys(stream)
      let follow = follows.get(channel)
      if (follow === undefined) {
        const created = newFollow(stream, channel)
        follows.set(channel, created)
        created.ready = establish(created, from).catch((error: unknown) => {
          if (follows.get(channel) === created) follows.delete(channel)
          created.listeners.clear()
          throw error
        })
        follow = created
      }
      follow.listeners.add(listener)
      try {
        await follow.ready
      } catch (error) {
        follow.listeners.delete(listener)
        throw error
      }
      const registered = follow
      let stopped = false
      return () => {
        if (stopped) return
        stopped = true
        registered.listeners.delete(listener)
        if (registered.listeners.size > 0 || follows.get(channel) !== registered) return
        follows.delete(channel)
        registered.release?.()
        registered.release = undefined
      }
    },
    close() {
      closed = true
      cluster.off('refresh', relocate)
      refresher.close()
      clusterReady.close()
      for (const follow of [...follows.values()]) failFollow(follow, closedError())
      nodes.close()
    },
  }

  /**
   * Registers `follow` on the fanout of the node serving its slot, from `from` (or its newest
   * event). A registration refused because the slot moved meanwhile, or because the subscriber
   * connection dropped, is tried again on the node the refreshed slot map names, for up to
   * `maxOutageMs`.
   */
  async function establish(follow: Follow, from: WatchPosition | undefined): Promise<void> {
    const deadline = Date.now() + options.maxOutageMs
    for (;;) {
      const node = await nodeOf(follow)
      let release: Unlisten
      try {
        // The fanout sends its subscribe before its first await.
        const registering = nodes.of(node).listen(follow.stream, forwarder(follow), from)
        follow.subscribed = true
        release = await registering
      } catch (error) {
        if (!isCurrent(follow) || !isRetry(error) || Date.now() >= deadline) throw error
        requestRefresh()
        await delay(REFRESH_GAP_MS)
        if (!isCurrent(follow)) throw error
        continue
      }
      if (!isCurrent(follow)) {
        // Every listener left (or the store closed) meanwhile.
        release()
        return
      }
      follow.node = node
      follow.release = release
      return
    }
  }

  /** Continues `follow` on the node now serving its slot, from where it stands. */
  function move(follow: Follow): void {
    const node = follow.node
    const release = follow.release
    if (node === undefined || release === undefined) return
    const at = nodes.get(node)?.position(follow.stream)
    follow.node = undefined
    follow.release = undefined
    // Ended first, so that nothing more comes from the old node; the new registration reads
    // what followed `at` from the store before anything it receives live.
    release()
    if (at === undefined) {
      // Not reached: a registration ends only through its listener's `error` or our release.
      failFollow(follow, lostError(follow.stream))
      return
    }
    const from: WatchPosition = { lastId: at.lastId, epoch: at.epoch }
    establish(follow, from).catch((error: unknown) => {
      if (!isCurrent(follow)) return
      failFollow(follow, error)
    })
  }

  /** After each refresh of the slot map: moves the watches whose slot is served elsewhere now. */
  function relocate(): void {
    if (closed) return
    let stranded = false
    for (const follow of [...follows.values()]) {
      if (follow.node === undefined) continue
      const owner = cluster.slots[follow.slot]?.[0]
      const away = nodes.get(follow.node)?.position(follow.stream)?.away === true
      if (owner !== undefined && owner !== follow.node) move(follow)
      else if (away) {
        // Its node let it go, but the map still names that node: it may not be up to date yet.
        // Subscribing there again either holds (the slot came back) or answers MOVED.
        stranded = true
        move(follow)
      }
    }
    if (stranded) requestRefresh()
    // The nodes left with no slot and no watch (their watches just moved) are let go.
    nodes.retireIdle(cluster.slots)
  }

  function forwarder(follow: Follow): StoreListener {
    return {
      event: (record) => tellEvent(follow.listeners, record),
      error(error: unknown) {
        if (isCurrent(follow)) failFollow(follow, error)
      },
    }
  }

  function failFollow(follow: Follow, error: unknown): void {
    follows.delete(follow.channel)
    endFollow(follow, error)
  }

  function isCurrent(follow: Follow): boolean {
    return !closed && follows.get(follow.channel) === follow
  }

  // The node serving a stream's slot, once the cluster knows its slots.
  async function nodeOf(follow: Follow): Promise<string> {
    const { slot, stream } = follow
    const known = cluster.slots[slot]?.[0]
    if (known !== undefined) return known
    if (!closed && cluster.status !== 'ready') {
      await clusterReady.wait(options.maxOutageMs)
      if (closed) throw closedError()
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

// A registration refused for a reason that another attempt can cure (see live.ts).
function isRetry(error: unknown): boolean {
  return error instanceof RunstreamError && error.details?.retry === true
}

function lostError(stream: string): RunstreamError {
  return new RunstreamError(
    'store_failed',
    `Live delivery of stream "${stream}" stopped while its Redis Cluster slot moved. Subscribe again from the last id received.`,
    { details: { stream } },
  )
}
