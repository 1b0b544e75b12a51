import { Cluster, type ClusterNode, type Redis, type RedisOptions } from 'ioredis'
import { describe, optionalFunction, positiveInteger } from '../core/check.js'
import type { DraftEvent, EventRecord } from '../core/envelope.js'
import { RunstreamError } from '../core/errors.js'
import {
  type CancelListener,
  checkReadOptions,
  type EventStore,
  type ReadOptions,
  type ReadResult,
  type RunState,
  type StoreListener,
  type Unlisten,
} from '../core/store.js'
import { createAppender } from './appender.js'
import { openConnections } from './connection.js'
import { createLiveFanout } from './live.js'
import { closedError } from './live-errors.js'
import { createResolver } from './resolve.js'
import { createRedisRuns } from './runs.js'
import { decodePage, FENCE_SCRIPT, type RawPage, READ_SCRIPT, streamKeys } from './scripts.js'
import { createShardedFanout } from './shards.js'

/** Connect by URL: the store opens and closes its own connections. */
export interface RedisUrlSource {
  /** A Redis URL, such as `redis://127.0.0.1:6379` or `rediss://user:pass@host:6380/2`. */
  url: string
  /**
   * Extra ioredis options for the store's connections (TLS, sentinels, …). They override the
   * store's defaults, which keep failures prompt: see docs/scaling.md before changing
   * `maxRetriesPerRequest` or `retryStrategy`.
   */
  redisOptions?: RedisOptions
  client?: never
  cluster?: never
}

/**
 * Use an ioredis client you own: it runs the store's commands and stays open when the store
 * closes. The store still opens one subscriber connection of its own, with `client.duplicate()`.
 */
export interface RedisClientSource {
  /**
   * An ioredis client (ioredis 5 or 6, in the protocol it was given). Give it
   * `maxRetriesPerRequest: 0` so failures surface at once.
   */
  client: Redis
  url?: never
  redisOptions?: never
  cluster?: never
}

/**
 * Use a Redis Cluster (Redis 7 or later). Each stream's keys share a hash tag, so one node holds a
 * stream and each append is one script on that node; live delivery uses sharded pub/sub
 * (`SSUBSCRIBE`), one subscriber connection per node that holds watched streams.
 */
export interface RedisClusterSource {
  /**
   * The cluster's startup nodes (`["redis://10.0.0.1:6379", …]` or `{ host, port }`), which the
   * store connects to and closes; or an ioredis `Cluster` you own, created with
   * `{ retryDelayOnFailover: 0, redisOptions: { maxRetriesPerRequest: 0,
   * autoResendUnfulfilledCommands: false } }` (others are refused: they may store an append
   * twice), which stays open when the store closes.
   */
  cluster: Cluster | readonly (string | ClusterNode)[]
  /**
   * Extra ioredis options for every node connection (password, TLS, …), when the store opens the
   * cluster from its startup nodes.
   */
  redisOptions?: RedisOptions
  url?: never
  client?: never
}

