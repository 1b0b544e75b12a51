import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { keySlot } from '../../src/redis/slot.js'
import { waitFor } from '../helpers/wait.js'

const run = promisify(execFile)

/**
 * A Redis Cluster of `redis-server` processes on 127.0.0.1, started by a test (or the bench) and
 * stopped by it, by pid: only `redis-server` and `redis-cli` need to be installed.
 */
export interface TestCluster {
  /** The nodes' client ports, in the order they were created. */
  readonly ports: readonly number[]
  /** `redis://127.0.0.1:<port>` of each node: the startup nodes to give the store. */
  readonly urls: readonly string[]
  /** Which node (index into `ports`) serves the slot of `key`, as the cluster says now. */
  nodeOf(key: string): Promise<number>
  /** Stops node `index` with SIGKILL (no save), and waits until it is gone. */
  stopNode(index: number): Promise<void>
  /**
   * Starts node `index` again on its port, with its nodes.conf, and waits until it answers. With
   * `wipe`, its data files go first: it comes back empty, as a node without persistence would.
   */
  startNode(index: number, options?: { wipe?: boolean }): Promise<void>
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
  /** Waits until every node reports `cluster_state:ok`. */
  waitHealthy(timeoutMs?: number): Promise<void>
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
  /**
   * Waits until every live node (those not stopped) names node `index` as the owner of the slot
   * of `key`: after a failover, once the promotion is known everywhere.
   */
  waitOwner(key: string, index: number, timeoutMs?: number): Promise<void>
  /** Suspends node `index` (SIGSTOP): it keeps its sockets but reads nothing. */
  pauseNode(index: number): void
  /** Resumes a node suspended with {@link TestCluster.pauseNode} (SIGCONT). */
  resumeNode(index: number): void
  /** Stops every node and removes their files. */
  dispose(): Promise<void>
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Primaries (masters). @defaultValue 3 */
  nodes?: number
  /**
   * Replicas, one each for the first primaries (replica `i` of primary `i`), as nodes that come
   * after the primaries in `ports`. A replica is elected primary whatever its data's age
   * (`cluster-replica-validity-factor 0`), so a test may suspend it first. @defaultValue 0
   */
  replicas?: number
  /** Keep an append-only file fsynced at every write, so a restarted node keeps its streams. */
  persist?: boolean
  /**
   * `cluster-node-timeout`: how long a node may not answer before it is failed (and its replica
   * promoted). @defaultValue 3000
   */
  nodeTimeoutMs?: number
}

