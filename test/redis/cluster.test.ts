import { Cluster } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { createStreamManager, type GapInfo, type RunstreamError } from '../../src/index.js'
import { redisStore } from '../../src/redis.js'
import { storeContract } from '../contract/store.js'
import { contractCatalog } from '../contract/transport.js'
import { clusterSuite, type Manager } from './cluster-suite.js'
import { note, range } from './drafts.js'
import { uniquePrefix, waitUntil } from './helpers.js'

// The Redis store on a real Redis Cluster of three redis-server nodes (masters, no replicas) that
// this file starts on free ports and stops by pid. Nodes keep an append-only file fsynced at every
// write, so a node restarted in place keeps its streams (one test wipes it first).
const suite = clusterSuite({ nodes: 3, persist: true })
const { openStore, node, follow, defer } = suite

function emit(manager: Manager, stream: string, from: number, to: number): void {
  for (let n = from; n <= to; n++) manager.stream(stream).emit('note', { text: 'x', n })
}

// Every check of the store contract, each store under a prefix of its own.
storeContract('redis cluster', ({ maxEventsPerStream }) => {
  const prefix = uniquePrefix('cluster')
  const store = redisStore({
    cluster: suite.cluster.urls,
    prefix,
    maxEventsPerStream,
    onError: () => {},
  })
  return {
    store,
    close: () => store.close(),
    async forget(stream) {
      await store.client.del(`${prefix}{${stream}}:events`, `${prefix}{${stream}}:meta`)
    },
  }
})

