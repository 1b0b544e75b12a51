import { isRunstreamError, RunstreamError } from '../core/errors.js'
import { errorFrame, heartbeatFrame, type StreamFailureCode } from './frames.js'
import type { SseProtocol } from './options.js'
import type { ConnectionSink } from './sink.js'
import type { Ticker } from './ticker.js'

/** The states of a feed: taking frames, finishing what is queued, or released. */
export type FeedState = 'open' | 'ending' | 'closed'

/** Options of {@link createFeed}. */
export interface FeedOptions {
  /**
   * The heartbeat timer, shared by the handler's connections. Its period is also the patience
   * given to a full buffer and to an ending response.
   */
  readonly heartbeat: Ticker
  /** The bytes that may wait in the sink for this client. */
  readonly maxQueuedBytes: number
  /** Whether the body is SSE (heartbeats and control events) or plain text (neither). */
  readonly sse: boolean
  /** The clients' protocol, which decides what a `runstream.error` holds. */
  readonly protocol: SseProtocol
  /** Called once, when the feed stops taking frames (it is ending or released). */
  readonly onStop: () => void
  /** Told that a client fell behind, just before it is ended with `subscriber_overflow`. */
  readonly onOverflow: (queuedBytes: number) => void
  /** Called once, when everything is released. */
  readonly onRelease: () => void
}

/**
 * The guarded writing side of one response, whatever feeds it: heartbeats, the byte bound, and
 * the end. Every resource it holds (its place on the heartbeat timer) is released with it.
 */
export interface Feed {
  /**
   * Its state. This and the next two are methods, not getters: an object literal with getters of
   * its own is kept in V8's slow dictionary mode, a cost paid per connection.
   */
  state(): FeedState
  /** Bytes waiting in the sink. */
  bufferedBytes(): number
  /** Whether more than `maxQueuedBytes` wait: a producer that can pause should. */
  full(): boolean
  /** Writes a whole frame. */
  send(bytes: Uint8Array): void
  /** Resolves when the client took some bytes, or the feed stopped. */
  waitForRoom(): Promise<void>
  /** Ends the client as too slow: reports it, then ends with `subscriber_overflow`. */
  overflow(): void
  /**
   * Ends the response after what is queued; with a failure `code`, a `runstream.error` follows
   * it (in text mode, which cannot say why, the connection is cut at once). Without a code,
   * `last` is written last (the AI SDK's `data: [DONE]` after a terminal event).
   */
  end(code?: StreamFailureCode, last?: Uint8Array): void
  /** The network side is done: release everything now. Safe to call more than once. */
  release(): void
}

/**
 * Creates a feed on `sink`. While open, a heartbeat comment is written at every tick, and a
 * client found with more than `maxQueuedBytes` waiting at two heartbeats in a row is ended as
 * too slow. While ending, a response that has not finished after a full heartbeat period is
 * destroyed, so a client that stopped reading holds nothing for long.
 */
export function createFeed(sink: ConnectionSink, options: FeedOptions): Feed {
  return new GuardedFeed(sink, options)
}

/**
 * Ends `feed` because following `stream` failed: reports the error to `onError` (a runstream
 * error as it is, anything else as `store_failed`), then ends with `subscriber_overflow` or
 * `store_failed`, after which the client resumes. Does nothing once the feed is not open.
 */
export function failFeed(
  feed: Feed,
  stream: string,
  error: unknown,
  onError: (error: RunstreamError) => void,
): void {
  if (feed.state() !== 'open') return
  onError(
    isRunstreamError(error)
      ? error
      : new RunstreamError(
          'store_failed',
          `Streaming "${stream}" failed: ${error instanceof Error ? error.message : String(error)}.`,
          { cause: error, details: { stream } },
        ),
  )
  feed.end(isRunstreamError(error, 'subscriber_overflow') ? 'subscriber_overflow' : 'store_failed')
}

/**
 * A class, not an object of closures: its methods live once on the prototype, where closures
 * would be a function object each (and a context holding them) per connection.
 */
class GuardedFeed implements Feed {
  readonly #sink: ConnectionSink
  readonly #options: FeedOptions
  #state: FeedState = 'open'
  // Heartbeat ticks seen while ending: destroyed at the second, a full period at least.
  #endingTicks = 0
  // Whether the buffer was over the bound at the last tick.
  #fullAtLastTick = false

  constructor(sink: ConnectionSink, options: FeedOptions) {
    this.#sink = sink
    this.#options = options
    // The ticker calls heartbeat() on the feed itself: no function per feed.
    options.heartbeat.add(this)
  }

  state(): FeedState {
    return this.#state
  }

  bufferedBytes(): number {
    return this.#sink.bufferedBytes()
  }

  full(): boolean {
    return this.#sink.bufferedBytes() > this.#options.maxQueuedBytes
  }

  send(bytes: Uint8Array): void {
    if (this.#state !== 'open' || bytes.length === 0) return
    try {
      this.#sink.write(bytes)
    } catch {
      this.#sink.destroy()
      this.release()
    }
  }

  waitForRoom(): Promise<void> {
    return this.#sink.waitForRoom()
  }

  overflow(): void {
    if (this.#state !== 'open') return
    this.#options.onOverflow(this.#sink.bufferedBytes())
    this.end('subscriber_overflow')
  }

  end(code?: StreamFailureCode, last?: Uint8Array): void {
    if (this.#state !== 'open') return
    this.#state = 'ending'
    const options = this.#options
    options.onStop()
    if (code !== undefined && !options.sse) {
      // Plain text has no way to say why; a cut connection at least tells curl it failed.
      this.#sink.destroy()
      this.release()
      return
    }
    this.#sink.end(code === undefined ? last : errorFrame(code, options.protocol))
  }

  /** One heartbeat: see {@link createFeed}. */
  heartbeat(): void {
    if (this.#state === 'ending') {
      if (++this.#endingTicks >= 2) {
        this.#sink.destroy()
        this.release()
      }
      return
    }
    if (this.#state !== 'open') return
    const isFull = this.full()
    if (isFull && this.#fullAtLastTick) {
      this.overflow()
      return
    }
    this.#fullAtLastTick = isFull
    if (this.#options.sse) this.send(heartbeatFrame())
  }

  release(): void {
    if (this.#state === 'closed') return
    const wasOpen = this.#state === 'open'
    this.#state = 'closed'
    const options = this.#options
    options.heartbeat.delete(this)
    if (wasOpen) options.onStop()
    options.onRelease()
  }
}
