import type { EventRecord } from '../core/envelope.js'
import { isRunstreamError, RunstreamError } from '../core/errors.js'
import { isEpoch } from '../core/event-id.js'
import type { StreamManager } from '../core/manager.js'
import { metricsOf } from '../core/metrics.js'
import type { RecordSubscription } from '../core/subscription.js'
import { createFeed, type Feed } from './feed.js'
import { follow } from './follow.js'
import {
  burstFrame,
  doneFrame,
  epochFrame,
  gapFrame,
  openingFrame,
  recordFrame,
  recordText,
} from './frames.js'
import type { StreamPlan } from './prepare.js'
import type { ResolvedSseOptions } from './settings.js'
import type { ConnectionSink } from './sink.js'

/**
 * One client's stream, from the first byte to the release of everything it held: its feed itself,
 * so no object or closure of its own is kept per connection. `release()` is for the network side
 * being done (the response finished, or the client closed, failed or cancelled); `end('aborted')`
 * for a server shutting down, so the client resumes elsewhere.
 */
export type Connection = Pick<Feed, 'bufferedBytes' | 'end' | 'release'>

/**
 * Opens a connection: writes the opening frame, subscribes (replay after the cursor, then live),
 * and turns each record into the frame or text the plan asks for. This is the one place that
 * decides framing, filters and resume, whatever the sink. `onRelease` is called once, when
 * everything is released, possibly before this returns (the subscription failed at once).
 */
export function openConnection(
  manager: StreamManager,
  plan: StreamPlan,
  sink: ConnectionSink,
  options: ResolvedSseOptions,
  onRelease: () => void,
): Connection {
  const { stream, filter } = plan
  const { protocol } = options
  const sse = plan.format === 'sse'
  // The epoch this client was last told: a record of another one is preceded by an epoch frame.
  let announced: string | undefined
  // Whether the terminal event was sent: only then may the protocol's end (`[DONE]`) follow, as
  // a subscription also ends when the manager closes, which is no end of the stream.
  let sentTerminal = false
  const metrics = metricsOf(manager)
  // Events emitted before this are replays, whose lag is not sampled.
  const openedAt = Date.now()
  // Events written in the current burst, counted once at its end.
  let sent = 0

  let subscription: RecordSubscription | undefined
  const feed = createFeed(sink, {
    heartbeat: options.heartbeat,
    maxQueuedBytes: options.maxQueuedBytes,
    sse,
    protocol,
    onStop() {
      const current = subscription
      subscription = undefined
      void current?.return?.()
    },
    onOverflow(queuedBytes) {
      metrics.cutOff(stream, 'bytes')
      options.onError(
        new RunstreamError(
          'subscriber_overflow',
          `A client of stream "${stream}" had ${queuedBytes} bytes waiting, over maxQueuedBytes (${options.maxQueuedBytes}), and was disconnected; it can resume from the store.`,
          { details: { stream, queuedBytes, maxQueuedBytes: options.maxQueuedBytes } },
        ),
      )
    },
    onRelease,
  })

  if (sse) feed.send(openingFrame(options.retryMs))
  const followed = follow(manager, feed, stream, plan.lastEventId, {
    send,
    // A burst as one block of bytes, the same block as every other connection at the same place
    // in the stream with the same framing: when this connection sees every event (no filter),
    // speaks SSE, was told the burst's epoch already, and has room for all of it.
    burst:
      sse && filter === undefined
        ? (burst) => {
            const epoch = (burst[0] as EventRecord).epoch
            const room = options.maxQueuedBytes - feed.bufferedBytes()
            const bytes =
              (epoch === announced || epoch === undefined || !isEpoch(epoch)) && room > 0
                ? burstFrame(burst, options.framing, room)
                : undefined
            if (bytes === undefined) return false
            if ((burst[burst.length - 1] as EventRecord).terminal) sentTerminal = true
            sent += burst.length
            feed.send(bytes)
            return true
          }
        : undefined,
    // Text mode has no control events: the text goes on from the oldest event held.
    gap: sse ? (gap) => feed.send(gapFrame(gap, protocol)) : () => undefined,
    // The terminal event was sent (or the feed stopped): end after it.
    done: () => feed.end(undefined, sentTerminal && sse ? doneFrame(protocol) : undefined),
    tally,
    fail,
  })
  // Unless it stopped while it subscribed (the subscription failed at once).
  if (feed.state() === 'open') subscription = followed
  return feed

  // Counts the burst whose oldest event is `oldest`: once per burst, not per event.
  function tally(oldest: EventRecord): void {
    if (sent === 0) return
    const count = sent
    sent = 0
    metrics.delivered(stream, count, oldest, openedAt)
  }

  function send(record: EventRecord): void {
    if (filter !== undefined && !record.terminal && !filter.has(record.envelope.type)) {
      metrics.filtered()
      return
    }
    if (record.terminal) sentTerminal = true
    if (!sse) {
      const text = recordText(record)
      // Text mode sends only the text of llm_chunk events: the others are left out, as filtered.
      if (text.length === 0) metrics.filtered()
      else sent++
      feed.send(text)
      return
    }
    let frame: Uint8Array
    try {
      frame = recordFrame(record, options.framing)
      // (An epoch that is not one, written by a foreign producer to a shared store, is never
      // framed: it could carry a line break.)
      if (record.epoch !== announced && record.epoch !== undefined && isEpoch(record.epoch)) {
        feed.send(epochFrame(record))
        announced = record.epoch
      }
    } catch (error) {
      // A record another producer stored with a type or id that cannot be framed (a line break
      // would inject frames) is skipped: ending the stream would end it again at every resume.
      options.onError(
        new RunstreamError(
          'serialization_failed',
          `Event ${JSON.stringify(record.envelope.id.slice(0, 20))} of "${stream}" was not sent: its id or type cannot be an SSE field (${error instanceof Error ? error.message : String(error)}). Fix the producer that stored it.`,
          { cause: error, details: { stream, id: record.envelope.id.slice(0, 20) } },
        ),
      )
      metrics.dropped(stream, 1, 'unframeable')
      return
    }
    sent++
    feed.send(frame)
  }

  function fail(error: unknown): void {
    if (feed.state() !== 'open') return
    options.onError(
      isRunstreamError(error)
        ? error
        : new RunstreamError(
            'store_failed',
            `Streaming "${stream}" failed: ${error instanceof Error ? error.message : String(error)}.`,
            { cause: error, details: { stream } },
          ),
    )
    feed.end(
      isRunstreamError(error, 'subscriber_overflow') ? 'subscriber_overflow' : 'store_failed',
    )
  }
}
