import type { ConnectionSink, SinkOwner } from './sink.js'

/** A {@link ConnectionSink} read through a pull-based `ReadableStream`: the body of a `Response`. */
export interface WebSink extends ConnectionSink {
  /** The response body. Bytes leave only when the runtime pulls, so backpressure is the runtime's. */
  readonly body: ReadableStream<Uint8Array>
}

/**
 * Creates a Web sink. What is written between two pulls is joined into one chunk, so a burst of
 * events becomes one network write. `owner` is told once, when the body is finished,
 * cancelled or destroyed.
 */
export function createWebSink(owner: SinkOwner): WebSink {
  let queue: Uint8Array[] = []
  let queued = 0
  let ending = false
  let done = false
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined
  let wake: (() => void) | undefined
  let roomWaiters: (() => void)[] = []

  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c
      },
      pull(c) {
        if (queued > 0 || ending) return deliver(c)
        return new Promise<void>((resolve) => {
          wake = resolve
        }).then(() => deliver(c))
      },
      cancel() {
        finish()
      },
    },
    // Nothing is pulled ahead of the reader: what waits is counted in bufferedBytes.
    { highWaterMark: 0 },
  )

  return {
    body,
    bufferedBytes() {
      return queued
    },
    waitForRoom() {
      if (done) return Promise.resolve()
      return new Promise<void>((resolve) => roomWaiters.push(resolve))
    },
    write(chunk) {
      if (done || ending) return
      queue.push(chunk)
      queued += chunk.length
      wakeUp()
    },
    end(last) {
      if (done || ending) return
      if (last !== undefined) {
        queue.push(last)
        queued += last.length
      }
      ending = true
      wakeUp()
    },
    destroy() {
      if (done) return
      queue = []
      queued = 0
      try {
        controller?.error(new Error('runstream: the stream was cut by the server'))
      } catch {
        // Already closed or errored.
      }
      wakeUp()
      finish()
    },
  }

  function deliver(c: ReadableStreamDefaultController<Uint8Array>): void {
    if (done) return
    if (queued > 0) {
      c.enqueue(take())
      roomMade()
    }
    if (ending && queued === 0) {
      c.close()
      finish()
    }
  }

  function roomMade(): void {
    const waiters = roomWaiters
    roomWaiters = []
    for (const resolve of waiters) resolve()
  }

  function take(): Uint8Array {
    const chunks = queue
    const size = queued
    queue = []
    queued = 0
    // Always a fresh array: frames are shared by every connection, and a runtime may transfer or
    // reuse what it reads.
    if (chunks.length === 1) return (chunks[0] as Uint8Array).slice()
    const joined = new Uint8Array(size)
    let offset = 0
    for (const chunk of chunks) {
      joined.set(chunk, offset)
      offset += chunk.length
    }
    return joined
  }

  function wakeUp(): void {
    const resolve = wake
    wake = undefined
    resolve?.()
  }

  function finish(): void {
    if (done) return
    done = true
    queue = []
    queued = 0
    roomMade()
    owner.sinkDone()
  }
}
