import type { EventRecord } from '../core/envelope.js'
import { RunstreamError } from '../core/errors.js'
import { isEpoch } from '../core/event-id.js'
import type { StreamManager } from '../core/manager.js'
import { metricsOf } from '../core/metrics.js'
import { recordId, recordType } from '../core/stored-record.js'
import type { GapInfo, RecordSubscription } from '../core/subscription.js'
import { createFeed, type Feed, type FeedOptions, failFeed } from './feed.js'
import { type FollowTarget, follow } from './follow.js'
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

/** What is told once a connection has released everything (an object: no callback each). */
export interface ConnectionOwner {
  /** Called once, when everything is released. */
  released(): void
}

/**
 * Opens a connection: writes the opening frame, subscribes (replay after the cursor, then live),
 * and turns each record into the frame or text the plan asks for. This is the one place that
 * decides framing, filters and resume, whatever the sink. `owner` is told once, when
 * everything is released, possibly before this returns (the subscription failed at once).
 */
export function openConnection(
  manager: StreamManager,
  plan: StreamPlan,
  sink: ConnectionSink,
  options: ResolvedSseOptions,
  owner: ConnectionOwner,
): Connection {
  const connection = new StreamConnection(plan, options, owner, metricsOf(manager))
  const feed = createFeed(sink, connection)
  connection.feed = feed
  if (connection.sse) feed.send(openingFrame(options.retryMs))
  const followed = follow(manager, feed, plan.stream, plan.lastEventId, connection)
  // Unless it stopped while it subscribed (the subscription failed at once).
  if (feed.state() === 'open') connection.subscription = followed
  return feed
}

/**
 * What one connection knows beyond its feed: both the feed's options and the target it follows
 * its stream into, as one object whose methods live on the prototype (closures would be a
 * function object each, and a context holding them, per connection). The options shared by every
 * connection of a handler are read from them, not copied into each connection.
 */
class StreamConnection implements FeedOptions, FollowTarget {
  readonly sse: boolean
  readonly #owner: ConnectionOwner
  readonly #stream: string
  readonly #filter: ReadonlySet<string> | undefined
  readonly #options: ResolvedSseOptions
  // The epoch this client was last told: a record of another one is preceded by an epoch frame.
  #announced: string | undefined
  // Whether the terminal event was sent: only then may the protocol's end (`[DONE]`) follow, as
  // a subscription also ends when the manager closes, which is no end of the stream.
  #sentTerminal = false
  readonly #metrics: ReturnType<typeof metricsOf>
  // Events emitted before this are replays, whose lag is not sampled.
  readonly #openedAt = Date.now()
  // Events written in the current burst, counted once at its end.
  #sent = 0
  feed!: Feed
  subscription: RecordSubscription | undefined

  constructor(
    plan: StreamPlan,
    options: ResolvedSseOptions,
    owner: ConnectionOwner,
    metrics: ReturnType<typeof metricsOf>,
  ) {
    this.#metrics = metrics
    this.sse = plan.format === 'sse'
    this.#owner = owner
    this.#stream = plan.stream
    this.#filter = plan.filter
    this.#options = options
  }

  get heartbeat(): FeedOptions['heartbeat'] {
    return this.#options.heartbeat
  }

  get maxQueuedBytes(): number {
    return this.#options.maxQueuedBytes
  }

  get protocol(): FeedOptions['protocol'] {
    return this.#options.protocol
  }

  onRelease(): void {
    this.#owner.released()
  }

  onStop(): void {
    const current = this.subscription
    this.subscription = undefined
    void current?.return?.()
  }

  onOverflow(queuedBytes: number): void {
    const { maxQueuedBytes } = this
    const stream = this.#stream
    this.#metrics.cutOff(stream, 'bytes')
    this.#options.onError(
      new RunstreamError(
        'subscriber_overflow',
        `A client of stream "${stream}" had ${queuedBytes} bytes waiting, over maxQueuedBytes (${maxQueuedBytes}), and was disconnected; it can resume from the store.`,
        { details: { stream, queuedBytes, maxQueuedBytes } },
      ),
    )
  }

  send(record: EventRecord): void {
    const filter = this.#filter
    if (filter !== undefined && !record.terminal && !filter.has(recordType(record))) {
      this.#metrics.filtered()
      return
    }
    if (record.terminal) this.#sentTerminal = true
    const feed = this.feed
    if (!this.sse) {
      const text = recordText(record)
      // Text mode sends only the text of llm_chunk events: the others are left out, as filtered.
      if (text.length === 0) this.#metrics.filtered()
      else this.#sent++
      feed.send(text)
      return
    }
    let frame: Uint8Array
    try {
      frame = recordFrame(record, this.#options.framing)
      // (An epoch that is not one, written by a foreign producer to a shared store, is never
      // framed: it could carry a line break.)
      if (record.epoch !== this.#announced && record.epoch !== undefined && isEpoch(record.epoch)) {
        feed.send(epochFrame(record))
        this.#announced = record.epoch
      }
    } catch (error) {
      // A record another producer stored with a type or id that cannot be framed (a line break
      // would inject frames) is skipped: ending the stream would end it again at every resume.
      const stream = this.#stream
      this.#options.onError(
        new RunstreamError(
          'serialization_failed',
          `Event ${JSON.stringify(recordId(record).slice(0, 20))} of "${stream}" was not sent: its id or type cannot be an SSE field (${error instanceof Error ? error.message : String(error)}). Fix the producer that stored it.`,
          { cause: error, details: { stream, id: recordId(record).slice(0, 20) } },
        ),
      )
      this.#metrics.dropped(stream, 1, 'unframeable')
      return
    }
    this.#sent++
    feed.send(frame)
  }

  // Counts the burst whose oldest event is `oldest`: once per burst, not per event.
  tally(oldest: EventRecord): void {
    if (this.#sent === 0) return
    const count = this.#sent
    this.#sent = 0
    this.#metrics.delivered(this.#stream, count, oldest, this.#openedAt)
  }

  // A burst as one block of bytes, the same block as every other connection at the same place in
  // the stream with the same framing: when this connection sees every event (no filter), speaks
  // SSE, and has room for all of it. A client not told the burst's epoch yet (as every client at
  // its first live burst) gets the epoch frame just before the block, as record by record.
  burst(burst: readonly EventRecord[]): boolean {
    if (!this.sse || this.#filter !== undefined) return false
    const room = this.#options.maxQueuedBytes - this.feed.bufferedBytes()
    const bytes = room > 0 ? burstFrame(burst, this.#options.framing, room) : undefined
    if (bytes === undefined) return false
    const first = burst[0] as EventRecord
    const epoch = first.epoch
    if (epoch !== this.#announced && epoch !== undefined && isEpoch(epoch)) {
      this.feed.send(epochFrame(first))
      this.#announced = epoch
    }
    if ((burst[burst.length - 1] as EventRecord).terminal) this.#sentTerminal = true
    this.#sent += burst.length
    this.feed.send(bytes)
    return true
  }

  gap(gap: GapInfo): void {
    // Text mode has no control events: the text goes on from the oldest event held.
    if (this.sse) this.feed.send(gapFrame(gap, this.protocol))
  }

  done(): void {
    // The terminal event was sent (or the feed stopped): end after it.
    this.feed.end(undefined, this.#sentTerminal && this.sse ? doneFrame(this.protocol) : undefined)
  }

  fail(error: unknown): void {
    failFeed(this.feed, this.#stream, error, this.#options.onError)
  }
}
