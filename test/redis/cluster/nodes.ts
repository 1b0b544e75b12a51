import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ping, until } from './query.js'

/** What a test does to the cluster's `redis-server` processes, one node at a time. */
export interface NodeProcesses {
  /** Stops node `index` with SIGKILL (no save), and waits until it is gone. */
  stopNode(index: number): Promise<void>
  /**
   * Starts node `index` again on its port, with its nodes.conf, and waits until it answers. With
   * `wipe`, its data files go first: it comes back empty, as a node without persistence would.
   */
  startNode(index: number, options?: { wipe?: boolean }): Promise<void>
  /** Suspends node `index` (SIGSTOP): it keeps its sockets but reads nothing. */
  pauseNode(index: number): void
  /** Resumes a node suspended with {@link NodeProcesses.pauseNode} (SIGCONT). */
  resumeNode(index: number): void
}

/** The cluster's node processes, with what the other cluster helpers need to know of them. */
export interface Nodes extends NodeProcesses {
  /** The nodes' client ports, in the order they were created. */
  readonly ports: readonly number[]
  /**
   * Whether node `index` runs and is not suspended: only such nodes are asked for their view of
   * the cluster when the helpers wait for every node to agree.
   */
  live(index: number): boolean
  /** Stops every node (resuming the suspended ones first) and removes their files. */
  dispose(): Promise<void>
}

/** How the nodes are run. */
export interface NodeSettings {
  /** How many nodes (primaries and replicas). */
  count: number
  /** Keep an append-only file fsynced at every write, so a restarted node keeps its streams. */
  persist?: boolean | undefined
  /** `cluster-node-timeout`. */
  nodeTimeoutMs: number
}

/**
 * Takes a client port and a cluster bus port for each of `count` nodes and a directory for their
 * files; starts none of them (see {@link NodeProcesses.startNode}).
 */
export async function createNodes(settings: NodeSettings): Promise<Nodes> {
  const { count } = settings
  const dir = mkdtempSync(join(tmpdir(), 'runstream-cluster-'))
  const ports: number[] = []
  const busPorts: number[] = []
  for (let i = 0; i < count; i++) {
    ports.push(await freePort(ports, busPorts))
    busPorts.push(await freePort(ports, busPorts))
  }
  const children: (ChildProcess | undefined)[] = ports.map(() => undefined)
  const paused = new Set<number>()
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
      String(settings.nodeTimeoutMs),
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
      ...(settings.persist
        ? ['--appendonly', 'yes', '--appendfsync', 'always']
        : ['--appendonly', 'no']),
    ]
  }
  const nodes: Nodes = {
    ports,
    live: (i) => children[i] !== undefined && !paused.has(i),
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
    pauseNode(i) {
      if (children[i]?.kill('SIGSTOP')) paused.add(i)
    },
    resumeNode(i) {
      if (paused.delete(i)) children[i]?.kill('SIGCONT')
    },
    async dispose() {
      for (const i of paused) children[i]?.kill('SIGCONT')
      paused.clear()
      for (let i = 0; i < count; i++) await nodes.stopNode(i)
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return nodes
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
