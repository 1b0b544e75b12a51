import type { ConnectionSink } from '../server/sink.js'

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

/**
 * A {@link ConnectionSink} that writes straight to a Node response: frames written in the same
 * turn of the event loop, or while the socket is full, are joined into one `write`, and nothing
 * is written between a full socket and its `drain`. `onDone` is called once, when the response
 * is closed (finished, failed or cut by the client).
 */
export function createNodeSink(res: NodeResponseLike, onDone: () => void): ConnectionSink {
  let pending: Uint8Array[] = []
  let pendingBytes = 0
  let scheduled = false
  let waitingDrain = false
  let ended = false
  let done = false
  // What the response held after the last write. It only shrinks until the next write, so the
  // sum with pendingBytes is a cheap upper bound of what waits (writableLength is not cheap).
  let socketBytes = 0
  let roomWaiters: (() => void)[] = []

  res.on('close', finish)
  res.on('error', onError)

  return {
    bufferedBytes() {
      return pendingBytes + socketBytes
    },
    waitForRoom() {
      if (done) return Promise.resolve()
      return new Promise<void>((resolve) => roomWaiters.push(resolve))
    },
    write(chunk) {
      if (done || ended) return
      pending.push(chunk)
      pendingBytes += chunk.length
      if (waitingDrain) return
      if (pendingBytes >= FLUSH_BYTES) flush()
      else if (!scheduled) {
        scheduled = true
        setImmediate(onImmediate)
      }
    },
    end(last) {
      if (done || ended) return
      ended = true
      if (last !== undefined) {
        pending.push(last)
        pendingBytes += last.length
      }
      // What waits is within the bound (plus `last`), so it may go to the socket's buffer now.
      if (pendingBytes === 0) res.end()
      else res.end(take())
    },
    destroy() {
      if (done) return
      pending = []
      pendingBytes = 0
      res.destroy()
      finish()
    },
  }

  function onError(): void {
    res.destroy()
    finish()
  }

  function onImmediate(): void {
    scheduled = false
    if (!waitingDrain) flush()
  }

  function flush(): void {
    if (done || ended || pendingBytes === 0) return
    const ok = res.write(take(), onWritten)
    socketBytes = res.writableLength
    if (ok) roomMade()
    else if (!waitingDrain) {
      waitingDrain = true
      res.once('drain', onDrain)
    }
  }

  // A write reached the socket: what the response holds shrank, even when no drain will come.
  function onWritten(): void {
    if (done) return
    socketBytes = res.writableLength
    roomMade()
  }

  function onDrain(): void {
    waitingDrain = false
    socketBytes = 0
    roomMade()
    flush()
  }

  function roomMade(): void {
    if (roomWaiters.length === 0) return
    const waiters = roomWaiters
    roomWaiters = []
    for (const resolve of waiters) resolve()
  }

  function take(): Uint8Array {
    const chunks = pending
    const size = pendingBytes
    pending = []
    pendingBytes = 0
    return join(chunks, size)
  }

  function finish(): void {
    if (done) return
    done = true
    pending = []
    pendingBytes = 0
    res.off('close', finish)
    res.off('error', onError)
    roomMade()
    onDone()
  }
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
