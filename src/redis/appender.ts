import { type DraftEvent, type EventRecord, recordFromDraft } from '../core/envelope.js'
import { RunstreamError } from '../core/errors.js'
import type { RedisCommands } from './connection.js'
import type { Resolver } from './resolve.js'
import { APPEND_SCRIPT, type StreamKeys } from './scripts.js'

/** Appends events, batched per stream into one script call each. */
export interface Appender {
  append(draft: DraftEvent): Promise<EventRecord>
  /** Sends what is pending now (the store closes after). */
  flush(): void
}

/** What the appender needs from its store. */
export interface AppenderOptions {
  readonly command: RedisCommands
  keys(stream: string): StreamKeys
  readonly resolver: Resolver
  /** `PUBLISH`, or `SPUBLISH` in a cluster. */
  readonly publish: 'PUBLISH' | 'SPUBLISH'
  readonly maxEvents: number
  readonly idleTtlMs: number
  readonly finishedTtlMs: number
  /** How many times the command connection became ready (see `Connections.commandReadies`). */
  commandReadies(): number
  /** Whether a command sent now is written at once (the connection is ready). */
  commandReady(): boolean
  /** Wraps a failure as `store_failed`. */
  fail(what: string, error: unknown, stream: string): RunstreamError
}

interface Item {
  readonly draft: DraftEvent
  readonly token: string
  resolve(record: EventRecord): void
  reject(error: unknown): void
}

interface Batch {
  readonly stream: string
  readonly items: Item[]
  bytes: number
}

/** Events of one script call at most: what the raw loop it is measured against pipelines. */
export const MAX_BATCH_EVENTS = 100
/** Body bytes of one script call at most (a larger event goes alone). */
export const MAX_BATCH_BYTES = 512 * 1024
/**
 * Streams whose newest given id the appender keeps, at most: the least recently appended to are
 * forgotten first (a stream it forgot is no longer fenced by this appender; see
 * {@link APPEND_SCRIPT}). A stream is forgotten when its terminal event is stored.
 */
export const MAX_KNOWN_STREAMS = 10_000

/**
 * Creates the appender of one store. The appends of one stream issued in one turn of the event
 * loop go to Redis as one script call, which stores them in order, atomically, and publishes them
 * in one message: sent at the end of the turn (a microtask, so no timer is added to the
 * latency), or as soon as a batch holds {@link MAX_BATCH_EVENTS} events or
 * {@link MAX_BATCH_BYTES} bytes. Batches are sent in the order they were started on one
 * connection per Redis node, and a stream's batches all go to one node, so a stream's ids follow
 * the order of its appends. A batch never holds two streams: each script touches the keys of one
 * hash slot, as Redis Cluster requires.
 *
 * A batch is stored whole or not at all, so failures are the ones of a single append: Redis
 * refused the call, or it never left this process: every event of it is `store_failed`; its reply
 * was lost: each event is looked up by its token, in order (see {@link Resolver}).
 *
 * Each call carries the newest id (and its epoch) the appender was given for the stream, so that
 * the script never gives an id again in an epoch where it was given already, when the stream
 * lost it (a failover to a replica that lacked it): it starts a new epoch instead.
 */
