import { FINISHED_POSITION, formatCompositeCursor } from '../core/composite-cursor.js'
import type { EventRecord } from '../core/envelope.js'
import { RunstreamError } from '../core/errors.js'
import { formatCursor, isEpoch } from '../core/event-id.js'
import type { StreamManager } from '../core/manager.js'
import { metricsOf } from '../core/metrics.js'
import { recordId, recordType } from '../core/stored-record.js'
import type { RecordSubscription } from '../core/subscription.js'
import type { Connection, ConnectionOwner } from './connection.js'
import { encodeSse } from './encoder.js'
import { createFeed, failFeed } from './feed.js'
import { follow } from './follow.js'
import { gapFrame, openingFrame } from './frames.js'
import type { ManyPlan } from './many-request.js'
import type { ResolvedSseOptions } from './settings.js'
import type { ConnectionSink } from './sink.js'

/**
 * Opens a many-stream connection: one response, one heartbeat and one byte bound, and each
 * stream of the plan followed into it from its own position (replay, then live). Every event
 * frame is the envelope (whose `stream` says which stream it is of) with, as its `id:`, the
 * composite cursor after it. A stream whose terminal event was sent is done; the response ends
 * once every stream is. Anything else that ends one stream (a store failure, an overflow, the
 * manager closing) ends the response, and the client resumes them all with its cursor.
 */
export function openManyConnection(
  manager: StreamManager,
  plan: ManyPlan,
  sink: ConnectionSink,
  options: ResolvedSseOptions,
  owner: ConnectionOwner,
): Connection {
  const { streams, filter } = plan
  const { protocol } = options
  const positions = [...plan.positions]
  // Per stream: the epoch its client was last told, and its subscription.
  const announced: (string | undefined)[] = []
  const subscriptions: (RecordSubscription | undefined)[] = []
  let following = 0
  const metrics = metricsOf(manager)
  // Events emitted before this are replays, whose lag is not sampled.
  const openedAt = Date.now()
  // Per stream: events written in its current burst, counted once at the burst's end.
  const sent: number[] = streams.map(() => 0)

  const feed = createFeed(sink, {
    heartbeat: options.heartbeat,
    maxQueuedBytes: options.maxQueuedBytes,
    sse: true,
    protocol,
    onStop() {
      for (let i = 0; i < subscriptions.length; i++) {
        const subscription = subscriptions[i]
        subscriptions[i] = undefined
        void subscription?.return?.()
      }
    },
    onOverflow(queuedBytes) {
      metrics.cutOff(streams.join(','), 'bytes')
      options.onError(
        new RunstreamError(
          'subscriber_overflow',
          `A client of ${streams.length} streams (${streams.slice(0, 3).join(', ')}${streams.length > 3 ? ', …' : ''}) had ${queuedBytes} bytes waiting, over maxQueuedBytes (${options.maxQueuedBytes}), and was disconnected; it can resume from the store.`,
          { details: { streams, queuedBytes, maxQueuedBytes: options.maxQueuedBytes } },
        ),
      )
    },
    onRelease: () => owner.released(),
  })

  feed.send(openingFrame(options.retryMs))
  for (let i = 0; i < streams.length && feed.state() === 'open'; i++) {
    if (positions[i] === FINISHED_POSITION) continue
    following++
    const stream = streams[i] as string
    const subscription = follow(manager, feed, stream, positions[i] || undefined, {
      send: (record) => send(i, record),
      tally(oldest) {
        const count = sent[i] as number
        if (count === 0) return
        sent[i] = 0
        metrics.delivered(stream, count, oldest, openedAt)
      },
      gap: (gap) => feed.send(gapFrame(gap, protocol, stream)),
      done() {
        // After its terminal event, a stream is done; ended otherwise (the manager closes), the
        // response ends so that the client resumes.
        if (positions[i] !== FINISHED_POSITION || --following === 0) feed.end()
      },
      fail: (error) => failFeed(feed, stream, error, options.onError),
    })
    if (feed.state() === 'open') subscriptions[i] = subscription
  }
  return feed

  function send(i: number, record: EventRecord): void {
    const id = recordId(record)
    const type = recordType(record)
    if (filter !== undefined && !record.terminal && !filter.has(type)) {
      metrics.filtered()
      return
    }
    const before = positions[i] as string
    positions[i] = record.terminal ? FINISHED_POSITION : id
    let frame: Uint8Array
    try {
      frame = encodeSse({ id: formatCompositeCursor(positions), event: type, data: record.json })
    } catch (error) {
      positions[i] = before
      // A record another producer stored with a type or id that cannot be framed is skipped, as
      // on the single-stream route.
      options.onError(
        new RunstreamError(
          'serialization_failed',
          `Event ${JSON.stringify(id.slice(0, 20))} of "${streams[i]}" was not sent: its id or type cannot be an SSE field (${error instanceof Error ? error.message : String(error)}). Fix the producer that stored it.`,
          { cause: error, details: { stream: streams[i], id: id.slice(0, 20) } },
        ),
      )
      metrics.dropped(streams[i] as string, 1, 'unframeable')
      return
    }
    const { epoch } = record
    if (epoch !== announced[i] && epoch !== undefined && isEpoch(epoch)) {
      // The epoch frame: the composite before this record, with this stream's position
      // qualified by its epoch. It dispatches nothing; the plain positions that follow continue it.
      const after = positions[i] as string
      positions[i] = formatCursor(epoch, String(Number(id) - 1))
      feed.send(encodeSse({ id: formatCompositeCursor(positions) }))
      positions[i] = after
      announced[i] = epoch
    }
    sent[i] = (sent[i] as number) + 1
    feed.send(frame)
  }
}
