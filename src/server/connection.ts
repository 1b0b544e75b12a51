import type { EventRecord } from '../core/envelope.js'
import { isRunstreamError, RunstreamError } from '../core/errors.js'
import { isEpoch } from '../core/event-id.js'
import type { StreamManager } from '../core/manager.js'
import { metricsOf } from '../core/metrics.js'
import type { RecordSubscription } from '../core/subscription.js'
import { createFeed, type Feed } from './feed.js'
import { doneFrame, epochFrame, gapFrame, openingFrame, recordFrame, recordText } from './frames.js'
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
  let subscription: RecordSubscription | undefined
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
  try {
    subscription = manager.subscribeRecords({
      stream,
      lastEventId: plan.lastEventId,
      // Text mode has no control events: the text goes on from the oldest event held.
      onGap: sse ? (gap) => feed.send(gapFrame(gap, protocol)) : () => undefined,
    })
  } catch (error) {
    fail(error)
    return feed
  }
  void pump(subscription)
  return feed

  async function pump(records: RecordSubscription): Promise<void> {
    try {
      for (;;) {
        const first = await records.next()
        if (first.done === true || feed.state() !== 'open') break
        if (!(await deliver(first.value))) return tally(first.value)
        // The rest of a burst is taken in this turn: one await per burst, not per event.
        for (const record of records.takeQueued()) {
          // Awaits only when the buffer is full: an await per event is what a burst must not cost.
          if (feed.full() || feed.state() !== 'open') {
            if (!(await deliver(record))) return tally(first.value)
          } else {
            send(record)
          }
        }
        tally(first.value)
      }
      // The terminal event was sent (or the feed stopped): end after it.
      feed.end(undefined, sentTerminal && sse ? doneFrame(protocol) : undefined)
    } catch (error) {
      fail(error)
    }
  }

  /**
   * Sends one record once there is room. A full buffer pauses the pump: a replay waits for the
   * client, and live events wait in the subscription (bounded in count) while the feed's
   * heartbeat watches the bytes. Returns whether the feed is still open.
   */
  async function deliver(record: EventRecord): Promise<boolean> {
    while (feed.full() && feed.state() === 'open') await feed.waitForRoom()
    if (feed.state() !== 'open') return false
    send(record)
    return true
  }

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
