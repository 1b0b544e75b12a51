import { Cluster, Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { createStreamManager, type RunstreamError } from '../../src/index.js'
import type { LiveFanout } from '../../src/redis/live.js'
import { decodePage, READ_SCRIPT, streamKeys } from '../../src/redis/scripts.js'
import { createShardedFanout } from '../../src/redis/shards.js'
import { keySlot } from '../../src/redis/slot.js'
import type { RedisStore } from '../../src/redis.js'
import { contractCatalog } from '../contract/transport.js'
import { waitFor } from '../helpers/wait.js'
import { clusterSuite, type Manager } from './cluster-suite.js'
import { note, range, recorder } from './drafts.js'
import { uniquePrefix, waitUntil } from './helpers.js'
import { IOREDIS_MAJOR } from './ioredis.js'

// Resharding under watched streams, on a real Redis Cluster of three redis-server nodes that this
// file starts on free ports and stops by pid: a slot is moved by hand (`migrateSlot`) while a
// process follows streams in it, and each follower must see every event once, in order, from
// the slot's new node.
const suite = clusterSuite({ nodes: 3 })
const { openStore, follow, shardSubscribers, defer } = suite

describe('redisStore on a Redis Cluster whose slots move', () => {
  it('moves a follower with its stream when the slot goes to another node: every event once, in order', async () => {
    const prefix = uniquePrefix('reshard')
    const errors: RunstreamError[] = []
    const producing: Manager = createStreamManager({
      catalog: contractCatalog,
      store: openStore(prefix),
      onError: (error) => errors.push(error),
    })
    const reported: RunstreamError[] = []
    const watcherStore = openStore(prefix, { onError: (error) => reported.push(error) })
    const watching: Manager = createStreamManager({ catalog: contractCatalog, store: watcherStore })
    const stream = 'moving'
    const channel = `${prefix}{${stream}}`
    const from = await suite.cluster.nodeOf(channel)
    const to = (from + 1) % 3
    // A stream that stays: on the same node, in another slot, followed by the same subscriber.
    const staying = await streamOn(prefix, from, [keySlot(channel)])
    const f = follow(watching, stream)
    const g = follow(watching, staying)
    await waitUntil(() => watcherStore.watching === 2, 10_000, 'both watches')

    const producer = produce(producing, [stream, staying])
    await waitUntil(() => f.count() >= 20 && g.count() >= 20, 10_000, 'events before the move')
    await suite.cluster.migrateSlot(keySlot(channel), to)
    const movedAt = producer.sent()
    await waitUntil(() => f.count() >= movedAt + 20, 15_000, 'events after the move')
    // The watch now sits on the new owner's subscriber, and on no other node.
    expect(await shardSubscribers(to, channel)).toBe(1)
    expect(await shardSubscribers(from, channel)).toBe(0)
    expect(await shardSubscribers(from, `${prefix}{${staying}}`)).toBe(1)
    await producer.stop()
    const total = producer.sent()
    await Promise.all([f.done, g.done])
    expect(errors).toEqual([])
    expect(f.seen).toEqual(range(1, total))
    expect(g.seen).toEqual(range(1, total))
    // A slot that moves is not an outage.
    expect(reported).toEqual([])
  }, 60_000)

  it('moves a follower that started while its slot was being migrated', async () => {
    const prefix = uniquePrefix('midway')
    const errors: RunstreamError[] = []
    const producing: Manager = createStreamManager({
      catalog: contractCatalog,
      store: openStore(prefix),
      onError: (error) => errors.push(error),
    })
    const watcherStore = openStore(prefix)
    const watching: Manager = createStreamManager({ catalog: contractCatalog, store: watcherStore })
    const stream = 'midway'
    const channel = `${prefix}{${stream}}`
    const from = await suite.cluster.nodeOf(channel)
    const to = (from + 2) % 3
    const producer = produce(producing, [stream])
    await waitUntil(() => producer.sent() >= 20, 10_000, 'the first events')
    let f: ReturnType<typeof follow> | undefined
    await suite.cluster.migrateSlot(keySlot(channel), to, {
      // The keys are on the new node, the old one still serves the channel.
      async midway() {
        const started = producer.sent()
        f = follow(watching, stream)
        await waitUntil(() => watcherStore.watching === 1, 10_000, 'the watch')
        await waitUntil(() => producer.sent() >= started + 10, 10_000, 'events during the move')
      },
    })
    const movedAt = producer.sent()
    const follower = f as ReturnType<typeof follow>
    await waitUntil(() => follower.count() >= movedAt + 10, 15_000, 'events after the move')
    await producer.stop()
    await follower.done
    expect(errors).toEqual([])
    expect(follower.seen).toEqual(range(1, producer.sent()))
    // Ended with its stream: unsubscribed from the node it moved to.
    expect(await shardSubscribers(to, channel)).toBe(0)
  }, 60_000)
  it('loses nothing when the pushed sunsubscribe comes while an SSUBSCRIBE waits for its reply (ioredis 5: out of step, recycled)', async () => {
    const prefix = uniquePrefix('step')
    const producer = openStore(prefix)
    const h = shardedFanout(prefix)
    const moving = 'moving'
    const channel = `${prefix}{${moving}}`
    const from = await suite.cluster.nodeOf(channel)
    const to = (from + 1) % 3
    // Two streams that stay on the old node, in slots of their own (a resubscription sends one
    // SSUBSCRIBE per slot).
    const staying = await streamOn(prefix, from, [keySlot(channel)])
    const late = await streamOn(prefix, from, [keySlot(channel), keySlot(`${prefix}{${staying}}`)])
    const streams = [moving, staying, late]
    const listeners = new Map(streams.map((stream) => [stream, recorder()]))
    const listen = (stream: string) => h.fanout.listen(stream, listeners.get(stream) as never)
    await listen(moving)
    await listen(staying)
    const appending = appendSteadily(producer, streams)
    await (listeners.get(moving) as ReturnType<typeof recorder>).waitFor(10)
    const sub = h.subscriberOf(suite.cluster.urls[from] as string)
    const readies = h.readies(sub)

    // The old node's pushed sunsubscribe waits unread while an SSUBSCRIBE is sent after it:
    // ioredis 5 takes the push for that command's reply, and the real reply matches no command,
    // so the store recycles the subscriber. ioredis 6 tells the push apart (a `moved` event, with
    // no channel named): the store asks the node which channels it let go, with no reconnection.
    sub.stream.pause()
    await suite.cluster.migrateSlot(keySlot(channel), to)
    const starting = listen(late)
    await waitFor(() => commandsWaiting(sub) === 1, 10_000, 'the SSUBSCRIBE to be sent')
    sub.stream.resume()
    await starting
    if (IOREDIS_MAJOR === 5) {
      await waitFor(() => h.readies(sub) > readies, 10_000, 'the subscriber to be recycled')
    }

    const movedAt = appending.sent()
    for (const stream of streams) {
      await (listeners.get(stream) as ReturnType<typeof recorder>).waitFor(movedAt + 10, 15_000)
    }
    await appending.stop()
    const total = appending.sent()
    for (const [stream, listener] of listeners) {
      // The late one holds events from its first id (it has some by now) to `total`.
      const first = stream === late ? (listener.ids()[0] as number) : 1
      await listener.waitFor(total - first + 1, 15_000)
      const ids = listener.ids()
      // In order, once each, with no hole; the late one from where it started.
      expect(ids).toEqual(range(ids[0] as number, total))
      if (stream !== late) expect(ids[0]).toBe(1)
      expect(listener.errors).toEqual([])
    }
    expect(await shardSubscribers(to, channel)).toBe(1)
    expect(await shardSubscribers(from, channel)).toBe(0)
    if (IOREDIS_MAJOR >= 6) expect(h.readies(sub)).toBe(readies)
  }, 60_000)

  it('moves a follower whose node let it go while the slot map still names that node', async () => {
    const prefix = uniquePrefix('stalemap')
    const producer = openStore(prefix)
    const h = shardedFanout(prefix)
    const moving = 'moving'
    const channel = `${prefix}{${moving}}`
    const from = await suite.cluster.nodeOf(channel)
    const to = (from + 2) % 3
    const staying = await streamOn(prefix, from, [keySlot(channel)])
    const listeners = new Map([moving, staying].map((stream) => [stream, recorder()]))
    for (const [stream, listener] of listeners) await h.fanout.listen(stream, listener)
    const appending = appendSteadily(producer, [moving, staying])
    const movingListener = listeners.get(moving) as ReturnType<typeof recorder>
    await movingListener.waitFor(10)

    // Every slot-map refresh the fanout asks for answers with the map it had: the node that let
    // the channel go is still named as its owner (as when the refresh asks a node that has not
    // heard of the move yet).
    const stale = holdSlotMap(h.cluster)
    await suite.cluster.migrateSlot(keySlot(channel), to)
    // The fanout keeps asking, instead of leaving the follower on a node that sends it nothing.
    await waitFor(() => stale.asked() >= 3, 10_000, 'the fanout to ask for the slot map again')
    stale.release()

    const movedAt = appending.sent()
    await movingListener.waitFor(movedAt + 10, 15_000)
    await appending.stop()
    const total = appending.sent()
    for (const listener of listeners.values()) {
      await listener.waitFor(total, 15_000)
      expect(listener.ids()).toEqual(range(1, total))
      expect(listener.errors).toEqual([])
    }
    expect(await shardSubscribers(to, channel)).toBe(1)
    expect(await shardSubscribers(from, channel)).toBe(0)
  }, 60_000)

  it('follows a stream whose slot moved before the process noticed (SSUBSCRIBE answered MOVED)', async () => {
    const prefix = uniquePrefix('stale')
    const producer = openStore(prefix)
    const h = shardedFanout(prefix)
    const stream = 'stale'
    const channel = `${prefix}{${stream}}`
    await producer.append(note(stream, 1))
    await h.ready()
    const from = await suite.cluster.nodeOf(channel)
    const to = (from + 2) % 3
    await suite.cluster.migrateSlot(keySlot(channel), to)
    // Its slot map still names the old node.
    expect(h.cluster.slots[keySlot(channel)]?.[0]).toBe(
      suite.cluster.urls[from]?.slice('redis://'.length),
    )
    const listener = recorder()
    await h.fanout.listen(stream, listener)
    expect(await shardSubscribers(to, channel)).toBe(1)
    await producer.append(note(stream, 2))
    await listener.waitFor(1)
    expect(listener.ids()).toEqual([2])
  }, 60_000)
})

/**
 * A producer that emits `note`s with n = 1, 2, … to each of `streams` steadily (one batch per
 * round trip) until stopped, then ends them with `done`.
 */
function produce(manager: Manager, streams: readonly string[]) {
  let n = 0
  let stopping = false
  const running = (async () => {
    while (!stopping) {
      n++
      for (const stream of streams) manager.stream(stream).emit('note', { text: 'x', n })
      await manager.flush()
    }
    for (const stream of streams) manager.stream(stream).emit('done', { ok: true })
    await manager.flush()
  })()
  return {
    sent: () => n,
    async stop() {
      stopping = true
      await running
    },
  }
}

// A stream name of `prefix` whose slot is on node `index` and is none of `notSlots`.
async function streamOn(prefix: string, index: number, notSlots: number[]): Promise<string> {
  for (let i = 0; ; i++) {
    const name = `other-${i}`
    const channel = `${prefix}{${name}}`
    if (!notSlots.includes(keySlot(channel)) && (await suite.cluster.nodeOf(channel)) === index) {
      return name
    }
  }
}

/** Appends `note`s with n = 1, 2, … to each of `streams` through `store`, until stopped. */
function appendSteadily(store: RedisStore, streams: readonly string[]) {
  let n = 0
  let stopping = false
  const running = (async () => {
    while (!stopping) {
      n++
      await Promise.all(streams.map((stream) => store.append(note(stream, n))))
    }
  })()
  return {
    sent: () => n,
    async stop() {
      stopping = true
      await running
    },
  }
}

/**
 * The sharded fanout alone, on a Cluster of its own, with its subscriber connections in reach
 * (the store keeps them private).
 */
function shardedFanout(prefix: string) {
  const command = new Cluster(
    suite.cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
    {
      retryDelayOnFailover: 0,
      redisOptions: { maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false },
    },
  )
  const subscribers = new Map<string, Redis>()
  const readyCounts = new Map<Redis, number>()
  const keys = (stream: string) => streamKeys(prefix, stream)
  const fanout: LiveFanout = createShardedFanout({
    cluster: command,
    keys,
    nodeSubscriber(at) {
      const [host, port] = at.split(':') as [string, string]
      const sub = new Redis({
        host,
        port: Number(port),
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
        autoResubscribe: false,
        retryStrategy: () => 50,
      })
      sub.on('error', () => {})
      readyCounts.set(sub, 0)
      sub.on('ready', () => readyCounts.set(sub, (readyCounts.get(sub) ?? 0) + 1))
      subscribers.set(at, sub)
      return sub
    },
    retireSubscriber(at) {
      subscribers.get(at)?.disconnect()
      subscribers.delete(at)
    },
    async head(stream) {
      const [seq, epoch] = await command.hmget(keys(stream).meta, 'seq', 'ep')
      return { id: Number(seq ?? 0), epoch: epoch ?? undefined }
    },
    async readPage(stream, after, limit, epoch) {
      const k = keys(stream)
      const reply = await command.eval(
        READ_SCRIPT,
        2,
        k.events,
        k.meta,
        after,
        limit,
        1000,
        epoch ?? '',
      )
      return decodePage(reply, limit)
    },
    maxOutageMs: 10_000,
    maxBuffered: 10_000,
  })
  defer(() => {
    fanout.close()
    for (const sub of subscribers.values()) sub.disconnect()
    command.disconnect()
  })
  return {
    fanout,
    cluster: command,
    ready: () => waitFor(() => command.status === 'ready', 10_000, 'the cluster'),
    /** The subscriber of node `url` (`redis://host:port`), once opened. */
    subscriberOf(url: string): Redis {
      const sub = subscribers.get(url.slice('redis://'.length))
      if (sub === undefined) throw new Error(`no subscriber for ${url}`)
      return sub
    },
    readies: (sub: Redis) => readyCounts.get(sub) ?? 0,
  }
}

/**
 * Makes `cluster`'s slot refreshes keep the map it has (each still emits `refresh`), until
 * released; counts the refreshes asked for meanwhile.
 */
function holdSlotMap(cluster: Cluster) {
  const refresh = cluster.refreshSlotsCache.bind(cluster)
  let held = true
  let asked = 0
  cluster.refreshSlotsCache = (callback?: Parameters<Cluster['refreshSlotsCache']>[0]) => {
    if (!held) return refresh(callback)
    asked++
    cluster.emit('refresh')
    callback?.()
  }
  return {
    asked: () => asked,
    release() {
      held = false
    },
  }
}

// How many commands of `sub` wait for their reply (ioredis' queue, not part of its types).
function commandsWaiting(sub: Redis): number {
  return (sub as unknown as { commandQueue: { length: number } }).commandQueue.length
}
