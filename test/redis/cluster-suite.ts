import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll } from 'vitest'
import type { GapInfo, StreamManager, Subscription } from '../../src/index.js'
import { type RedisStore, type RedisStoreSettings, redisStore } from '../../src/redis.js'
import type { contractCatalog } from '../contract/transport.js'
import { type ClusterOptions, startCluster, type TestCluster } from './cluster.js'

/** The manager the cluster suites emit and follow through. */
export type Manager = StreamManager<typeof contractCatalog>

/**
 * What a cluster suite arranges its tests with. Everything it opens is closed after the test
 * that opened it, the last opened first.
 */
export interface ClusterSuite {
  /** The suite's cluster (started before its first test). */
  readonly cluster: TestCluster
  /** Runs `step` after the current test, before the steps registered earlier. */
  defer(step: () => Promise<void> | void): void
  /** A store on the cluster under `prefix`, with the suite's settings and then `settings`. */
  openStore(prefix: string, settings?: RedisStoreSettings): RedisStore
  /** A connection to node `index` alone (its errors ignored: it may outlive its node). */
  node(index: number): Redis
  /** How many subscribers shard channel `channel` has on node `index`. */
  shardSubscribers(index: number, channel: string): Promise<number>
  /** A follower of `stream` through `manager`, from its newest event or from `lastEventId`. */
  follow(manager: Manager, stream: string, lastEventId?: string): Follower
}

/** What a follower saw: the `n` of each note and each gap it was told of, until it ends. */
export interface Follower {
  readonly seen: (number | GapInfo)[]
  /** Settles when the subscription ends: rejects when it ended in error. */
  readonly done: Promise<void>
  /** How many notes it saw. */
  count(): number
  /** When the first note with an n above `n` was delivered (a `performance.now()`). */
  firstAfter(n: number): number | undefined
  gaps(): GapInfo[]
}

/**
 * Starts a cluster with `options` for the suite that calls this (its file), stops it after the
 * suite, and runs the steps each test deferred after that test. `settings` apply to every
 * store the suite opens.
 */
export function clusterSuite(
  options: ClusterOptions,
  settings: RedisStoreSettings = {},
): ClusterSuite {
  let cluster: TestCluster | undefined
  const cleanup: (() => Promise<void> | void)[] = []
  beforeAll(async () => {
    cluster = await startCluster(options)
  }, 60_000)
  afterAll(async () => {
    await cluster?.dispose()
  })
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step()
  })

  const started = (): TestCluster => {
    if (cluster === undefined) throw new Error('the cluster is not started yet (beforeAll)')
    return cluster
  }
  const defer = (step: () => Promise<void> | void) => {
    cleanup.push(step)
  }
  const node = (index: number): Redis => {
    const redis = new Redis(started().ports[index] as number, '127.0.0.1', {
      maxRetriesPerRequest: 0,
    })
    redis.on('error', () => {})
    defer(() => redis.disconnect())
    return redis
  }

  return {
    get cluster() {
      return started()
    },
    defer,
    node,
    openStore(prefix, own = {}) {
      const store = redisStore({
        cluster: started().urls,
        prefix,
        onError: () => {},
        ...settings,
        ...own,
      })
      defer(() => store.close())
      return store
    },
    async shardSubscribers(index, channel) {
      const reply = await node(index).call('PUBSUB', 'SHARDNUMSUB', channel)
      return (reply as [string, number])[1]
    },
    follow(manager, stream, lastEventId) {
      const seen: (number | GapInfo)[] = []
      const at = new Map<number, number>()
      const subscription: Subscription = manager.subscribe({
        stream,
        maxQueuedEvents: 10_000,
        onGap: (gap) => seen.push(gap),
        ...(lastEventId === undefined ? {} : { lastEventId }),
      })
      defer(() => subscription.close())
      const done = (async () => {
        for await (const event of subscription) {
          if (event.type === 'note') {
            const { n } = event.data as { n: number }
            seen.push(n)
            if (!at.has(n)) at.set(n, performance.now())
          }
        }
      })()
      const gaps = () => seen.filter((x): x is GapInfo => typeof x !== 'number')
      return {
        seen,
        done,
        count: () => seen.length - gaps().length,
        firstAfter: (n) => [...at].find(([m]) => m > n)?.[1],
        gaps,
      }
    },
  }
}
