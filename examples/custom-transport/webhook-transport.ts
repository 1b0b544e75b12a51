/**
 * A transport of your own: POSTs events in batches of JSON lines to a URL (a log collector, a
 * webhook). docs/transports.md walks through it; test/examples/custom-transport.test.ts runs
 * runstream's transport contract against it.
 */
import { type EventRecord, RunstreamError, type Transport } from 'runstream'

export interface WebhookTransportOptions {
  /** Where the batches go: `POST`, `content-type: application/x-ndjson`. */
  url: string
  /** The most events in one request. @defaultValue 100 */
  batchSize?: number
  /** How long an event may wait for its batch to fill, in ms. @defaultValue 50 */
  lingerMs?: number
  /**
   * The most events waiting: in the batch being filled, or in requests not yet answered. Past
   * it, new events are dropped. @defaultValue 10_000
   */
  maxQueuedEvents?: number
  /** How long one request may take before it is aborted and its batch lost, in ms. @defaultValue 10_000 */
  timeoutMs?: number
}

export function webhookTransport(options: WebhookTransportOptions): Transport {
  const {
    url,
    batchSize = 100,
    lingerMs = 50,
    maxQueuedEvents = 10_000,
    timeoutMs = 10_000,
  } = options
  // Bad options throw now, with the fix, not later as lost events.
  for (const [name, value] of Object.entries({ batchSize, maxQueuedEvents, timeoutMs })) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new TypeError(`webhookTransport: ${name} must be a whole number above 0, not ${value}.`)
  }
  if (!Number.isFinite(lingerMs) || lingerMs < 0)
    throw new TypeError(
      `webhookTransport: lingerMs must be a number of ms, 0 or more, not ${lingerMs}.`,
    )

  let queue: string[] = []
  // Events queued or in requests not yet settled: what the bound counts, so that a collector
  // that never answers fills it instead of a chain of requests that grows without end.
  let waiting = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  // The batch being filled: every send of it shares one promise, settled when it is posted.
  let pending:
    | { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void }
    | undefined
  // One request at a time, so batches arrive in emit order.
  let chain: Promise<void> = Promise.resolve()

  return {
    name: 'webhook',
    send(record: EventRecord) {
      if (waiting >= maxQueuedEvents) {
        // Thrown synchronously: the manager reports it through onError; other transports still get the event.
        throw new RunstreamError(
          'transport_overflow',
          `Transport "webhook" dropped event ${record.envelope.id} of "${record.envelope.stream}": ${waiting} events are waiting for ${url}: the collector is slow or down (raise maxQueuedEvents to wait for more).`,
          {
            details: {
              transport: 'webhook',
              stream: record.envelope.stream,
              id: record.envelope.id,
            },
          },
        )
      }
      // record.json: the envelope's bytes, the same on every transport.
      queue.push(record.json)
      waiting++
      const first = pending === undefined
      pending ??= deferred()
      if (queue.length >= batchSize) post()
      else timer ??= setTimeout(post, lingerMs)
      // Only the batch's first event returns the promise, so a failed request is reported once;
      // manager.flush() waits for it.
      return first ? pending.promise : undefined
    },
    async close() {
      post()
      await chain
    },
  }

  function post(): void {
    clearTimeout(timer)
    timer = undefined
    if (pending === undefined) return
    const lines = queue
    const { resolve, reject } = pending
    queue = []
    pending = undefined
    chain = chain.then(async () => {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body: `${lines.join('\n')}\n`,
          signal: AbortSignal.timeout(timeoutMs),
        })
        await response.body?.cancel()
        if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`)
        resolve()
      } catch (error) {
        reject(error)
      } finally {
        waiting -= lines.length
      }
    })
  }
}

function deferred() {
  let resolve!: () => void
  let reject!: (error: unknown) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}