describe('redisStore on a Redis Cluster', () => {
  it('spreads streams over the nodes, with the keys of each stream on one node', async () => {
    const prefix = uniquePrefix('spread')
    const store = openStore(prefix)
    const streams = range(1, 30).map((i) => `s${i}`)
    await Promise.all(streams.map((stream) => store.append(note(stream, 1))))
    const used = new Set<number>()
    for (const stream of streams) {
      const at = await suite.cluster.nodeOf(`${prefix}{${stream}}`)
      used.add(at)
      const keys = [`${prefix}{${stream}}:events`, `${prefix}{${stream}}:meta`]
      expect(await node(at).exists(...keys)).toBe(2)
    }
    expect(used.size).toBe(3)
  })

  it('delivers live through sharded pub/sub to another store, every event in order', async () => {
    const prefix = uniquePrefix('live')
    const producing: Manager = createStreamManager({
      catalog: contractCatalog,
      store: openStore(prefix),
    })
    const watcherStore = openStore(prefix)
    const watching: Manager = createStreamManager({ catalog: contractCatalog, store: watcherStore })
    const streams = range(1, 9).map((i) => `live-${i}`)
    const followers = streams.map((stream) => follow(watching, stream))
    await waitUntil(() => watcherStore.watching === streams.length, 10_000, 'the watches')
    // Each follower is a shard-channel subscriber on the node of its stream, none a plain one.
    const nodes = new Set<number>()
    for (const stream of streams) {
      const at = await suite.cluster.nodeOf(`${prefix}{${stream}}`)
      nodes.add(at)
      const redis = node(at)
      const channel = `${prefix}{${stream}}`
      expect(await redis.call('PUBSUB', 'SHARDNUMSUB', channel)).toEqual([channel, 1])
      expect(await redis.pubsub('NUMSUB', channel)).toEqual([channel, 0])
    }
    expect(nodes.size).toBe(3)
    for (let round = 0; round < 4; round++) {
      for (const stream of streams) emit(producing, stream, round * 50 + 1, round * 50 + 50)
      await producing.flush()
    }
    for (const stream of streams) producing.stream(stream).emit('done', { ok: true })
    await producing.flush()
    await Promise.all(followers.map((f) => f.done))
    for (const f of followers) expect(f.seen).toEqual(range(1, 200))
  })

  it('waits for a connecting cluster with one ready listener, however many streams it follows', async () => {
    const store = openStore(uniquePrefix('connecting'))
    const cluster = store.client as Cluster
    const before = cluster.listenerCount('ready')
    // Called before the cluster is up: every follow waits for its slot map.
    const listening = range(1, 20).map((i) => store.listen(`s${i}`, { event: () => {} }))
    expect(cluster.status).not.toBe('ready')
    expect(cluster.listenerCount('ready')).toBe(before + 1)
    const unlistens = await Promise.all(listening)
    expect(cluster.listenerCount('ready')).toBe(before)
    for (const unlisten of unlistens) unlisten()
  })

  it('ends the follows still waiting for a connecting cluster when the store closes', async () => {
    // Called before the cluster is up; the close ends them at once, not after maxOutageMs.
    const store = openStore(uniquePrefix('closing'))
    const outcomes = Promise.allSettled(
      range(1, 5).map((i) => store.listen(`s${i}`, { event: () => {} })),
    )
    await store.close()
    for (const outcome of await outcomes) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'store_failed' } })
    }
  })

  it('takes a Cluster of the caller only when it never resends a command, and leaves it open', async () => {
    const nodes = suite.cluster.ports.map((port) => ({ host: '127.0.0.1', port }))
    const careless = new Cluster(nodes, { lazyConnect: true })
    defer(() => careless.disconnect())
    expect(() => redisStore({ cluster: careless })).toThrow(/retryDelayOnFailover: 0/)
    const owned = new Cluster(nodes, {
      retryDelayOnFailover: 0,
      redisOptions: { maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false },
    })
    defer(() => owned.disconnect())
    const store = redisStore({ cluster: owned, prefix: uniquePrefix('owned') })
    expect((await store.append(note('s', 1))).envelope.id).toBe('1')
    await store.close()
    expect(await owned.ping()).toBe('PONG')
  })

  it('claims and cancels runs: the claim sits with its stream, the cancel reaches every store', async () => {
    const prefix = uniquePrefix('runs')
    const producer = openStore(prefix)
    const other = openStore(prefix)
    const heard: [string, string][] = []
    await producer.onCancel((stream, reason) => heard.push([stream, reason]))
    const streams = range(1, 6).map((i) => `run-${i}`)
    for (const stream of streams) expect(await producer.createRun(stream)).toBe(true)
    expect(await other.createRun('run-1')).toBe(false)
    for (const stream of streams) {
      const at = await suite.cluster.nodeOf(`${prefix}{${stream}}`)
      expect(await node(at).exists(`${prefix}{${stream}}:run`)).toBe(1)
      expect(await other.cancelRun(stream, 'stop')).toBe('running')
    }
    expect(await other.cancelRun('never-claimed', 'stop')).toBe('unknown')
    await waitUntil(() => heard.length === streams.length, 10_000, 'every cancellation')
    // Published on different nodes, they reach the subscriber's node in any order.
    expect([...heard].sort()).toEqual(streams.map((stream) => [stream, 'stop']))
  })

  it.each([
    ['with its data', false],
    ['empty', true],
  ])(
    'keeps a follower whole when the node holding its stream restarts %s, and reports each emit that was not stored',
    async (_, wipe) => {
      const prefix = uniquePrefix('restart')
      const errors: RunstreamError[] = []
      const settings = { maxOutageMs: 15_000, commandTimeoutMs: 2000 }
      const producing: Manager = createStreamManager({
        catalog: contractCatalog,
        store: openStore(prefix, settings),
        onError: (error) => errors.push(error),
      })
      const watching: Manager = createStreamManager({
        catalog: contractCatalog,
        store: openStore(prefix, settings),
      })
      const stream = 'restarted'
      const at = await suite.cluster.nodeOf(`${prefix}{${stream}}`)
      const f = follow(watching, stream)
      emit(producing, stream, 1, 50)
      await producing.flush()
      await waitUntil(() => f.count() === 50, 10_000, 'the first 50 events')

      await suite.cluster.stopNode(at)
      // Emitted while the node is down: each is stored (and delivered) or reported.
      emit(producing, stream, 51, 60)
      await suite.cluster.startNode(at, { wipe })
      await suite.cluster.waitHealthy()
      await producing.flush()
      emit(producing, stream, 101, 130)
      await producing.flush()
      producing.stream(stream).emit('done', { ok: true })
      await producing.flush()
      await f.done

      const delivered = f.seen.filter((x): x is number => typeof x === 'number')
      const gaps = f.seen.filter((x) => typeof x !== 'number')
      const failed = errors.filter((e) => e.code === 'store_failed').length
      const unknown = errors.filter((e) => e.code === 'store_unknown').length
      expect(errors.every((e) => e.code === 'store_failed' || e.code === 'store_unknown')).toBe(
        true,
      )
      // Every emit is delivered or reported (an unknown one may be either).
      const between = delivered.filter((n) => n >= 51 && n <= 60).length
      expect(between + failed).toBeLessThanOrEqual(10)
      expect(between + failed + unknown).toBeGreaterThanOrEqual(10)
      // In order, once each; what was emitted while the node was up all arrived.
      expect(delivered).toEqual([...new Set(delivered)].sort((a, b) => a - b))
      expect(delivered.filter((n) => n <= 50)).toEqual(range(1, 50))
      expect(delivered.filter((n) => n > 100)).toEqual(range(101, 130))
      if (wipe) {
        // Its events are gone with the node's data: the follower is told, before the new ones.
        expect(gaps).toEqual([expect.objectContaining({ reason: 'restarted' })])
        expect(f.seen.indexOf(gaps[0] as GapInfo)).toBeLessThan(f.seen.indexOf(101))
      } else {
        expect(gaps).toEqual([])
        // What the node holds is what the follower saw.
        const held = (await watching.store.read(stream, { limit: 1000 })).events
          .filter((r) => r.envelope.type === 'note')
          .map((r) => (r.envelope.data as { n: number }).n)
        expect(delivered).toEqual(held)
      }
    },
    60_000,
  )
})
