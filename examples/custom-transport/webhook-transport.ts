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
  /** The most events waiting to be sent; past it, new ones are dropped. @defaultValue 10_000 */
  maxQueued?: number
}

export function webhookTransport(options: WebhookTransportOptions): Transport {
  const { url, batchSize = 100, lingerMs = 50, maxQueued = 10_000 } = options
  let queue: string[] = []
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
      if (queue.length >= maxQueued) {
        // Thrown synchronously: the manager reports it through onError; other transports still get the event.
        throw new RunstreamError(
          'transport_overflow',
          `Transport "webhook" dropped event ${record.envelope.id} of "${record.envelope.stream}": ${maxQueued} events are waiting for ${url}.`,
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
        })
        if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`)
        resolve()
      } catch (error) {
        reject(error)
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
