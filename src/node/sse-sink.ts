import type { ConnectionSink, SinkOwner } from '../server/sink.js'

/** The part of a Node response (`http` or `http2` compatibility API) the sink writes to. */
export interface NodeResponseLike {
  write(chunk: Uint8Array, callback: (error?: Error | null) => void): boolean
  end(): unknown
  end(chunk: Uint8Array): unknown
  destroy(error?: Error): unknown
  once(event: 'drain', listener: () => void): unknown
  on(event: 'close' | 'error', listener: (error?: Error) => void): unknown
  off(event: 'close' | 'error', listener: (error?: Error) => void): unknown
  readonly writableLength: number
  readonly destroyed: boolean
}

// Past this many queued bytes a write goes out at once instead of at the end of the turn, so a
// large burst reaches the socket without first piling up here.
const FLUSH_BYTES = 65_536

const NO_CHUNKS: Uint8Array[] = []

/**
 * A {@link ConnectionSink} that writes straight to a Node response: frames written in the same
 * turn of the event loop, or while the socket is full, are joined into one `write`, and nothing
 * is written between a full socket and its `drain`. `owner` is told once, when the response
 * is closed (finished, failed or cut by the client).
 */
export function createNodeSink(res: NodeResponseLike, owner: SinkOwner): ConnectionSink {
  return new NodeSink(res, owner)
}

/**
 * A class, not an object of closures: its methods live once on the prototype, where closures
 * would be a function object each (and a context holding them) per connection. What only a
 * busy connection needs (the room waiters, the write and drain callbacks) is made when needed.
 */
class NodeSink implements ConnectionSink {
  readonly #res: NodeResponseLike
  readonly #owner: SinkOwner
  // A shared empty array while nothing waits (as on an idle connection): one of its own on write.
  #pending: Uint8Array[] = NO_CHUNKS
  #pendingBytes = 0
  #scheduled = false
  #waitingDrain = false
  #ended = false
  #done = false
  // What the response held after the last write. It only shrinks until the next write, so the
  // sum with pendingBytes is a cheap upper bound of what waits (writableLength is not cheap).
  #socketBytes = 0
  #roomWaiters: (() => void)[] | undefined

  constructor(res: NodeResponseLike, owner: SinkOwner) {
    this.#res = res
    this.#owner = owner
    // One listener shared by every sink, which finds this sink on the response it is called on.
    ;(res as TaggedResponse)[SINK] = this
    res.on('close', closedOrFailed)
    res.on('error', closedOrFailed)
  }

  bufferedBytes(): number {
    return this.#pendingBytes + this.#socketBytes
  }

