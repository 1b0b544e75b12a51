import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { createReplication, type Replication } from './cluster/failover.js'
import { createNodes, type NodeProcesses } from './cluster/nodes.js'
import { ask, clusterOk, until } from './cluster/query.js'
import { createSlotMoves, type SlotMoves } from './cluster/slots.js'

// The entry of the cluster helpers: it creates the cluster and joins the helpers of each role
// (the node processes in cluster/nodes.ts, slots in cluster/slots.ts, replication and failover
// in cluster/failover.ts) into the one handle that tests and the bench use.

const run = promisify(execFile)

/**
 * A Redis Cluster of `redis-server` processes on 127.0.0.1, started by a test (or the bench) and
 * stopped by it, by pid: only `redis-server` and `redis-cli` need to be installed.
 */
export interface TestCluster extends NodeProcesses, SlotMoves, Replication {
  /** The nodes' client ports, in the order they were created. */
  readonly ports: readonly number[]
  /** `redis://127.0.0.1:<port>` of each node: the startup nodes to give the store. */
  readonly urls: readonly string[]
  /** Waits until every node reports `cluster_state:ok`. */
  waitHealthy(timeoutMs?: number): Promise<void>
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
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 3000
  const nodes = await createNodes({ count, persist: options.persist, nodeTimeoutMs })
  const { ports } = nodes
  const slots = createSlotMoves(nodes)
  const replication = createReplication(nodes, nodeTimeoutMs, slots.waitOwner)
  const cluster: TestCluster = {
    ports,
    urls: ports.map((port) => `redis://127.0.0.1:${port}`),
    stopNode: nodes.stopNode,
    startNode: nodes.startNode,
    pauseNode: nodes.pauseNode,
    resumeNode: nodes.resumeNode,
    nodeOf: slots.nodeOf,
    migrateSlot: slots.migrateSlot,
    waitOwner: slots.waitOwner,
    replicaOf: replication.replicaOf,
    waitInSync: replication.waitInSync,
    failover: replication.failover,
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
    dispose: nodes.dispose,
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
