import { RunstreamError } from '../core/errors.js'
import { formatCursor } from '../core/event-id.js'
import type { Watch } from './live-watch.js'

// The errors a live fanout ends registrations with. Each says what the subscriber does next.

// The stream holds less than the watch delivered, and no epoch tells whether it started over.
export function goneError(watch: Watch): RunstreamError {
  return new RunstreamError(
    'store_failed',
    `Stream "${watch.stream}" is no longer in Redis at event ${watch.lastId} (it expired, was deleted, or Redis restarted without its data). Subscribe again; the cursor will be reported as unknown.`,
    {
      details: {
        stream: watch.stream,
        lastEventId: formatCursor(watch.epoch, String(watch.lastId)),
      },
    },
  )
}

// Events after the watch's last id left the stream before it caught up.
export function trimmedError(watch: Watch, firstId: number): RunstreamError {
  return new RunstreamError(
    'store_failed',
    `Events ${watch.lastId + 1} to ${firstId - 1} of stream "${watch.stream}" were trimmed from Redis before live delivery could resume. Subscribe again from the last id received.`,
    {
      details: {
        stream: watch.stream,
        lastEventId: formatCursor(watch.epoch, String(watch.lastId)),
        firstId: String(firstId),
      },
    },
  )
}

export function outageError(watch: Watch, maxOutageMs: number): RunstreamError {
  return new RunstreamError(
    'store_failed',
    `Live delivery of stream "${watch.stream}" stopped: Redis was unreachable for more than ${maxOutageMs} ms (maxOutageMs). Subscribe again from the last id received once Redis is back.`,
    {
      details: {
        stream: watch.stream,
        lastEventId: formatCursor(watch.epoch, String(watch.lastId)),
        maxOutageMs,
      },
    },
  )
}

// `retry`: the sharded fanout tries again (on the node its refreshed slot map names).
export function lostError(stream: string): RunstreamError {
  return new RunstreamError(
    'store_failed',
    `Cannot follow stream "${stream}": the Redis subscriber connection dropped while subscribing. Try again.`,
    { details: { stream, retry: true } },
  )
}

export function movedError(stream: string): RunstreamError {
  return new RunstreamError(
    'store_failed',
    `Cannot follow stream "${stream}": its Redis Cluster slot moved to another node while subscribing. Try again.`,
    { details: { stream, retry: true } },
  )
}

// Also the store's refusal of every call after close(): one error, whatever was called.
export function closedError(): RunstreamError {
  return new RunstreamError(
    'store_failed',
    'The Redis store was closed (manager.close() closes its store); create a new one with redisStore().',
  )
}

export function isStoreError(error: unknown): error is RunstreamError {
  return error instanceof RunstreamError
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
