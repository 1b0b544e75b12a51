import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis'
import { RunstreamError } from '../core/errors.js'
import { type FailoverWatch, watchFailover } from './failover.js'

/** What runs the store's commands: one Redis, or a Redis Cluster. */
export type RedisCommands = Redis | Cluster

/**
 * The connections of one store: commands, and a shared subscriber opened on first use (with a
 * cluster, one subscriber per node that holds watched streams, and one for cancellations).
 */
export interface Connections {
  /** Runs every command (appends, reads). */
  readonly command: RedisCommands
  /** Whether the commands go to a Redis Cluster (sharded pub/sub, one subscriber per node). */
  readonly cluster: boolean
  /**
   * The subscriber of plain (not sharded) pub/sub, opened on the first call: the one of the
   * store, or with a cluster a cluster-wide one (cancellations).
   */
  subscriber(): RedisCommands
  /**
   * The subscriber connection to one cluster node (`host:port`), for sharded pub/sub, opened on
   * the first call for that node.
   */
  nodeSubscriber(node: string): Redis
  /**
   * Closes the subscriber connection to `node`, if one is open, without reporting an outage: for
   * a node that serves no slot any more (failed over, or left) and that no watch uses, which it
   * would otherwise keep trying to reach for as long as the store is open. The next
   * {@link Connections.nodeSubscriber} call for that node opens a fresh one.
   */
  retireNodeSubscriber(node: string): void
  /** Whether the subscriber connection exists and is up. */
  readonly subscriberReady: boolean
  /**
   * How many times the command connection became ready. A command sent while it was not ready
   * waits in ioredis' offline queue, and is written only when it next becomes ready: if this did
   * not change between sending and failing, the command never reached Redis.
   */
  readonly commandReadies: number
  /** Closes what the store opened; a client passed in by the caller stays open. */
  close(): Promise<void>
}

/**
 * Options as the ioredis constructors take them. ioredis 6 declares their `replyMapping` without
 * `undefined`, so a `RedisOptions` (where it may be `undefined`) is refused under
 * `exactOptionalPropertyTypes`; at run time the caller's mapping, if any, passes through as is.
 */
type ConstructorOptions = Omit<RedisOptions, 'replyMapping'>

/** Where the connections come from, and what to tell about their outages. */
export interface ConnectionSource {
  url?: string | undefined
  client?: Redis | undefined
  /** A cluster the caller owns, or the startup nodes of one the store opens. */
  cluster?: Cluster | readonly (string | ClusterNode)[] | undefined
  redisOptions?: RedisOptions | undefined
  commandTimeoutMs: number
  report(error: RunstreamError): void
}

/**
 * Opens the command connection (or adopts the caller's) with settings that make failures surface
 * quickly instead of piling up while Redis is away:
 * - `maxRetriesPerRequest: 0`: a command that cannot be sent, or was in flight when the
 *   connection dropped, is rejected at the next failed connection attempt and never resent, so an
 *   append is stored at most once and its failure reaches `onError` within about a second.
 * - reconnection forever with a backoff capped at one second, so recovery needs nobody.
 * - `commandTimeout`: a command without a reply (Redis stalled, network gone) fails in bounded time.
 */
export function openConnections(source: ConnectionSource): Connections {
  const ours: RedisOptions = {
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableOfflineQueue: true,
    connectTimeout: 5000,
    commandTimeout: source.commandTimeoutMs,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
  }
  let command: RedisCommands
  let owned = true
  if (source.cluster !== undefined) {
    if (source.cluster instanceof Cluster) {
      command = source.cluster
      owned = false
      checkClusterOptions(command.options)
    } else {
      const nodeDefaults: ConstructorOptions = {
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
        connectTimeout: 5000,
        commandTimeout: source.commandTimeoutMs,
        connectionName: 'runstream',
        ...source.redisOptions,
      }
      command = new Cluster(source.cluster.map(startupNode), {
        // A command whose connection closed may have run: never resend it (at most once).
        retryDelayOnFailover: 0,
        enableOfflineQueue: true,
        redisOptions: nodeDefaults,
      })
      watchHealth(command, 'command', report)
    }
  } else if (source.client !== undefined) {
    command = source.client
    owned = false
  } else {
    if (typeof source.url !== 'string' || source.url === '') {
      throw new TypeError(
        'redisStore: pass `url` (such as "redis://127.0.0.1:6379"), `client` (an ioredis instance) or `cluster` (an ioredis Cluster, or its startup nodes).',
      )
    }
    const options: ConstructorOptions = {
      ...ours,
      connectionName: 'runstream',
      ...source.redisOptions,
    }
    command = new Redis(source.url, options)
    watchHealth(command, 'command', report)
  }
  let subscriber: RedisCommands | undefined
  const nodeSubscribers = new Map<string, Redis>()
  let closed = false
  let commandReadies = 0
  const onCommandReady = () => {
    commandReadies++
  }
  command.on('ready', onCommandReady)
  // With a cluster, a node that cannot be reached may be failing over to its replica.
  const failover: FailoverWatch | undefined =
    command instanceof Cluster ? watchFailover(command) : undefined

  return {
    command,
    cluster: command instanceof Cluster,
    subscriber() {
      if (subscriber === undefined) {
        // Our settings win over the caller's here: the subscriber's behaviour on outages is part
        // of the store's promise (resubscribe and fill the gap itself).
        const opened =
          command instanceof Cluster
            ? command.duplicate()
            : command.duplicate({
                ...ours,
                connectionName: 'runstream:subscriber',
                autoResubscribe: false,
                lazyConnect: false,
              })
        watchHealth(opened, 'subscriber', report)
        subscriber = opened
      }
      return subscriber
    },
    nodeSubscriber(node) {
      let opened = nodeSubscribers.get(node)
      if (opened === undefined) {
        const colon = node.lastIndexOf(':')
        const nodeOptions = command instanceof Cluster ? command.options.redisOptions : undefined
        const options: ConstructorOptions = {
          ...nodeOptions,
          ...ours,
          host: node.slice(0, colon),
          port: Number(node.slice(colon + 1)),
          connectionName: 'runstream:subscriber',
          autoResubscribe: false,
          lazyConnect: false,
        }
        opened = new Redis(options)
        watchHealth(opened, 'subscriber', report)
        if (failover !== undefined) {
          const down = () => failover.unreachable(node)
          opened.on('close', down)
          opened.on('error', down)
        }
        nodeSubscribers.set(node, opened)
      }
      return opened
    },
    retireNodeSubscriber(node) {
      const opened = nodeSubscribers.get(node)
      if (opened === undefined) return
      nodeSubscribers.delete(node)
      retire(opened)
    },
    get subscriberReady() {
      return subscriber?.status === 'ready'
    },
    get commandReadies() {
      return commandReadies
    },
    async close() {
      closed = true
      command.off('ready', onCommandReady)
      failover?.close()
      const closing: Promise<unknown>[] = []
      if (subscriber !== undefined) closing.push(end(subscriber))
      for (const opened of nodeSubscribers.values()) closing.push(end(opened))
      if (owned) closing.push(end(command))
      await Promise.allSettled(closing)
    },
  }

  function report(error: RunstreamError): void {
    if (closed) return
    try {
      source.report(error)
    } catch {
      // A reporter that throws must not break reconnection.
    }
  }
}

