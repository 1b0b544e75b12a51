import type { Cluster, Redis } from 'ioredis'
import type { EventRecord } from '../core/envelope.js'
import { RunstreamError } from '../core/errors.js'
import type { StoreListener, Unlisten } from '../core/store.js'
import {
  createLiveFanout,
  type LiveFanout,
  type LiveFanoutOptions,
  type WatchPosition,
} from './live.js'
import { closedError } from './live-errors.js'
import { delay } from './live-sync.js'
import { keySlot, slotPrimaries } from './slot.js'

/** What the sharded fanout needs: the cluster, a subscriber per node, and the fanout's options. */
export interface ShardedFanoutOptions
  extends Omit<LiveFanoutOptions, 'subscriber' | 'sharded' | 'onMoved'> {
  readonly cluster: Cluster
  /** The subscriber connection to a node (`host:port`), opened on first use. */
  nodeSubscriber(node: string): Redis
  /**
   * Closes the subscriber connection to a node (`host:port`) that serves no slot and holds no
   * watch: the next {@link ShardedFanoutOptions.nodeSubscriber} call for it opens a fresh one.
   */
  retireSubscriber(node: string): void
}

/**
 * One watched stream of the process: its listeners, and the registration that feeds them, on
 * the fanout of the node serving its slot. When the slot moves, the registration is ended and
 * another begins on the new node from where the first stopped, so the listeners never see it.
 */
interface Follow {
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

// The least time between two slot refreshes this fanout asks for, so that a burst of pushed
// unsubscribes (one per channel of a moved slot) costs one refresh.
const REFRESH_GAP_MS = 100

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
 */
export function createShardedFanout(options: ShardedFanoutOptions): LiveFanout {
  const { cluster } = options
  const byNode = new Map<string, LiveFanout>()
  const follows = new Map<string, Follow>()
  let closed = false
  let refreshTimer: ReturnType<typeof setTimeout> | undefined
  let lastRefreshAt = 0
  // Follows that wait for the cluster to connect share one 'ready' listener, however many they are.
  let readyWait: { promise: Promise<void>; settle(): void } | undefined
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
      return byNode.get(follow.node)?.position(stream)
    },
    async listen(stream, listener, from) {
      if (closed) throw closedError()
      const { channel } = options.keys(stream)
      let follow = follows.get(channel)
      if (follow === undefined) {
        const created: Follow = {
          stream,
          channel,
          slot: keySlot(channel),
          listeners: new Set(),
          node: undefined,
          release: undefined,
          subscribed: false,
          ready: Promise.resolve(),
        }
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
      if (refreshTimer !== undefined) clearTimeout(refreshTimer)
      refreshTimer = undefined
      readyWait?.settle()
      for (const follow of [...follows.values()]) failFollow(follow, closedError())
      for (const fanout of byNode.values()) fanout.close()
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
        const registering = fanoutOf(node).listen(follow.stream, forwarder(follow), from)
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
    const at = byNode.get(node)?.position(follow.stream)
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
      const away = byNode.get(follow.node)?.position(follow.stream)?.away === true
      if (owner !== undefined && owner !== follow.node) move(follow)
      else if (away) {
        // Its node let it go, but the map still names that node: it may not be up to date yet.
        // Subscribing there again either holds (the slot came back) or answers MOVED.
        stranded = true
        move(follow)
      }
    }
    if (stranded) requestRefresh()
    retireIdle()
  }

  /**
   * Closes the fanout and subscriber of each node that the slot map no longer names as a primary
   * and that holds no watch (its watches just moved): a node that failed over and never comes
   * back would otherwise be reconnected to about once a second until the store closes. If it
   * comes back as a primary, the next watch of one of its slots opens a fresh subscriber.
   */
  function retireIdle(): void {
    const serving = slotPrimaries(cluster.slots)
    // A map with no slot is no map (the cluster is out of reach): nothing to judge by.
    if (serving.size === 0) return
    for (const [node, fanout] of byNode) {
      if (serving.has(node) || fanout.size > 0) continue
      byNode.delete(node)
      fanout.close()
      options.retireSubscriber(node)
    }
  }

  /** Asks the cluster for a fresh slot map, at most once per {@link REFRESH_GAP_MS}. */
  function requestRefresh(): void {
    if (closed || refreshTimer !== undefined) return
    const wait = Math.max(0, lastRefreshAt + REFRESH_GAP_MS - Date.now())
    refreshTimer = setTimeout(() => {
      refreshTimer = undefined
      if (closed) return
      lastRefreshAt = Date.now()
      // Emits 'refresh' on success, which relocates; a failure leaves the next signal to retry.
      cluster.refreshSlotsCache()
    }, wait)
    ;(refreshTimer as { unref?: () => void }).unref?.()
  }

  function forwarder(follow: Follow): StoreListener {
    return {
      event(record: EventRecord) {
        for (const listener of follow.listeners) {
          try {
            listener.event(record)
          } catch {
            // A listener's failure is its own; the others still get the event.
          }
        }
      },
      error(error: unknown) {
        if (isCurrent(follow)) failFollow(follow, error)
      },
    }
  }

  function failFollow(follow: Follow, error: unknown): void {
    follows.delete(follow.channel)
    follow.release?.()
    follow.release = undefined
    const listeners = [...follow.listeners]
    follow.listeners.clear()
    for (const listener of listeners) {
      try {
        listener.error?.(error)
      } catch {
        // Nothing more to tell a listener whose error handler throws.
      }
    }
  }

  function isCurrent(follow: Follow): boolean {
    return !closed && follows.get(follow.channel) === follow
  }

  function fanoutOf(node: string): LiveFanout {
    let fanout = byNode.get(node)
    if (fanout === undefined) {
      fanout = createLiveFanout({
        ...options,
        subscriber: () => options.nodeSubscriber(node),
        sharded: true,
        onMoved: requestRefresh,
      })
      byNode.set(node, fanout)
    }
    return fanout
  }

  // The node serving a stream's slot, once the cluster knows its slots.
  async function nodeOf(follow: Follow): Promise<string> {
    const { slot, stream } = follow
    const known = cluster.slots[slot]?.[0]
    if (known !== undefined) return known
    if (!closed && cluster.status !== 'ready') {
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([
        clusterReady(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, options.maxOutageMs)
        }),
      ])
      clearTimeout(timer)
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

  // Settles when the cluster is ready, or the fanout closes. One listener serves every caller.
  function clusterReady(): Promise<void> {
    if (readyWait !== undefined) return readyWait.promise
    let resolve = () => {}
    const promise = new Promise<void>((settled) => {
      resolve = settled
    })
    const settle = () => {
      cluster.off('ready', settle)
      readyWait = undefined
      resolve()
    }
    cluster.on('ready', settle)
    readyWait = { promise, settle }
    return promise
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
