import type { Nodes } from './nodes.js'
import { ask, field, nodeLine, probeValue, until, waitValue } from './query.js'
import { type SlotMoves, slotKey } from './slots.js'

/** Which node replicates which, and promoting a replica. */
export interface Replication {
  /**
   * The node (index into `ports`) that replicates primary `index` now, as that primary says
   * (`undefined` when none does).
   */
  replicaOf(index: number): Promise<number | undefined>
  /** Waits until replica `index` has every write of its primary (same replication offset). */
  waitInSync(index: number, timeoutMs?: number): Promise<void>
  /**
   * Promotes replica `index` with `CLUSTER FAILOVER` (the graceful, manual failover: its primary
   * stops taking writes until the replica has them all), and waits until every live node names
   * it as the owner of its primary's slots.
   *
   * A failover asked for too soon after the last one of the same nodes is first delayed, by what
   * Redis requires: primaries refuse to vote about the same primary twice within two node
   * timeouts, and a replica elected less than four node timeouts (at least 4 s) before reuses
   * that election's state: it declares itself primary at once, with the old epoch, and is turned
   * back into a replica by the others (Redis 7.0), while its primary keeps writes paused for the
   * manual failover's 5 s. Back-and-forth failovers in quick succession (A to B, B to A, A to B)
   * meet both. It also waits until every node knows the replica as one (a node that still takes
   * it for a primary refuses its vote, and the election is tried again 4 node timeouts later).
   */
  failover(index: number): Promise<void>
}

/**
 * The replication helpers of `cluster`, run with `cluster-node-timeout`
 * `nodeTimeoutMs`; `waitOwner` tells when a promotion is known everywhere.
 */
export function createReplication(
  cluster: Pick<Nodes, 'ports' | 'live'>,
  nodeTimeoutMs: number,
  waitOwner: SlotMoves['waitOwner'],
): Replication {
  const { ports } = cluster
  // When each node (by index) was last elected primary, and when the primaries last voted about
  // each primary (for a replica of it), by `failover`.
  const electedAt = new Map<number, number>()
  const votedAbout = new Map<number, number>()
  /**
   * The replication state of replica `i` (`INFO replication`) when its link is up, and its
   * primary's once that primary's cluster view names it as its replica: a primary takes a manual
   * failover only from such a node (gossip, apart from replication).
   */
  const replicationOf = async (i: number) => {
    const replica = String(
      await ask(ports[i] as number, (redis) => redis.call('INFO', 'replication')),
    )
    const port = Number(field(replica, 'master_port'))
    if (field(replica, 'master_link_status') !== 'up' || !(port > 0)) return {}
    const [info, nodes] = await ask(port, (redis) =>
      Promise.all([redis.call('INFO', 'replication'), redis.call('CLUSTER', 'NODES')]),
    )
    const [, , , of] = nodeLine(String(nodes), ports[i] as number)
    const [id] = nodeLine(String(nodes), port)
    if (id === undefined || of !== id) return { replica }
    return { replica, primary: { port, id, info: String(info) } }
  }
  return {
    async replicaOf(i) {
      const reply = await ask(ports[i] as number, (redis) => redis.call('INFO', 'replication'))
      const port = /^slave0:ip=[^,]*,port=(\d+)/m.exec(String(reply))?.[1]
      return port === undefined ? undefined : ports.indexOf(Number(port))
    },
    async waitInSync(i, timeoutMs = 10_000) {
      await until(
        async () => {
          const { replica, primary } = await replicationOf(i)
          if (replica === undefined || primary === undefined) return false
          const theirs = /^master_repl_offset:(\d+)/m.exec(primary.info)?.[1]
          return theirs !== undefined && field(replica, 'slave_repl_offset') === theirs
        },
        timeoutMs,
        `replica ${ports[i]} to be in sync`,
      )
    },
    async failover(i) {
      const primary = await waitValue(
        async () => (await replicationOf(i)).primary,
        10_000,
        `the primary of ${ports[i]} to know it as its replica`,
      )
      const from = ports.indexOf(primary.port)
      const slot = await ask(ports[i] as number, async (redis) => {
        const ranges = (await redis.call('CLUSTER', 'SLOTS')) as [
          number,
          number,
          [string, number],
        ][]
        const owned = ranges.find(([, , [, port]]) => port === primary.port)
        if (owned === undefined)
          throw new Error(`node ${ports[i]} replicates no primary with slots`)
        // Redis refuses a failover too soon after the last one of the same nodes (see
        // `failover`'s doc): waited out first, or the next attempt misfires.
        const earliest = Math.max(
          (electedAt.get(i) ?? 0) + Math.max(4 * nodeTimeoutMs, 4000),
          (votedAbout.get(from) ?? 0) + 2 * nodeTimeoutMs,
        )
        await until(async () => Date.now() >= earliest, 30_000, 'the end of the last election')
        // Primaries vote only for a node they know as a replica: one that has not heard yet
        // that it was demoted denies its vote ("it is a master node"), and the election is tried
        // again 4 node timeouts later, the primary's writes paused meanwhile.
        await until(
          async () => {
            for (const [n, port] of ports.entries()) {
              if (!cluster.live(n)) continue
              const nodes = await probeValue(port, (r) => r.call('CLUSTER', 'NODES'))
              const [, , flags, of] = nodeLine(String(nodes), ports[i] as number)
              if (!flags?.split(',').includes('slave') || of !== primary.id) return false
            }
            return true
          },
          10_000,
          `every node to know ${ports[i]} as a replica`,
        )
        // Redis drops a manual failover that does not complete in time (its primary too slow to
        // answer, on a loaded machine): it is asked again then.
        await until(
          async () => {
            await redis.call('CLUSTER', 'FAILOVER')
            try {
              // Longer than Redis' own limit for a manual failover (5 s).
              await until(
                async () => String(await redis.call('ROLE')).startsWith('master'),
                6000,
                'the promotion',
              )
              return true
            } catch {
              return false
            }
          },
          30_000,
          `node ${ports[i]} to be promoted`,
        )
        // (The votes were given just before.)
        electedAt.set(i, Date.now())
        votedAbout.set(from, Date.now())
        return owned[0]
      })
      await waitOwner(slotKey(slot), i)
    },
  }
}
