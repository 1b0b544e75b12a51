import type { RunstreamError } from '../core/errors.js'
import type { CancelListener, ReadResult, RunState, Unlisten } from '../core/store.js'
import type { RedisCommands } from './connection.js'

/** The run support of the Redis store: claims in Redis, cancellations over pub/sub. */
export interface RedisRuns {
  createRun(stream: string): Promise<boolean>
  endRun(stream: string): Promise<void>
  cancelRun(stream: string, reason: string): Promise<RunState>
  onCancel(listener: CancelListener): Promise<Unlisten>
  /** Forgets the listeners; the store closes the connections. */
  close(): void
}

/** What the run support needs from its store. */
export interface RedisRunsOptions {
  readonly command: RedisCommands
  /**
   * The store's shared subscriber connection (with a cluster, a cluster-wide one: the cancel
   * channel is plain pub/sub, which every node relays), opened on first use.
   */
  subscriber(): RedisCommands
  readonly prefix: string
  /** The key of a stream's stream hash (`…:meta`), whose existence means the stream exists. */
  metaKey(stream: string): string
  /** How long a claim lives without an end, in ms: the store's idle TTL. */
  readonly ttlMs: number
  /** Reads the stream's state (`limit: 0`). */
  read(stream: string): Promise<ReadResult>
  /** Wraps a Redis failure as `store_failed`. */
  fail(what: string, error: unknown, stream: string): RunstreamError
}

/**
 * Claims a run: sets its claim key, with the idle TTL, unless the claim or the stream already
 * exists. KEYS: claim, meta. ARGV: TTL in ms. Returns 1 when claimed, 0 otherwise.
 */
export const CLAIM_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return 1
`

/**
 * Sends a cancellation when the run is claimed or its stream exists. KEYS: claim, meta. ARGV:
 * channel, message. Returns 1 when sent, 0 when nothing is known of the stream.
 */
export const CANCEL_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 and redis.call('EXISTS', KEYS[2]) == 0 then
  return 0
end
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
`

/**
 * The key of a run's claim. Its suffix ends in a letter no other key of a stream ends in (`:events`,
 * `:meta`), so no two streams can share a key whatever their names, and its hash tag is the
 * stream's, so that one script may read both in a cluster.
 */
export function claimKey(prefix: string, stream: string): string {
  return `${prefix}{${stream}}:run`
}

/**
 * The channel of cancellations, one per prefix. Its name holds a control character (0x1F), which
 * no stream name may hold, so it is never a stream's channel (`<prefix>{<stream>}`). In a cluster it
 * is plain pub/sub, which every node relays: cancellations are rare, and every producer hears
 * them whatever node it is connected to.
 */
export function cancelChannel(prefix: string): string {
  return `${prefix}\u001fcancel`
}

/**
 * Creates the run support of one Redis store. A claim is a key with the idle TTL, dropped when the
 * run ends; a cancellation is published on the prefix's cancel channel, which every process
 * holding runs listens to on its shared subscriber connection (subscribed again after each
 * reconnection). A cancellation sent while a process's subscriber is down does not reach it: the
 * grace period then ends the stream, and the producer's next emit is refused, which aborts its
 * signal too.
 */
export function createRedisRuns(options: RedisRunsOptions): RedisRuns {
  const { command, prefix, ttlMs } = options
  const channel = cancelChannel(prefix)
  const listeners = new Set<CancelListener>()
  let connection: RedisCommands | undefined
  let subscribed: Promise<unknown> | undefined

  return {
    async createRun(stream) {
      try {
        const claimed = await command.eval(
          CLAIM_SCRIPT,
          2,
          claimKey(prefix, stream),
          options.metaKey(stream),
          ttlMs,
        )
        return Number(claimed) === 1
      } catch (error) {
        throw options.fail(`claim run "${stream}"`, error, stream)
      }
    },
    async endRun(stream) {
      try {
        await command.del(claimKey(prefix, stream))
      } catch (error) {
        throw options.fail(`end run "${stream}"`, error, stream)
      }
    },
    async cancelRun(stream, reason) {
      const page = await options.read(stream)
      if (page.finished) return 'finished'
      let sent: unknown
      try {
        sent = await command.eval(
          CANCEL_SCRIPT,
          2,
          claimKey(prefix, stream),
          options.metaKey(stream),
          channel,
          JSON.stringify({ stream, reason }),
        )
      } catch (error) {
        throw options.fail(`cancel run "${stream}"`, error, stream)
      }
      return Number(sent) === 1 ? 'running' : 'unknown'
    },
    async onCancel(listener) {
      listeners.add(listener)
      try {
        await subscribe()
      } catch (error) {
        listeners.delete(listener)
        throw options.fail('listen for cancellations', error, '')
      }
      return () => {
        listeners.delete(listener)
        if (listeners.size > 0 || connection === undefined) return
        subscribed = undefined
        connection.unsubscribe(channel).catch(noop)
      }
    },
    close() {
      listeners.clear()
    },
  }

  function subscribe(): Promise<unknown> {
    if (connection === undefined) {
      const sub = options.subscriber()
      connection = sub
      sub.on('message', onMessage)
      // The store's subscriber does not resubscribe by itself after a reconnection.
      sub.on('ready', () => {
        if (listeners.size > 0) sub.subscribe(channel).catch(noop)
      })
    }
    if (subscribed === undefined) {
      const pending = connection.subscribe(channel)
      subscribed = pending
      pending.catch(() => {
        if (subscribed === pending) subscribed = undefined
      })
    }
    return subscribed
  }

  function onMessage(from: string, message: string): void {
    if (from !== channel) return
    let stream: unknown
    let reason: unknown
    try {
      ;({ stream, reason } = JSON.parse(message) as { stream?: unknown; reason?: unknown })
    } catch {
      return
    }
    if (typeof stream !== 'string' || typeof reason !== 'string') return
    for (const listener of [...listeners]) {
      try {
        listener(stream, reason)
      } catch {
        // A listener's failure is its own; the others are still told.
      }
    }
  }
}

function noop(): void {}