/** Settings of {@link redisStore}. */
export interface RedisStoreSettings {
  /**
   * Prefix of every key and channel the store uses. Stream `workflow:exec_42` lives in
   * `runstream:{workflow:exec_42}:events` and `…:meta`, and is published on
   * `runstream:{workflow:exec_42}` (the braces are a Redis Cluster hash tag: they keep a stream on
   * one node). With a cluster, it must not hold `{` or `}`.
   * @defaultValue `"runstream:"`
   */
  prefix?: string
  /**
   * How many of a stream's newest events are kept for replay. Redis trims approximately (whole
   * nodes of about 100 entries), so up to about 100 more may stay in memory, but reads apply the
   * limit exactly: an older cursor is reported as a gap, never skipped silently. The default
   * keeps a whole long agent run streamed token by token (the arithmetic, and what it costs in
   * Redis memory, is in docs/reliability.md).
   * @defaultValue 100_000
   */
  maxEventsPerStream?: number
  /**
   * How long a finished stream is kept after its last event, in milliseconds (a Redis `PEXPIRE`).
   * @defaultValue 300_000 (5 minutes)
   */
  finishedTtlMs?: number
  /**
   * How long a stream with no new event is kept, in milliseconds, so that the streams of crashed
   * producers expire. Every append renews it.
   * @defaultValue 3_600_000 (1 hour)
   */
  idleTtlMs?: number
  /**
   * How long live subscribers wait for Redis to come back after their connection is lost. Within
   * it, they resume with no gap and no duplicate; past it, they are ended with `store_failed` (an
   * SSE client then reconnects with its `Last-Event-ID`). It is also how long an append whose
   * reply was lost waits to find out whether Redis stored it, before it is reported as
   * `store_unknown`.
   * @defaultValue 30_000
   */
  maxOutageMs?: number
  /**
   * How long one command may wait for its reply before it fails, on the connections the store
   * opens. An append that timed out may still have run: the store then looks for it in the stream
   * (up to `maxOutageMs`), and the append resolves with its id when it was stored, fails with
   * `store_failed` when it was not, or with `store_unknown` when Redis did not answer in time.
   * @defaultValue 5_000
   */
  commandTimeoutMs?: number
  /**
   * Told when a connection the store opened is lost (once per outage, not at every reconnection
   * attempt). Emit and subscription failures are reported where they happen (the manager's
   * `onError`, the subscription), not here.
   * @defaultValue logs with `console.error`
   */
  onError?: (error: RunstreamError) => void
}

/** Options of {@link redisStore}: where Redis is, and the store's settings. */
export type RedisStoreOptions = (RedisUrlSource | RedisClientSource | RedisClusterSource) &
  RedisStoreSettings

/** The Redis {@link EventStore}: every operation is a promise. */
export interface RedisStore extends EventStore {
  append(draft: DraftEvent): Promise<EventRecord>
  read(stream: string, options?: ReadOptions): Promise<ReadResult>
  listen(stream: string, listener: StoreListener): Promise<Unlisten>
  /**
   * Claims a new run's stream: a key `<prefix>{<stream>}:run` with the idle TTL (`idleTtlMs`),
   * set unless it or the stream exists, atomically across processes.
   */
  createRun(stream: string): Promise<boolean>
  /** Drops a run's claim once its stream ended. */
  endRun(stream: string): Promise<void>
  /** Publishes a cancellation on the prefix's cancel channel, when the run is running. */
  cancelRun(stream: string, reason: string): Promise<RunState>
  /** Listens to the prefix's cancel channel, on the store's shared subscriber connection. */
  onCancel(listener: CancelListener): Promise<Unlisten>
  /** Ends live registrations and closes the connections the store opened. */
  close(): Promise<void>
  /** The connection that runs the store's commands (for health checks): a Redis or a Cluster. */
  readonly client: Redis | Cluster
  /** How many streams this process is subscribed to now. */
  readonly watching: number
}

/**
 * Creates an event store on Redis, to share streams between processes: producers in one place,
 * web processes anywhere, and a `Last-Event-ID` from one process resumes on any other.
 *
 * Each stream is a Redis Stream (`XADD` with its id as entry id, trimmed to `maxEventsPerStream`)
 * plus a small hash for its sequence and finished flag; an append is one Lua script that gives
 * the id, stores, sets the expiry and publishes, atomically. Each process subscribes to the
 * streams its clients watch over one shared subscriber connection, so a store uses two
 * connections however many streams and subscribers it serves.
 *
 * @example
 * ```ts
 * import { createStreamManager, executionCatalog } from 'runstream'
 * import { redisStore } from 'runstream/redis'
 *
 * const manager = createStreamManager({
 *   catalog: executionCatalog,
 *   store: redisStore({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }),
 * })
 * ```
 */
