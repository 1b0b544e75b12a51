import type { Redis } from 'ioredis'
import { RunstreamError } from '../core/errors.js'
import { formatCursor } from '../core/event-id.js'
import type { StoreListener, Unlisten } from '../core/store.js'
import { recycleConnection } from './connection.js'
import { decodeMessages, type LiveMessage, type RawPage, type StreamKeys } from './scripts.js'

/**
 * Live delivery of one process: every stream its subscribers watch is one channel of the single
 * subscriber connection, however many subscribers there are.
 */
export interface LiveFanout {
  /**
   * Follows `stream`: from its newest event, or with `from` (when this call starts the watch)
   * from that position, catching up from the store first.
   */
  listen(stream: string, listener: StoreListener, from?: WatchPosition): Promise<Unlisten>
  /**
   * Where the watch of `stream` stands once started, to continue it on another connection, and
   * whether this connection's node told it that it no longer serves the stream (`away`).
   */
  position(stream: string): (WatchPosition & { readonly away: boolean }) | undefined
  /** How many streams are subscribed now. */
  readonly size: number
  /** Ends every registration (their `error` is called) and forgets them. */
  close(): void
}

/** Where a watch stands: the last id it delivered and the incarnation that id belongs to. */
export interface WatchPosition {
  readonly lastId: number
  readonly epoch: string | undefined
}

/** What the fanout needs from the store. */
export interface LiveFanoutOptions {
  /** The subscriber connection, opened on first use. */
  subscriber(): Redis
  keys(stream: string): StreamKeys
  /** The newest id of a stream (0 when it has none) and its epoch. */
  head(stream: string): Promise<{ id: number; epoch: string | undefined }>
  /**
   * One page of the stream after `after` of incarnation `epoch`: from the start of the current
   * incarnation when it is another one.
   */
  readPage(
    stream: string,
    after: number,
    limit: number,
    epoch: string | undefined,
  ): Promise<RawPage>
  /**
   * Ends incarnation `epoch` of a stream that holds less than `lastId` in it (see
   * `FENCE_SCRIPT`): the ids a watch delivered are then never given to other events in that
   * epoch. Without it, such a watch is ended with `store_failed`.
   */
  fence?(stream: string, epoch: string, lastId: number): Promise<void>
  /** How long a registration may wait for Redis to come back before it is ended. */
  maxOutageMs: number
  /** How many live messages one stream may hold while it catches up from the store. */
  maxBuffered: number
  /** Sharded pub/sub (`SSUBSCRIBE`, Redis 7), for a subscriber connected to a cluster node. */
  sharded?: boolean
  /**
   * Sharded only: the node said a slot moved away from it (a `MOVED` reply to `SSUBSCRIBE`, or a
   * pushed `sunsubscribe`), with the stream concerned when known. The caller refreshes its slot
   * map and moves the streams that are now served elsewhere.
   */
  onMoved?(stream: string | undefined): void
}

/**
 * The states of one watched stream:
 * - `starting`: subscribing and reading its newest id; `listen` waits for this.
 * - `live`: messages are delivered as they come.
 * - `syncing`: catching up from the store (after a reconnection, or a hole in the ids); messages
 *   are held meanwhile.
 * - `down`: the subscriber connection is gone; waiting for it to return.
 * - `away` (sharded only): the node no longer serves the stream's slot; waiting for the sharded
 *   fanout to move the watch to the new owner (`position` gives where it stands). Bounded by
 *   `maxOutageMs` like `down`.
 */
type WatchState = 'starting' | 'live' | 'syncing' | 'down' | 'away'

interface Watch {
  readonly stream: string
  readonly channel: string
  readonly listeners: Set<StoreListener>
  /** The newest id delivered (or known when the watch started): the resume point. */
  lastId: number
  /** The incarnation `lastId` belongs to; `undefined` while the stream has none. */
  epoch: string | undefined
  state: WatchState
  buffer: LiveMessage[]
  bufferDropped: boolean
  ready: Promise<void>
}

const PAGE_SIZE = 1000
const SYNC_RETRY_MS = 250

/**
 * Creates the fanout. Each watched stream keeps the id of the last event it delivered and its
 * epoch, so that when the subscriber connection comes back it resubscribes and reads what it
 * missed from the store: `listen` keeps its promise of every event once, in order, across
 * reconnections, or ends the registration with `error` when the store no longer holds what was
 * missed. A stream that Redis started over (expired, or lost in a restart without its data) is
 * delivered from the start of its new incarnation: the subscribers see its epoch change.
 */