  waitForRoom(): Promise<void> {
    if (this.#done) return Promise.resolve()
    return new Promise<void>((resolve) => {
      this.#roomWaiters ??= []
      this.#roomWaiters.push(resolve)
    })
  }

  write(chunk: Uint8Array): void {
    if (this.#done || this.#ended) return
    if (this.#pending === NO_CHUNKS) this.#pending = []
    this.#pending.push(chunk)
    this.#pendingBytes += chunk.length
    if (this.#waitingDrain) return
    if (this.#pendingBytes >= FLUSH_BYTES) this.flush()
    else if (!this.#scheduled) {
      this.#scheduled = true
      scheduleFlush(this)
    }
  }

  end(last?: Uint8Array): void {
    if (this.#done || this.#ended) return
    this.#ended = true
    if (last !== undefined) {
      if (this.#pending === NO_CHUNKS) this.#pending = []
      this.#pending.push(last)
      this.#pendingBytes += last.length
    }
    // What waits is within the bound (plus `last`), so it may go to the socket's buffer now.
    if (this.#pendingBytes === 0) this.#res.end()
    else this.#res.end(this.#take())
  }

  destroy(): void {
    if (this.#done) return
    this.#pending = NO_CHUNKS
    this.#pendingBytes = 0
    this.#res.destroy()
    this.#finish()
  }

  /**
   * Writes what is queued, unless the socket waits for `drain` (which flushes then). One method
   * for the flush at the end of the turn and the others: the write path of Node it calls into is
   * large, and each hot method that holds it is one more copy for V8 to optimize.
   */
  flush(): void {
    // A flush scheduled for later finds nothing left, or what was queued since: either is right.
    this.#scheduled = false
    if (this.#waitingDrain || this.#done || this.#ended || this.#pendingBytes === 0) return
    const res = this.#res
    // A write reached the socket: what the response holds shrank, even when no drain will come.
    // (A callback per write, kept only until it is written: an idle connection holds none.)
    const ok = res.write(this.#take(), () => this.#written())
    this.#socketBytes = res.writableLength
    if (ok) this.#roomMade()
    else if (!this.#waitingDrain) {
      this.#waitingDrain = true
      res.once('drain', () => this.#drained())
    }
  }

  /** The response closed or failed (see {@link closedOrFailed}). */
  closedOrFailed(error?: Error): void {
    if (error !== undefined) this.#res.destroy()
    this.#finish()
  }

  #written(): void {
    if (this.#done) return
    this.#socketBytes = this.#res.writableLength
    this.#roomMade()
  }

  #drained(): void {
    this.#waitingDrain = false
    this.#socketBytes = 0
    this.#roomMade()
    this.flush()
  }

  #roomMade(): void {
    const waiters = this.#roomWaiters
    if (waiters === undefined || waiters.length === 0) return
    this.#roomWaiters = undefined
    for (const resolve of waiters) resolve()
  }

  #take(): Uint8Array {
    const chunks = this.#pending
    const size = this.#pendingBytes
    this.#pending = NO_CHUNKS
    this.#pendingBytes = 0
    return join(chunks, size)
  }

  #finish(): void {
    if (this.#done) return
    this.#done = true
    this.#pending = NO_CHUNKS
    this.#pendingBytes = 0
    const res = this.#res
    res.off('close', closedOrFailed)
    res.off('error', closedOrFailed)
    // The response keeps its (done) sink: unsetting the property would change its type in V8's
    // eyes and throw away the code optimized for it, and deleting it would slow the response.
    this.#roomMade()
    this.#owner.sinkDone()
  }
}

// The property of a response that holds its sink, for the listener below.
const SINK: unique symbol = Symbol('runstream.nodeSink')
type TaggedResponse = NodeResponseLike & { [SINK]?: NodeSink | undefined }

/**
 * The one listener of the `close` and `error` events of every response with a sink, called with
 * the response as `this` (as an EventEmitter calls listeners): one function for all connections,
 * where a function bound to each sink cost a function object per connection. An error (the only
 * event of the two with an argument) cuts the response; both end the sink.
 */
function closedOrFailed(this: TaggedResponse, error?: Error): void {
  this[SINK]?.closedOrFailed(error)
}

// The sinks written to in this turn, flushed together by one `setImmediate` at its end: a burst
// fanned out to thousands of connections costs one timer entry, not one per connection.
let dirty: NodeSink[] = []
let spare: NodeSink[] = []

function scheduleFlush(sink: NodeSink): void {
  if (dirty.length === 0) setImmediate(flushAll)
  dirty.push(sink)
}

function flushAll(): void {
  // A sink written to while these flush (a write callback) waits for the next turn, as before.
  const sinks = dirty
  dirty = spare
  for (let i = 0; i < sinks.length; i++) {
    const sink = sinks[i] as NodeSink
    try {
      sink.flush()
    } catch {
      // One response that throws must not leave the others unflushed: it alone is cut.
      sink.destroy()
    }
  }
  sinks.length = 0
  spare = sinks
}

// The last join, shared: clients of one stream that keep up queue the very same frames between
// two flushes, so the bytes are joined once per burst rather than once per client.
let lastChunks: readonly Uint8Array[] = []
let lastJoined: Uint8Array = new Uint8Array(0)

/** Joins queued frames into one buffer, reusing the previous join when the frames are the same. */
function join(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array
  if (chunks.length === lastChunks.length && lastJoined.length === size) {
    let same = true
    for (let i = 0; i < chunks.length; i++) {
      if (chunks[i] !== lastChunks[i]) {
        same = false
        break
      }
    }
    if (same) return lastJoined
  }
  lastChunks = chunks
  lastJoined = Buffer.concat(chunks, size)
  return lastJoined
}
