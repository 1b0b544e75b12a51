/**
 * The client side of bench/latency.ts: one watcher that notes when each event reached its
 * handler (the system's monotonic clock, shared by every process).
 *
 * IPC in: { type: 'start', variant, url }. Out: 'ready' once the stream is open, then
 * { type: 'done', ids, times } after the terminal event.
 */
import { createParser } from 'eventsource-parser'
import { connect } from '../../src/client.js'
import { executionCatalog } from '../../src/index.js'
import type { LatencyServer } from './latency-server.js'

const ids: number[] = []
const times: number[] = []

process.on(
  'message',
  (message: { type: 'start'; variant: LatencyServer; url: string } | { type: 'exit' }) => {
    if (message.type === 'exit') process.exit(0)
    else
      void (message.variant === 'runstream' ? runstream(message.url) : raw(message.url)).then(
        () => process.send?.({ type: 'done', ids, times }),
        (error: unknown) => {
          console.error(error)
          process.exit(1)
        },
      )
  },
)

/** runstream's client: parse, JSON, catalog validation, a `for await` loop. */
async function runstream(url: string): Promise<void> {
  const subscription = connect(url, {
    catalog: executionCatalog,
    onOpen: () => process.send?.({ type: 'ready' }),
  })
  for await (const event of subscription) note(event.id)
}

/** The floor: `fetch`, eventsource-parser and `JSON.parse`, nothing else. */
async function raw(url: string): Promise<void> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream' } })
  process.send?.({ type: 'ready' })
  let finished = false
  const parser = createParser({
    onEvent(message) {
      const envelope = JSON.parse(message.data) as { id: string; type: string }
      note(envelope.id)
      if (envelope.type === 'complete') finished = true
    },
  })
  const decoder = new TextDecoder()
  const reader = (response.body as ReadableStream<Uint8Array>).getReader()
  while (!finished) {
    const chunk = await reader.read()
    if (chunk.done) break
    parser.feed(decoder.decode(chunk.value, { stream: true }))
  }
  await reader.cancel()
}

function note(id: string): void {
  times.push(Number(process.hrtime.bigint()) / 1e6)
  ids.push(Number(id))
}
