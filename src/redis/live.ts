import type { Redis } from 'ioredis'
import { RunstreamError } from '../core/errors.js'
import {
  closedError,
  isStoreError,
  lostError,
  messageOf,
  movedError,
  outageError,
} from './live-errors.js'
import { createMovedSlots } from './live-moved.js'
import { channelCommands, SlotMovedError } from './live-subscribe.js'
import { createCatchUp } from './live-sync.js'
import type { LiveFanout, LiveFanoutOptions, WatchPosition } from './live-types.js'
import {
  drain,
  dropHeld,
  endListeners,
  isAway,
  newWatch,
  receive,
  type Watch,
} from './live-watch.js'
import { decodeMessages } from './scripts.js'

export type { LiveFanout, LiveFanoutOptions, WatchPosition } from './live-types.js'

/**
 * Creates the fanout. Each watched stream keeps the id of the last event it delivered and its
 * epoch, so that when the subscriber connection comes back it resubscribes and reads what it
 * missed from the store: `listen` keeps its promise of every event once, in order, across
 * reconnections, or ends the registration with `error` when the store no longer holds what was
 * missed. A stream that Redis started over (expired, or lost in a restart without its data) is
 * delivered from the start of its new incarnation: the subscribers see its epoch change.
 *
 * This file holds the subscriber connection and the watches' lifecycle; a watch's in-order
 * delivery is in `live-watch.ts`, its catch-up from the store in `live-sync.ts`, the pub/sub
 * commands in `live-subscribe.ts`, and what a sharded connection says when a slot leaves its
 * node in `live-moved.ts`.
 */
export function createLiveFanout(options: LiveFanoutOptions): LiveFanout {
  const watches = new Map<string, Watch>()
  let connection: Redis | undefined
  // Bumped whenever the subscriber connection closes: async steps begun before it are stale.
  let generation = 0
  let outageTimer: ReturnType<typeof setTimeout> | undefined
  let closed = false
  const sharded = options.sharded === true
  const commands = channelCommands(sharded)
  const sync = createCatchUp({
    store: options,
    generation: () => generation,
    isCurrent,
    fail,
    armOutageTimer,
    caughtUp() {
      if (noneBehind()) clearOutageTimer()
    },
  })
  const movedSlots = createMovedSlots({
    watches,
    commands,
    connection: () => connection,
    generation: () => generation,
    setAway,
    forget(watch) {
      watches.delete(watch.channel)
    },
    onMoved: (stream) => options.onMoved?.(stream),
  })

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
        const created = newWatch(stream, channel)
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
        if (connection !== undefined) commands.unsubscribe(connection, channel).catch(noop)
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
      sub.on('moved', movedSlots.onMovedEvent)
      sub.on('error', movedSlots.onConnectionError)
    }
    return sub
  }

  async function start(watch: Watch, sub: Redis, from: WatchPosition | undefined): Promise<void> {
    const gen = generation
    try {
      await commands.subscribeOne(sub, watch.channel)
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
        commands.unsubscribe(sub, watch.channel).catch(noop)
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

  function setAway(watch: Watch): void {
    watch.state = 'away'
    dropHeld(watch)
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
    for (const one of decoded) {
      // A hole in the ids, or a new incarnation: what is missing is in the store.
      if (receive(watch, one, options.maxBuffered)) void sync(watch)
    }
  }

  function onDown(): void {
    generation++
    let anyDown = false
    for (const watch of watches.values()) {
      // A starting watch fails on its own: its subscribe is rejected or its generation is stale.
      if (watch.state === 'starting') continue
      watch.state = 'down'
      dropHeld(watch)
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
    const results = await commands.subscribe(
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
      if (connection?.status === 'ready')
        commands.unsubscribe(connection, watch.channel).catch(noop)
    }
    endListeners(watch.listeners, error)
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
          fail(watch, outageError(watch, options.maxOutageMs))
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

function noop(): void {}
