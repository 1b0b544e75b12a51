import { RunstreamError } from '../core/errors.js'
import type { Transport } from '../core/transport.js'
import { createFeed, type Feed } from './feed.js'
import { openingFrame, recordFrame } from './frames.js'
import type { SseTransportOptions } from './options.js'
import { SSE_HEADERS } from './prepare.js'
import { resolveTransportOptions } from './settings.js'
import { createWebSink } from './web-sink.js'

/**
 * A {@link Transport} that streams every event the manager emits, of every stream, to the SSE
 * responses it hands out: a firehose for dashboards and debugging. Responses receive the events
 * sent after they were created (there is no replay; use the stream routes to resume).
 */
export interface SseTransport extends Transport {
  /**
   * A new SSE `Response` that receives every event from now on, until its client leaves, the
   * request's `signal` aborts, or the transport closes.
   */
  response(request?: Request): Response
  /** How many responses are open. */
  readonly connections: number
  /** Ends every response and refuses new ones with 503. */
  close(): void
}

/**
 * Creates the SSE transport. Each event is encoded once for all responses, and each response has
 * its own bounded buffer and heartbeat, as on the stream routes.
 *
 * @example
 * ```ts
 * const firehose = sseTransport()
 * const manager = createStreamManager({ catalog: executionCatalog, transports: [firehose] })
 * app.get('/debug/events', (c) => firehose.response(c.req.raw))
 * ```
 */
export function sseTransport(options?: SseTransportOptions): SseTransport {
  const resolved = resolveTransportOptions(options)
  const { filter } = resolved
  const feeds = new Set<Feed>()
  let closed = false

  return {
    name: 'sse',
    get connections() {
      return feeds.size
    },
    send(record) {
      if (feeds.size === 0 || (filter !== undefined && !filter(record))) return
      const frame = recordFrame(record, resolved.framing)
      // Nothing here can pause the producer, so a response past its bound is ended at once.
      for (const feed of feeds) {
        if (feed.full()) feed.overflow()
        else feed.send(frame)
      }
    },
    response(request) {
      if (closed) {
        return new Response(
          JSON.stringify({
            status: 503,
            error: { code: 'unavailable', message: 'This event stream is closed.' },
          }),
          { status: 503, headers: { 'content-type': 'application/json; charset=utf-8' } },
        )
      }
      const signal = request?.signal
      let feed: Feed | undefined
      const sink = createWebSink({ sinkDone: () => feed?.release() })
      const onAbort = () => feed?.release()
      const created = createFeed(sink, {
        heartbeat: resolved.heartbeat,
        maxQueuedBytes: resolved.maxQueuedBytes,
        sse: true,
        protocol: resolved.protocol,
        onStop: () => feeds.delete(created),
        onOverflow(queuedBytes) {
          resolved.onError(
            new RunstreamError(
              'subscriber_overflow',
              `An SSE transport response had ${queuedBytes} bytes waiting, over maxQueuedBytes (${resolved.maxQueuedBytes}), and was ended.`,
              { details: { queuedBytes, maxQueuedBytes: resolved.maxQueuedBytes } },
            ),
          )
        },
        onRelease: () => signal?.removeEventListener('abort', onAbort),
      })
      feed = created
      feeds.add(created)
      created.send(openingFrame(resolved.retryMs))
      signal?.addEventListener('abort', onAbort, { once: true })
      if (signal?.aborted === true) created.release()
      return new Response(sink.body, { status: 200, headers: SSE_HEADERS })
    },
    close() {
      closed = true
      for (const feed of [...feeds]) feed.end('aborted')
    },
  }
}