export function redisStore(options: RedisStoreOptions): RedisStore {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('redisStore: pass { url }, { client } or { cluster }.')
  }
  const where = 'redisStore'
  const prefix = options.prefix ?? 'runstream:'
  if (typeof prefix !== 'string') {
    throw new TypeError(
      `redisStore: \`prefix\` must be a string such as "runstream:"; got ${describe(prefix)}.`,
    )
  }
  const maxEvents = positiveInteger(
    where,
    'maxEventsPerStream',
    options.maxEventsPerStream,
    100_000,
    'events',
    '100_000',
  )
  const finishedTtl = positiveInteger(
    where,
    'finishedTtlMs',
    options.finishedTtlMs,
    300_000,
    'milliseconds',
    '300_000',
  )
  const idleTtl = positiveInteger(
    where,
    'idleTtlMs',
    options.idleTtlMs,
    3_600_000,
    'milliseconds',
    '3_600_000',
  )
  const maxOutageMs = positiveInteger(
    where,
    'maxOutageMs',
    options.maxOutageMs,
    30_000,
    'milliseconds',
    '30_000',
  )
  const commandTimeoutMs = positiveInteger(
    where,
    'commandTimeoutMs',
    options.commandTimeoutMs,
    5_000,
    'milliseconds',
    '5_000',
  )
  const onError = optionalFunction(where, 'onError', options.onError) ?? defaultOnError
  if (
    options.client !== undefined &&
    (typeof options.client !== 'object' ||
      options.client === null ||
      typeof (options.client as Partial<Redis>).duplicate !== 'function')
  ) {
    throw new TypeError(
      `redisStore: \`client\` must be an ioredis client (new Redis(url), ioredis 5 or 6); got ${describe(options.client)}.`,
    )
  }
  if (
    options.redisOptions !== undefined &&
    (typeof options.redisOptions !== 'object' || options.redisOptions === null)
  ) {
    throw new TypeError(
      `redisStore: \`redisOptions\` must be an ioredis options object; got ${describe(options.redisOptions)}.`,
    )
  }
  if (
    options.cluster !== undefined &&
    (typeof options.cluster !== 'object' ||
      options.cluster === null ||
      (!Array.isArray(options.cluster) &&
        typeof (options.cluster as Partial<Cluster>).duplicate !== 'function'))
  ) {
    throw new TypeError(
      `redisStore: \`cluster\` must be an ioredis Cluster or its startup nodes (["redis://127.0.0.1:7000", …]); got ${describe(options.cluster)}.`,
    )
  }
  if (options.cluster !== undefined && /[{}]/.test(prefix)) {
    throw new TypeError(
      `redisStore: with a cluster, \`prefix\` must not hold "{" or "}" (the store puts each stream name in a hash tag); got ${JSON.stringify(prefix)}.`,
    )
  }
  const connections = openConnections({
    url: options.url,
    client: options.client,
    cluster: options.cluster,
    redisOptions: options.redisOptions,
    commandTimeoutMs,
    report: onError,
  })
  const { command } = connections
  const keys = (stream: string) => streamKeys(prefix, stream)
  const fanoutOptions = { keys, head, readPage, fence, maxOutageMs, maxBuffered: 10_000 }
  const live =
    command instanceof Cluster
      ? createShardedFanout({
          ...fanoutOptions,
          cluster: command,
          nodeSubscriber: connections.nodeSubscriber,
          retireSubscriber: connections.retireNodeSubscriber,
        })
      : createLiveFanout({ ...fanoutOptions, subscriber: () => connections.subscriber() as Redis })
  let closed = false
  const resolver = createResolver({ command, maxOutageMs })
  const appender = createAppender({
    command,
    keys,
    resolver,
    publish: connections.cluster ? 'SPUBLISH' : 'PUBLISH',
    maxEvents,
    idleTtlMs: idleTtl,
    finishedTtlMs: finishedTtl,
    commandReadies: () => connections.commandReadies,
    commandReady: () => command.status === 'ready',
    fail: (what, error, stream) => storeError(what, error, { stream }),
  })
  const runs = createRedisRuns({
    command,
    subscriber: connections.subscriber,
    prefix,
    metaKey: (stream) => keys(stream).meta,
    ttlMs: idleTtl,
    read: (stream) => store.read(stream, { limit: 0 }),
    fail: (what, error, stream) => storeError(what, error, { stream }),
  })

  const store: RedisStore = {
    client: command,
    get watching() {
      return live.size
    },
    append(draft) {
      if (closed) return Promise.reject(closedError())
      return appender.append(draft)
    },
    async read(stream, readOptions) {
      if (closed) throw closedError()
      const checked = checkReadOptions('redisStore.read', readOptions)
      const limit = Math.min(checked.limit, MAX_PAGE)
      const page = await readPage(stream, checked.after, limit, checked.epoch)
      return {
        events: page.records,
        firstId: page.firstId > 0 ? String(page.firstId) : undefined,
        lastId: page.lastId > 0 ? String(page.lastId) : undefined,
        finished: page.finished,
        hasMore: page.hasMore,
        epoch: page.epoch,
      }
    },
    listen(stream, listener) {
      return live.listen(stream, listener)
    },
    createRun(stream) {
      if (closed) return Promise.reject(closedError())
      return runs.createRun(stream)
    },
    endRun(stream) {
      if (closed) return Promise.resolve()
      return runs.endRun(stream)
    },
    cancelRun(stream, reason) {
      if (closed) return Promise.reject(closedError())
      return runs.cancelRun(stream, reason)
    },
    onCancel(listener) {
      if (closed) return Promise.reject(closedError())
      return runs.onCancel(listener)
    },
    async close() {
      if (closed) return
      closed = true
      // What was appended before closing still goes, ahead of the connections' QUIT.
      appender.flush()
      live.close()
      resolver.close()
      runs.close()
      await connections.close()
    },
  }
  return store

  async function readPage(
    stream: string,
    after: number,
    limit: number,
    epoch: string | undefined,
  ): Promise<RawPage> {
    const k = keys(stream)
    let reply: unknown
    try {
      reply = await command.eval(
        READ_SCRIPT,
        2,
        k.events,
        k.meta,
        after,
        limit,
        maxEvents,
        epoch ?? '',
      )
    } catch (error) {
      throw storeError(`read stream "${stream}"`, error, { stream })
    }
    return decodePage(reply, limit)
  }

  async function fence(stream: string, epoch: string, lastId: number): Promise<void> {
    const k = keys(stream)
    try {
      await command.eval(FENCE_SCRIPT, 2, k.events, k.meta, epoch, lastId)
    } catch (error) {
      throw storeError(`read stream "${stream}"`, error, { stream })
    }
  }

  async function head(stream: string): Promise<{ id: number; epoch: string | undefined }> {
    let reply: (string | null)[]
    try {
      reply = await command.hmget(keys(stream).meta, 'seq', 'ep')
    } catch (error) {
      throw storeError(`read stream "${stream}"`, error, { stream })
    }
    const [seq, epoch] = reply
    return { id: seq == null ? 0 : Number(seq), epoch: epoch ?? undefined }
  }
}

function storeError(
  what: string,
  error: unknown,
  details: Record<string, unknown>,
): RunstreamError {
  const reason = error instanceof Error ? error.message : String(error)
  return new RunstreamError(
    'store_failed',
    `Redis could not ${what}: ${reason}. Check that Redis is reachable; runstream reconnects by itself.`,
    { cause: error, details },
  )
}

// XRANGE needs a finite COUNT; a page larger than this is cut and reported with hasMore.
const MAX_PAGE = 100_000

function defaultOnError(error: RunstreamError): void {
  console.error(`[runstream] ${error.code}: ${error.message}`)
}