export function createLiveFanout(options: LiveFanoutOptions): LiveFanout {
  const watches = new Map<string, Watch>()
  let connection: Redis | undefined
  // Bumped whenever the subscriber connection closes: async steps begun before it are stale.
  let generation = 0
  let outageTimer: ReturnType<typeof setTimeout> | undefined
  let closed = false
  const sharded = options.sharded === true
  // Sharded subscribes waiting for their reply: a MOVED reply never settles them in ioredis (it
  // emits 'moved' on the connection instead), so they are rejected from here.
  const awaitingReply = new Set<(error: Error) => void>()
  const unsubscribe = (sub: Redis, channel: string) =>
    sharded ? sub.sunsubscribe(channel) : sub.unsubscribe(channel)

  return {
    get size() {
      return watches.size
    },
    position(stream) {
      const watch = watches.get(options.keys(stream).channel)
      if (watch === undefined || watch.state === 'starting') return undefined
      return { lastId: watch.lastId, epoch: watch.epoch, away: watch.state === 'away' }
    },
    async listen(stream, listener, from) {
      if (closed) throw closedError()
      // While the connection is away, the subscribe waits in ioredis' offline queue: it is sent
      // if the next reconnection attempt succeeds and rejected if it fails (maxRetriesPerRequest 0).
      const sub = connect()
      const { channel } = options.keys(stream)
      let watch = watches.get(channel)
      if (watch === undefined) {
        const created: Watch = {
          stream,
          channel,
          listeners: new Set(),
          lastId: 0,
          epoch: undefined,
          state: 'starting',
          buffer: [],
          bufferDropped: false,
          ready: Promise.resolve(),
        }
        watches.set(channel, created)
        created.ready = start(created, sub, from)
        watch = created
      }
      watch.listeners.add(listener)
      if (watch.state === 'starting') {
        try {
          await watch.ready
        } catch (error) {
          watch.listeners.delete(listener)
          throw error
        }
      }
      const registered = watch
      let stopped = false
      return () => {
        if (stopped) return
        stopped = true
        registered.listeners.delete(listener)
        if (registered.listeners.size > 0 || watches.get(channel) !== registered) return
        watches.delete(channel)
        if (connection !== undefined) unsubscribe(connection, channel).catch(noop)
      }
    },
    close() {
      closed = true
      clearOutageTimer()
      for (const watch of [...watches.values()]) fail(watch, closedError())
    },
  }

  function connect(): Redis {
    if (connection !== undefined) return connection
    const sub = options.subscriber()
    connection = sub
    sub.on(sharded ? 'smessage' : 'message', onMessage)
    sub.on('close', onDown)
    sub.on('ready', onUp)
    if (sharded) {
      sub.on('moved', onMovedReply)
      sub.on('error', onConnectionError)
    }
    return sub
  }

  /**
   * Subscribes to each channel; one result per channel. Sharded channels go one per command:
   * Redis refuses an `SSUBSCRIBE` whose channels are in different slots (CROSSSLOT).
   */
  function subscribe(sub: Redis, channels: string[]): Promise<PromiseSettledResult<unknown>[]> {
    if (!sharded) {
      return sub.subscribe(...channels).then(
        (value) => channels.map(() => ({ status: 'fulfilled', value }) as const),
        (reason: unknown) => channels.map(() => ({ status: 'rejected', reason }) as const),
      )
    }
    return Promise.allSettled(
      channels.map(
        (channel) =>
          new Promise((resolve, reject) => {
            awaitingReply.add(reject)
            sub.ssubscribe(channel).then(
              (value) => {
                awaitingReply.delete(reject)
                resolve(value)
              },
              (error: unknown) => {
                awaitingReply.delete(reject)
                reject(error)
              },
            )
          }),
      ),
    )
  }

  async function subscribeOne(sub: Redis, channel: string): Promise<void> {
    const [result] = await subscribe(sub, [channel])
    if (result?.status === 'rejected') throw result.reason
  }

  async function start(watch: Watch, sub: Redis, from: WatchPosition | undefined): Promise<void> {
    const gen = generation
    try {
      await subscribeOne(sub, watch.channel)
      // Read after the subscription is active: an event either counts in this id or arrives.
      if (!isCurrent(watch, gen)) throw lostError(watch.stream)
      if (from === undefined) {
        const head = await options.head(watch.stream)
        if (!isCurrent(watch, gen)) throw lostError(watch.stream)
        watch.lastId = head.id
        watch.epoch = head.epoch
      }
    } catch (error) {
      if (watches.get(watch.channel) === watch) {
        watches.delete(watch.channel)
        unsubscribe(sub, watch.channel).catch(noop)
      }
      watch.listeners.clear()
      if (error instanceof SlotMovedError) throw movedError(watch.stream)
      // Sharded: its connection closed meanwhile (recycled, or the node went away): the sharded
      // fanout tries again, on the node its slot map names.
      if (sharded && gen !== generation) throw lostError(watch.stream)
      throw isStoreError(error)
        ? error
        : new RunstreamError(
            'store_failed',
            `Cannot follow stream "${watch.stream}" in Redis: ${messageOf(error)}.`,
            { cause: error, details: { stream: watch.stream } },
          )
    }
    if (from !== undefined) {
      // Continued from elsewhere: what came after `from` is in the store, then the held messages.
      watch.lastId = from.lastId
      watch.epoch = from.epoch
      void sync(watch)
    } else if (drain(watch)) watch.state = 'live'
    else void sync(watch)
  }

  // A MOVED reply to one of the pending sharded subscribes (ioredis does not say which): all of
  // them fail as moved; the sharded fanout retries each on the node its refreshed map names,
  // which for the others is this one again.
  function onMovedReply(): void {
    const pending = [...awaitingReply]
    awaitingReply.clear()
    for (const reject of pending) reject(new SlotMovedError())
    options.onMoved?.(undefined)
  }

  /**
   * A reply the connection could not match to a command. When a slot leaves a node, Redis pushes
   * `sunsubscribe` for each of its shard channels; ioredis takes that push for the reply of the
   * oldest waiting command, or, when none waits, reports it as this error. Alone (the error
   * names a `sunsubscribe` and no command waited), it only ends that channel's subscription: the
   * watch is `away` until the sharded fanout moves it. Any other unmatched reply means the
   * replies and commands were out of step (a push consumed a command's reply, so a subscribe
   * may have resolved before it was active): the connection is recycled, and every watch on it
   * resubscribes and catches up from the store, as after any reconnection. (Out of step replies
   * that end on the reply to an `SUNSUBSCRIBE` of ours look like a lone push; a subscribe taken
   * as done too early then shows as a hole in the ids at its stream's next event, which the
   * watch fills from the store.)
   */
  function onConnectionError(error: unknown): void {
    const message = error instanceof Error ? error.message : ''
    if (!message.startsWith('Command queue state error')) return
    const sub = connection
    if (sub === undefined) return
    const pushed = /Last reply: sunsubscribe,([\s\S]*),\d+$/.exec(message)
    if (pushed !== null) {
      const watch = watches.get(pushed[1] as string)
      // (Redis may push it twice for one move; a watch already away, or moved, stays so.)
      if (watch === undefined || watch.state !== 'starting') {
        if (watch !== undefined) setAway(watch)
        options.onMoved?.(watch?.stream)
        return
      }
    }
    recycleConnection(sub)
    options.onMoved?.(undefined)
  }

  function setAway(watch: Watch): void {
    watch.state = 'away'
    watch.buffer = []
    watch.bufferDropped = false
    armOutageTimer()
  }

  function onMessage(channel: string, message: string): void {
    const watch = watches.get(channel)
    if (watch === undefined || watch.state === 'down' || isAway(watch)) return
    const decoded = decodeMessages(message)
    if (decoded === undefined) {
      // Not a message of this version: what it held is in the store, and the next one tells.
      return
    }
    for (const one of decoded) receive(watch, one)
  }

  function receive(watch: Watch, message: LiveMessage): void {
    if (watch.state !== 'live') {
      hold(watch, message)
      return
    }
    if (follows(watch, message)) {
      deliver(watch, message)
      return
    }
    if (isStale(watch, message)) return
    // A hole in the ids, or a new incarnation: what is missing is in the store.
    hold(watch, message)
    void sync(watch)
  }

  // Whether `message` is the next event of what the watch delivered.
  // (A watch without an epoch follows a stream that has none yet, or that predates epochs.)
  function follows(watch: Watch, message: LiveMessage): boolean {
    return (
      (message.epoch === watch.epoch || watch.epoch === undefined) &&
      message.id === watch.lastId + 1
    )
  }

  // Whether `message` was delivered already (same incarnation, not newer).
  function isStale(watch: Watch, message: LiveMessage): boolean {
    return (
      (message.epoch === watch.epoch || watch.epoch === undefined || message.epoch === undefined) &&
      message.id <= watch.lastId
    )
  }

  function hold(watch: Watch, message: LiveMessage): void {
    if (watch.buffer.length >= options.maxBuffered) {
      // Everything held is in the store too: drop it and read it back from there.
      watch.buffer = []
      watch.bufferDropped = true
      return
    }
    watch.buffer.push(message)
  }

  function deliver(watch: Watch, message: LiveMessage): void {
    watch.lastId = message.id
    watch.epoch = message.epoch
    for (const listener of watch.listeners) {
      try {
        listener.event(message.record)
      } catch {
        // A listener's failure is its own; the others still get the event.
      }
    }
  }

  /** Delivers the held messages that continue the ids; false when the store must be read first. */
  function drain(watch: Watch): boolean {
    const held = watch.buffer
    watch.buffer = []
    if (watch.bufferDropped) {
      watch.bufferDropped = false
      return false
    }
    for (const message of held) {
      if (follows(watch, message)) deliver(watch, message)
      else if (!isStale(watch, message)) return false
    }
    return true
  }

  /**
   * After a sync's command failed: waits before its next try, and says whether to try (the watch
   * was not replaced or moved away meanwhile). The command connection may still be coming back;
   * the outage timer bounds the retries.
   */
  async function retryLater(watch: Watch, gen: number): Promise<boolean> {
    if (!isCurrent(watch, gen) || isAway(watch)) return false
    armOutageTimer()
    await delay(SYNC_RETRY_MS)
    return isCurrent(watch, gen) && !isAway(watch)
  }

  /** Catches a watch up from the store after its last delivered id, then goes live. */
  async function sync(watch: Watch): Promise<void> {
    // One sync per watch at a time: a watch leaves `live` here, and only `live` starts a sync;
    // a sync of an older connection stops at its next step.
    watch.state = 'syncing'
    const gen = generation
    for (;;) {
      let page: RawPage
      try {
        page = await options.readPage(watch.stream, watch.lastId, PAGE_SIZE, watch.epoch)
      } catch {
        if (!(await retryLater(watch, gen))) return
        continue
      }
      // An `away` watch stops here: it is continued, from where it stands, on the slot's new node.
      if (!isCurrent(watch, gen) || isAway(watch)) return
      if (page.epoch === undefined && page.lastId === 0) {
        // The stream is gone (expired, deleted, or Redis restarted without its data): its next
        // incarnation, if one begins, is delivered from its first event.
        watch.lastId = 0
        watch.epoch = undefined
      } else if (page.epoch !== undefined && watch.epoch === undefined && watch.lastId > 0) {
        // A stream written before epochs existed, which has one now: the same incarnation.
        watch.epoch = page.epoch
      } else if (page.epoch !== undefined && page.epoch !== watch.epoch) {
        // A new incarnation: the page holds it from its oldest event.
        watch.lastId = 0
        watch.epoch = page.epoch
      } else if (
        page.lastId < watch.lastId &&
        watch.epoch !== undefined &&
        options.fence !== undefined
      ) {
        // The stream lost events this watch delivered (a replica promoted before it received
        // them): it goes on in a new epoch, whose events the next page gives from the oldest held.
        try {
          await options.fence(watch.stream, watch.epoch, watch.lastId)
        } catch {
          if (!(await retryLater(watch, gen))) return
          continue
        }
        if (!isCurrent(watch, gen) || isAway(watch)) return
        continue
      } else if (page.lastId < watch.lastId) {
        // A stream written before epochs existed, started over: nothing tells its incarnations apart.
        fail(
          watch,
          new RunstreamError(
            'store_failed',
            `Stream "${watch.stream}" is no longer in Redis at event ${watch.lastId} (it expired, was deleted, or Redis restarted without its data). Subscribe again; the cursor will be reported as unknown.`,
            {
              details: {
                stream: watch.stream,
                lastEventId: formatCursor(watch.epoch, String(watch.lastId)),
              },
            },
          ),
        )
        return
      } else if (page.lastId > watch.lastId && page.firstId > watch.lastId + 1) {
        fail(
          watch,
          new RunstreamError(
            'store_failed',
            `Events ${watch.lastId + 1} to ${page.firstId - 1} of stream "${watch.stream}" were trimmed from Redis before live delivery could resume. Subscribe again from the last id received.`,
            {
              details: {
                stream: watch.stream,
                lastEventId: formatCursor(watch.epoch, String(watch.lastId)),
                firstId: String(page.firstId),
              },
            },
          ),
        )
        return
      }
      for (const record of page.records) {
        const id = Number(record.envelope.id)
        if (id > watch.lastId) deliver(watch, { id, epoch: page.epoch, record })
      }
      if (page.hasMore) continue
      if (drain(watch)) {
        watch.state = 'live'
        if (noneBehind()) clearOutageTimer()
        return
      }
    }
  }

  function onDown(): void {
    generation++
    let anyDown = false
    for (const watch of watches.values()) {
      // A starting watch fails on its own: its subscribe is rejected or its generation is stale.
      if (watch.state === 'starting') continue
      watch.state = 'down'
      watch.buffer = []
      watch.bufferDropped = false
      anyDown = true
    }
    if (anyDown) armOutageTimer()
  }

  async function onUp(): Promise<void> {
    const sub = connection
    if (sub === undefined || closed) return
    const gen = generation
    // The connection is back: the outage clock restarts if reading the store fails.
    clearOutageTimer()
    const down = [...watches.values()].filter((watch) => watch.state === 'down')
    if (down.length === 0) return
    // Held from now on: what arrives once subscribed follows what the store returns.
    for (const watch of down) watch.state = 'syncing'
    const results = await subscribe(
      sub,
      down.map((watch) => watch.channel),
    )
    if (gen !== generation) return
    let moved = false
    for (const [i, watch] of down.entries()) {
      const result = results[i]
      if (!isCurrent(watch, gen) || result === undefined) continue
      if (result.status === 'fulfilled') {
        // (Unless a pushed sunsubscribe made it `away` meanwhile.)
        if (watch.state === 'syncing') void sync(watch)
      } else if (result.reason instanceof SlotMovedError) {
        // Its slot left this node while the connection was away.
        setAway(watch)
        moved = true
      } else {
        // Subscribing failed on a live connection: start over with a fresh one.
        sub.disconnect(true)
        return
      }
    }
    if (moved) options.onMoved?.(undefined)
  }

  function fail(watch: Watch, error: RunstreamError): void {
    if (watches.get(watch.channel) === watch) {
      watches.delete(watch.channel)
      if (connection?.status === 'ready') unsubscribe(connection, watch.channel).catch(noop)
    }
    const listeners = [...watch.listeners]
    watch.listeners.clear()
    for (const listener of listeners) {
      try {
        listener.error?.(error)
      } catch {
        // Nothing more to tell a listener whose error handler throws.
      }
    }
  }

  function isCurrent(watch: Watch, gen: number): boolean {
    return !closed && gen === generation && watches.get(watch.channel) === watch
  }

  function noneBehind(): boolean {
    for (const watch of watches.values()) {
      if (watch.state !== 'live' && watch.state !== 'starting') return false
    }
    return true
  }

  function armOutageTimer(): void {
    if (outageTimer !== undefined || closed) return
    outageTimer = setTimeout(() => {
      outageTimer = undefined
      for (const watch of [...watches.values()]) {
        if (watch.state === 'down' || watch.state === 'syncing' || watch.state === 'away') {
          fail(
            watch,
            new RunstreamError(
              'store_failed',
              `Live delivery of stream "${watch.stream}" stopped: Redis was unreachable for more than ${options.maxOutageMs} ms (maxOutageMs). Subscribe again from the last id received once Redis is back.`,
              {
                details: {
                  stream: watch.stream,
                  lastEventId: formatCursor(watch.epoch, String(watch.lastId)),
                  maxOutageMs: options.maxOutageMs,
                },
              },
            ),
          )
        }
      }
    }, options.maxOutageMs)
    // A pending outage must not keep the process alive on its own.
    ;(outageTimer as { unref?: () => void }).unref?.()
  }

  function clearOutageTimer(): void {
    if (outageTimer === undefined) return
    clearTimeout(outageTimer)
    outageTimer = undefined
  }
}

// A function, not an inline test: a state checked after an await may have changed meanwhile.
function isAway(watch: Watch): boolean {
  return watch.state === 'away'
}

// `retry`: the sharded fanout tries again (on the node its refreshed slot map names).
function lostError(stream: string): RunstreamError {
  return new RunstreamError(
    'store_failed',
    `Cannot follow stream "${stream}": the Redis subscriber connection dropped while subscribing. Try again.`,
    { details: { stream, retry: true } },
  )
}

function movedError(stream: string): RunstreamError {
  return new RunstreamError(
    'store_failed',
    `Cannot follow stream "${stream}": its Redis Cluster slot moved to another node while subscribing. Try again.`,
    { details: { stream, retry: true } },
  )
}

/** Internal: a sharded subscribe answered MOVED (never leaves this module). */
class SlotMovedError extends Error {}

function closedError(): RunstreamError {
  return new RunstreamError(
    'store_failed',
    'The Redis store was closed; create a new one to follow streams.',
  )
}

function isStoreError(error: unknown): error is RunstreamError {
  return error instanceof RunstreamError
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function noop(): void {}
