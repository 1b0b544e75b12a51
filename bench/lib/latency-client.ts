/**
 * The client side of bench/latency.ts: one watcher that notes when each event reached its
 * handler (the system's monotonic clock, shared by every process).
 *
 * IPC in: { type: 'start', variant, url, warmup, probe? }. Out: 'ready' once the stream is
 * open, then { type: 'done', ids, times, probe? } after the terminal event: what the probe saw
 * from the last warm-up event on, when one was asked for.
 */
import { createParser } from 'eventsource-parser'
import { connect } from '../../src/client.js'
import { executionCatalog } from '../../src/index.js'
import {
  monotonicNow,
  notingFetch,
  type ProbeReport,
  type ProbeRequest,
  startProbe,
} from './latency-probe.js'
import type { LatencyServer } from './latency-server.js'

const ids: number[] = []
const times: number[] = []
let warmup = 0
let probe: ProbeRequest | undefined
let stopProbe: Promise<() => Promise<ProbeReport>> | undefined

// The bench that forked this process is gone (killed, crashed): nothing will ask it to exit.
process.on('disconnect', () => process.exit(0))

process.on(
  'message',
  (
    message:
      | { type: 'start'; variant: LatencyServer; url: string; warmup: number; probe?: ProbeRequest }
      | { type: 'exit' },
  ) => {
    if (message.type === 'exit') process.exit(0)
    else {
      warmup = message.warmup
      probe = message.probe
      void (message.variant === 'runstream' ? runstream(message.url) : raw(message.url))
        .then(async () => {
          const report = await (stopProbe === undefined ? undefined : (await stopProbe)())
          process.send?.({
            type: 'done',
            ids,
            times,
            ...(report === undefined ? {} : { probe: report }),
          })
        })
        .then(undefined, (error: unknown) => {
          console.error(error)
          process.exit(1)
        })
    }
  },
)

/** runstream's client: parse, JSON, catalog validation, a `for await` loop. */
async function runstream(url: string): Promise<void> {
  const subscription = connect(url, {
    catalog: executionCatalog,
    ...(probe?.split === true ? { fetch: notingFetch } : {}),
    onOpen: () => process.send?.({ type: 'ready' }),
  })
  for await (const event of subscription) note(event.id)
}

/** The floor: `fetch`, eventsource-parser and `JSON.parse`, nothing else. */
async function raw(url: string): Promise<void> {
  const response = await (probe?.split === true ? notingFetch : fetch)(url, {
    headers: { accept: 'text/event-stream' },
  })
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
  times.push(monotonicNow())
  const n = Number(id)
  ids.push(n)
  if (n === warmup && probe !== undefined) stopProbe = startProbe(probe)
}