/**
 * Refuses a cluster whose settings could store an append twice: ioredis resends a command whose
 * connection closed after `retryDelayOnFailover`, and its node connections resend unanswered
 * commands when they reconnect.
 */
function checkClusterOptions(options: ClusterOptions): void {
  const node = options.redisOptions ?? {}
  if ((options.retryDelayOnFailover ?? 100) > 0 || node.autoResendUnfulfilledCommands !== false) {
    throw new TypeError(
      'redisStore: the ioredis Cluster passed as `cluster` may send an append twice after a connection loss. Create it with `{ retryDelayOnFailover: 0, redisOptions: { maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false } }`, or pass its startup nodes (`cluster: ["redis://host:port", …]`) and let the store open it.',
    )
  }
}

function startupNode(node: string | ClusterNode): ClusterNode {
  if (typeof node !== 'string') return node
  const url = new URL(node)
  return { host: url.hostname, port: Number(url.port || 6379) }
}

/** Closes a connection after the replies it waits for (QUIT), and resolves once it is closed. */
async function end(connection: RedisCommands): Promise<void> {
  const { status } = connection
  if (status === 'end') return
  if (status === 'reconnecting' || status === 'close') {
    // No socket to close: stopping the pending reconnection is all there is to do (no `end`).
    connection.disconnect()
    return
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  const ended = new Promise<void>((resolve) => {
    connection.once('end', () => resolve())
    // Bounded, in case the socket never reports its end.
    timer = setTimeout(resolve, 2000)
  })
  if (status === 'ready') {
    try {
      await connection.quit()
    } catch {
      connection.disconnect()
    }
  } else {
    connection.disconnect()
  }
  await ended
  clearTimeout(timer)
}

// Connections closed on purpose to be opened again: their close is not an outage to report.
const recycled = new WeakSet<RedisCommands>()

/**
 * Closes a subscriber connection and opens it again at once (its `close`, then `ready`, events
 * follow as for a reconnection), without reporting an outage: for a connection whose replies
 * may no longer match its commands.
 */
export function recycleConnection(connection: Redis): void {
  if (recycled.has(connection)) return
  recycled.add(connection)
  connection.disconnect(true)
}

/**
 * Closes a subscriber connection for good (no reconnection), without reporting an outage. Its
 * `close` event, if it still has a socket, comes as for a recycled connection.
 */
function retire(connection: Redis): void {
  if (connection.status !== 'close' && connection.status !== 'reconnecting') {
    // Its `close` is ours; while it is reconnecting there is no socket, and no `close` to come.
    recycled.add(connection)
  }
  connection.disconnect(false)
}

/**
 * Reports an outage once, when a connection that was up is lost or the first connection fails,
 * rather than at every reconnection attempt. An `error` listener must exist anyway, or ioredis
 * prints each failed attempt.
 */
function watchHealth(
  connection: RedisCommands,
  role: 'command' | 'subscriber',
  report: (error: RunstreamError) => void,
): void {
  let healthy = true
  let lastError: unknown
  connection.on('error', (error: unknown) => {
    lastError = error
  })
  connection.on('ready', () => {
    healthy = true
  })
  connection.on('close', () => {
    // This close was ours; a failed attempt to open it again is reported as usual.
    if (recycled.delete(connection)) return
    if (!healthy) return
    healthy = false
    const reason = lastError instanceof Error ? lastError.message : 'connection closed'
    report(
      new RunstreamError(
        'store_failed',
        `Lost the Redis ${role} connection (${reason}). runstream reconnects by itself; until then emits are reported as store_failed and new streams are refused.`,
        { cause: lastError, details: { role } },
      ),
    )
  })
}
