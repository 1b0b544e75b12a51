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
  /** Stops every node and removes their files. */
  dispose(): Promise<void>
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Nodes (masters, no replicas). @defaultValue 3 */
  nodes?: number
  /** Keep an append-only file fsynced at every write, so a restarted node keeps its streams. */
  persist?: boolean
}

/**
 * Starts a cluster of `nodes` masters on free ports (client port and bus port each), joins them
 * with `redis-cli --cluster create`, and waits until it is healthy. Nodes are started with
 * `cluster-require-full-coverage no`, so the others keep serving while one is down.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const count = options.nodes ?? 3
  const dir = mkdtempSync(join(tmpdir(), 'runstream-cluster-'))
  const ports: number[] = []
  const busPorts: number[] = []
  for (let i = 0; i < count; i++) {
    ports.push(await freePort(ports, busPorts))
    busPorts.push(await freePort(ports, busPorts))
  }
  const children: (ChildProcess | undefined)[] = ports.map(() => undefined)
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
      '3000',
      '--cluster-require-full-coverage',
      'no',
      '--save',
      '',
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
    async dispose() {
      for (let i = 0; i < count; i++) await cluster.stopNode(i)
      rmSync(dir, { recursive: true, force: true })
    },
  }
  try {
    for (let i = 0; i < count; i++) await cluster.startNode(i)
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ])
    await cluster.waitHealthy()
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