/**
 * Starts a cluster of `nodes` masters on free ports (client port and bus port each), joins them
 * with `redis-cli --cluster create`, adds the `replicas` (`redis-cli --cluster add-node
 * --cluster-slave`), and waits until it is healthy and every replica is in sync. Nodes are
 * started with `cluster-require-full-coverage no`, so the others keep serving while one is down.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const primaries = options.nodes ?? 3
  const replicas = options.replicas ?? 0
  if (replicas > primaries) throw new TypeError('startCluster: at most one replica per primary')
  const count = primaries + replicas
  const dir = mkdtempSync(join(tmpdir(), 'runstream-cluster-'))
  const ports: number[] = []
  const busPorts: number[] = []
  for (let i = 0; i < count; i++) {
    ports.push(await freePort(ports, busPorts))
    busPorts.push(await freePort(ports, busPorts))
  }
  const children: (ChildProcess | undefined)[] = ports.map(() => undefined)
  const paused = new Set<number>()
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 3000
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
  const argsOf = (i: number) => {
    const nodeDir = join(dir, `node-${i}`)
    mkdirSync(nodeDir, { recursive: true })
    return [
      '--port',
      String(ports[i]),
      '--cluster-port',
      String(busPorts[i]),
      '--bind',
      '127.0.0.1',
      '--dir',
      nodeDir,
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-node-timeout',
      String(options.nodeTimeoutMs ?? 3000),
      '--cluster-replica-validity-factor',
      '0',
      // A replica (re)joining gets its first copy at once, not after the default 5 s wait.
      '--repl-diskless-sync-delay',
      '0',
      '--cluster-require-full-coverage',
      'no',
      '--save',
      '',
      '--logfile',
      join(nodeDir, 'redis.log'),
      ...(options.persist
        ? ['--appendonly', 'yes', '--appendfsync', 'always']
        : ['--appendonly', 'no']),
    ]
  }
  const cluster: TestCluster = {
    ports,
    urls: ports.map((port) => `redis://127.0.0.1:${port}`),
    async nodeOf(key) {
      const slot = keySlot(key)
      const redis = new Redis(ports[0] as number, '127.0.0.1', { maxRetriesPerRequest: 0 })
      try {
        const ranges = (await redis.call('CLUSTER', 'SLOTS')) as [
          number,
          number,
          [string, number],
        ][]
        for (const [from, to, [, port]] of ranges) {
          if (slot >= from && slot <= to) return ports.indexOf(port)
        }
        throw new Error(`no node serves slot ${slot}`)
      } finally {
        redis.disconnect()
      }
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
    async stopNode(i) {
      const child = children[i]
      children[i] = undefined
      paused.delete(i)
      if (child === undefined || child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    },
    async startNode(i, startOptions = {}) {
      if (children[i] !== undefined) return
      if (startOptions.wipe) {
        for (const file of ['appendonlydir', 'dump.rdb']) {
          rmSync(join(dir, `node-${i}`, file), { recursive: true, force: true })
        }
      }
      children[i] = spawn('redis-server', argsOf(i), { stdio: 'ignore' })
      await until(() => ping(ports[i] as number), 10_000, `node ${ports[i]} to answer PING`)
    },
    async waitHealthy(timeoutMs = 20_000) {
      await until(
        async () => {
          for (const port of ports) {
            if (!(await clusterOk(port))) return false
          }
          return true
        },
        timeoutMs,
        'every cluster node to report cluster_state:ok',
      )
    },
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
              if (children[n] === undefined || paused.has(n)) continue
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
      await cluster.waitOwner(slotKey(slot), i)
    },
    async waitOwner(key, i, timeoutMs = 20_000) {
      const slot = keySlot(key)
      await until(
        async () => {
          for (const [n, port] of ports.entries()) {
            if (children[n] === undefined || paused.has(n)) continue
            const owner = await probeValue(port, (redis) => ownerOf(redis, slot, ports))
            if (owner !== i) return false
          }
          return true
        },
        timeoutMs,
        `every node to name node ${ports[i]} as the owner of slot ${slot}`,
      )
    },
    pauseNode(i) {
      if (children[i]?.kill('SIGSTOP')) paused.add(i)
    },
    resumeNode(i) {
      if (paused.delete(i)) children[i]?.kill('SIGCONT')
    },
    async dispose() {
      for (const i of paused) children[i]?.kill('SIGCONT')
      paused.clear()
      for (let i = 0; i < count; i++) await cluster.stopNode(i)
      rmSync(dir, { recursive: true, force: true })
    },
  }
  try {
    for (let i = 0; i < count; i++) await cluster.startNode(i)
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.slice(0, primaries).map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ])
    for (let r = 0; r < replicas; r++) {
      const id = await ask(ports[r] as number, (redis) => redis.call('CLUSTER', 'MYID'))
      await run('redis-cli', [
        '--cluster',
        'add-node',
        `127.0.0.1:${ports[primaries + r]}`,
        `127.0.0.1:${ports[0]}`,
        '--cluster-slave',
        '--cluster-master-id',
        String(id),
      ])
    }
    await cluster.waitHealthy()
    for (let r = 0; r < replicas; r++) {
      await until(
        async () => (await cluster.replicaOf(r)) === primaries + r,
        20_000,
        `node ${ports[primaries + r]} to replicate node ${ports[r]}`,
      )
      await cluster.waitInSync(primaries + r)
    }
  } catch (error) {
    await cluster.dispose()
    throw error
  }
  return cluster
}

// The node (index into `ports`) that `link`'s node says serves `slot`.
async function ownerOf(link: Redis, slot: number, ports: readonly number[]): Promise<number> {
  const ranges = (await link.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][]
  for (const [from, to, [, port]] of ranges) {
    if (slot >= from && slot <= to) return ports.indexOf(port)
  }
  throw new Error(`no node serves slot ${slot}`)
}

// A field of an `INFO` reply.
function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1]
}

// The fields of the line of `CLUSTER NODES` about the node on `port`: id, address, flags, the id
// of its primary ("-" for a primary), …; none when it is not listed.
function nodeLine(nodes: string, port: number): string[] {
  const line = nodes.split('\n').find((l) => l.split(' ')[1]?.startsWith(`127.0.0.1:${port}@`))
  return line === undefined ? [] : line.split(' ')
}

// A key whose slot is `slot` (its own name, when none is shorter to find).
function slotKey(slot: number): string {
  for (let i = 0; ; i++) if (keySlot(`k${i}`) === slot) return `k${i}`
}

/** Runs `command` on the node on `port`, on a connection of its own. */
async function ask<T>(port: number, command: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0 })
  try {
    return await command(redis)
  } finally {
    redis.disconnect()
  }
}

/** Like {@link ask}, or `undefined` when the node does not answer. */
async function probeValue<T>(
  port: number,
  command: (redis: Redis) => Promise<T>,
): Promise<T | undefined> {
  let value: T | undefined
  const answered = await probe(port, async (redis) => {
    value = await command(redis)
    return true
  })
  return answered ? value : undefined
}

async function clusterOk(port: number): Promise<boolean> {
  return probe(port, async (redis) =>
    String(await redis.call('CLUSTER', 'INFO')).includes('cluster_state:ok'),
  )
}

async function ping(port: number): Promise<boolean> {
  return probe(port, async (redis) => (await redis.ping()) === 'PONG')
}

/** Asks the node on `port` once, on a connection of its own: false when it does not answer. */
async function probe(port: number, ask: (redis: Redis) => Promise<boolean>): Promise<boolean> {
  const redis = new Redis(port, '127.0.0.1', {
    maxRetriesPerRequest: 0,
    lazyConnect: true,
    retryStrategy: () => null,
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
    return await ask(redis)
  } catch {
    return false
  } finally {
    redis.disconnect()
  }
}

/** Waits until `value` gives something other than `undefined`, and returns it. */
async function waitValue<T>(
  value: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  let found: T | undefined
  await until(
    async () => {
      found = await value()
      return found !== undefined
    },
    timeoutMs,
    what,
  )
  return found as T
}

function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  return waitFor(check, { timeoutMs, what, intervalMs: 50 })
}

// A free port on 127.0.0.1, other than those taken already (each node needs a client port and a
// cluster bus port).
async function freePort(...taken: number[][]): Promise<number> {
  for (;;) {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const address = probe.address()
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const port = typeof address === 'object' && address !== null ? address.port : 0
    if (port > 0 && !taken.some((list) => list.includes(port))) return port
  }
}