export function createAppender(options: AppenderOptions): Appender {
  const { command, resolver } = options
  const pending = new Map<string, Batch>()
  // The newest id given per stream, and its epoch, least recently appended to first.
  const given = new Map<string, { epoch: string; id: number }>()
  let scheduled = false

  return {
    append(draft) {
      return new Promise<EventRecord>((resolve, reject) => {
        let batch = pending.get(draft.stream)
        if (batch === undefined) {
          batch = { stream: draft.stream, items: [], bytes: 0 }
          pending.set(draft.stream, batch)
          if (!scheduled) {
            scheduled = true
            queueMicrotask(flushAll)
          }
        } else if (batch.bytes + draft.body.length > MAX_BATCH_BYTES) {
          send(batch)
          batch = { stream: draft.stream, items: [], bytes: 0 }
          pending.set(draft.stream, batch)
        }
        batch.items.push({ draft, token: resolver.nextToken(), resolve, reject })
        batch.bytes += draft.body.length
        if (batch.items.length >= MAX_BATCH_EVENTS) send(batch)
      })
    },
    flush: flushAll,
  }

  function flushAll(): void {
    scheduled = false
    for (const batch of pending.values()) send(batch)
  }

  function send(batch: Batch): void {
    if (pending.get(batch.stream) === batch) pending.delete(batch.stream)
    const { items } = batch
    const k = options.keys(batch.stream)
    const args: (string | number)[] = [
      k.events,
      k.meta,
      options.maxEvents,
      options.idleTtlMs,
      options.finishedTtlMs,
      k.channel,
      options.publish,
      given.get(batch.stream)?.epoch ?? '',
      given.get(batch.stream)?.id ?? 0,
    ]
    for (const item of items) {
      args.push(item.draft.body, item.draft.terminal ? '1' : '0', item.token)
    }
    // Whether the command may reach Redis: written at once when the connection is ready, or
    // later from ioredis' offline queue if it becomes ready before the command fails.
    const wasReady = options.commandReady()
    const readies = options.commandReadies()
    // Sent at once: commands leave in call order on one connection, which is how a stream's
    // batches keep the order they were started in.
    command.eval(APPEND_SCRIPT, 2, ...args).then(
      (reply) => settle(items, reply),
      (error: unknown) => {
        const never =
          isReplyError(error) ||
          (!wasReady && options.commandReadies() === readies && !isTimeout(error))
        for (const item of items) {
          const { draft } = item
          if (never) {
            // Redis refused it, or it never left this process: it was not stored.
            item.reject(
              options.fail(
                `store event "${draft.type}" of stream "${draft.stream}"`,
                error,
                draft.stream,
              ),
            )
          } else {
            // It may have run: find out, so that only the truth is reported, and a stored event
            // still reaches the transports. The resolver settles them one by one, in this order.
            resolver.resolve(draft, k, item.token, error).then((record) => {
              remember(record)
              item.resolve(record)
            }, item.reject)
          }
        }
      },
    )
  }

  function settle(items: Item[], reply: unknown): void {
    // 0: the stream had finished, and the script stored nothing.
    const [first, stored, epoch] = Array.isArray(reply)
      ? (reply as [unknown, unknown, unknown])
      : [0, 0, undefined]
    const firstId = Number(first)
    const count = Number(stored)
    const ep = epoch == null ? undefined : String(epoch)
    let last: EventRecord | undefined
    for (const [i, item] of items.entries()) {
      if (i < count) {
        last = recordFromDraft(String(firstId + i), item.draft, ep)
        item.resolve(last)
      } else item.reject(finishedError(item.draft))
    }
    if (last !== undefined) remember(last)
    else if (items[0] !== undefined) given.delete(items[0].draft.stream)
  }

  /** Keeps the newest id given for the record's stream (forgotten once the stream ended). */
  function remember(record: EventRecord): void {
    const { stream } = record.envelope
    const known = given.get(stream)
    given.delete(stream)
    if (record.terminal || record.epoch === undefined) return
    const id = Number(record.envelope.id)
    if (known !== undefined && known.epoch === record.epoch && known.id > id) {
      given.set(stream, known)
      return
    }
    given.set(stream, { epoch: record.epoch, id })
    if (given.size > MAX_KNOWN_STREAMS) {
      for (const oldest of given.keys()) {
        given.delete(oldest)
        break
      }
    }
  }
}

// Redis answered with an error: the command did not run (or, for a script, stopped before writing).
function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError'
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Command timed out'
}

// The error of an append Redis refused because the stream had finished.
function finishedError(draft: DraftEvent): RunstreamError {
  return new RunstreamError(
    'stream_finished',
    `Stream "${draft.stream}" already received its terminal event in Redis; "${draft.type}" was not stored. Emit terminal events last, from one producer.`,
    { details: { stream: draft.stream, eventType: draft.type } },
  )
}
