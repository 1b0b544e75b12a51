import { request as httpRequest, type IncomingMessage } from 'node:http'

/** Options of {@link connectSlowReader}. */
export interface SlowReaderOptions {
  /**
   * How fast the reader takes bytes off the socket. `0` stops reading once the headers have
   * arrived (and `stallAfterBytes` bytes, if given): a client that stopped reading.
   * @defaultValue 0
   */
  bytesPerSecond?: number
  /** Read this many bytes at full speed before slowing down or stalling. @defaultValue 0 */
  stallAfterBytes?: number
  /** Request headers (`Last-Event-ID`, authorization, …). */
  headers?: Record<string, string>
}

/** A connected slow reader. */
export interface SlowReader {
  /** The response's status. */
  readonly status: number
  /** The response's headers. */
  readonly headers: IncomingMessage['headers']
  /** How many body bytes it has taken so far. */
  readonly bytesRead: number
  /** Whether the server ended or dropped the connection. */
  readonly ended: boolean
  /** Resolves when the server ends or drops the connection. */
  readonly done: Promise<void>
  /** Hangs up. */
  close(): void
}

/**
 * Opens an HTTP GET to `url` and then reads its body slowly, or not at all: the client that a
 * server's backpressure and per-connection buffer limits exist for.
 *
 * @example
 * ```ts
 * const reader = await connectSlowReader(`${base}/api/v0/executions/workflows/w1/stream`)
 * // … emit many events, then check the server ended this connection …
 * await reader.done
 * ```
 */
export function connectSlowReader(
  url: string,
  options: SlowReaderOptions = {},
): Promise<SlowReader> {
  const rate = options.bytesPerSecond ?? 0
  const burst = options.stallAfterBytes ?? 0
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { headers: { accept: 'text/event-stream', ...options.headers } },
      (res) => {
        let bytesRead = 0
        let ended = false
        let timer: ReturnType<typeof setInterval> | undefined
        const done = new Promise<void>((settle) => {
          const finish = () => {
            ended = true
            if (timer !== undefined) clearInterval(timer)
            settle()
          }
          res.once('end', finish)
          res.once('close', finish)
          res.once('error', finish)
        })
        const take = (limit: number) => {
          let taken = 0
          while (taken < limit) {
            const chunk: Buffer | null = res.read()
            if (chunk === null) break
            taken += chunk.length
          }
          bytesRead += taken
          return taken
        }
        // Paused mode: bytes leave the socket only when read() is called, so TCP windows fill up.
        res.pause()
        const afterBurst = () => {
          if (rate > 0) {
            const perTick = Math.max(1, Math.round(rate / 20))
            timer = setInterval(() => take(perTick), 50)
          }
        }
        if (burst > 0) {
          const onReadable = () => {
            take(burst - bytesRead)
            if (bytesRead >= burst) {
              res.off('readable', onReadable)
              afterBurst()
            }
          }
          res.on('readable', onReadable)
        } else {
          afterBurst()
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          get bytesRead() {
            return bytesRead
          },
          get ended() {
            return ended
          },
          done,
          close() {
            if (timer !== undefined) clearInterval(timer)
            req.destroy()
            res.destroy()
          },
        })
      },
    )
    req.once('error', reject)
    req.end()
  })
}
