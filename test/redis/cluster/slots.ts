import { Redis } from 'ioredis'
import { keySlot } from '../../../src/redis/slot.js'
import type { Nodes } from './nodes.js'
import { ask, probeValue, until } from './query.js'

/** Where the cluster's hash slots are, and moving one by hand. */
export interface SlotMoves {
  /** Which node (index into `ports`) serves the slot of `key`, as the cluster says now. */
  nodeOf(key: string): Promise<number>
  /**
   * Moves hash slot `slot` to node `toIndex` by hand, as `redis-cli --cluster reshard` does: the
   * target marks it IMPORTING and the owner MIGRATING, the slot's keys go over with `MIGRATE`
   * (a batch at a time, each batch atomic), then every node is told the new owner (`CLUSTER
   * SETSLOT <slot> NODE`, the target first). `midway` runs after the keys moved and before the
   * owner changes: the window in which the old owner still serves the slot's shard channels.
   * Resolves once every node agrees on the new owner.
   */
  migrateSlot(
    slot: number,
    toIndex: number,
    options?: { midway?: () => Promise<void> },
  ): Promise<void>
  /**
   * Waits until every live node (those not stopped) names node `index` as the owner of the slot
   * of `key`: after a failover, once the promotion is known everywhere.
   */
  waitOwner(key: string, index: number, timeoutMs?: number): Promise<void>
}

/** The slot helpers of the cluster of `nodes`. */
export function createSlotMoves(nodes: Pick<Nodes, 'ports' | 'live'>): SlotMoves {
  const { ports } = nodes
  return {
    async nodeOf(key) {
      const slot = keySlot(key)
      return ask(ports[0] as number, (redis) => ownerOf(redis, slot, ports))
    },
    async migrateSlot(slot, to, migrateOptions = {}) {
      const links = ports.map((port) => new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0 }))
      try {
        const ids = await Promise.all(
          links.map(async (link) => String(await link.call('CLUSTER', 'MYID'))),
        )
        const from = await ownerOf(links[0] as Redis, slot, ports)
        const source = links[from] as Redis
        const target = links[to] as Redis
        if (from === to) return
        await target.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', ids[from] as string)
        await source.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', ids[to] as string)
        for (;;) {
          const keys = (await source.call('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[]
          if (keys.length === 0) break
          await source.call(
            'MIGRATE',
            '127.0.0.1',
            ports[to] as number,
            '',
            0,
            5000,
            'KEYS',
            ...keys,
          )
        }
        await migrateOptions.midway?.()
        // The target first, so that the slot always has an owner that takes it.
        const order = [to, from, ...ports.keys()].filter((i, n, all) => all.indexOf(i) === n)
        for (const i of order) {
          await (links[i] as Redis).call('CLUSTER', 'SETSLOT', slot, 'NODE', ids[to] as string)
        }
        await until(
          async () => {
            for (const link of links) if ((await ownerOf(link, slot, ports)) !== to) return false
            return true
          },
          10_000,
          `every node to see slot ${slot} on node ${to}`,
        )
      } finally {
        for (const link of links) link.disconnect()
      }
    },
    async waitOwner(key, i, timeoutMs = 20_000) {
      const slot = keySlot(key)
      await until(
        async () => {
          for (const [n, port] of ports.entries()) {
            if (!nodes.live(n)) continue
            const owner = await probeValue(port, (redis) => ownerOf(redis, slot, ports))
            if (owner !== i) return false
          }
          return true
        },
        timeoutMs,
        `every node to name node ${ports[i]} as the owner of slot ${slot}`,
      )
    },
  }
}

// The node (index into `ports`) that `link`'s node says serves `slot`.
async function ownerOf(link: Redis, slot: number, ports: readonly number[]): Promise<number> {
  const ranges = (await link.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][]
  for (const [from, to, [, port]] of ranges) {
    if (slot >= from && slot <= to) return ports.indexOf(port)
  }
  throw new Error(`no node serves slot ${slot}`)
}

/** A key whose slot is `slot`: the first of `k0`, `k1`, … that hashes to it. */
export function slotKey(slot: number): string {
  for (let i = 0; ; i++) if (keySlot(`k${i}`) === slot) return `k${i}`
}
