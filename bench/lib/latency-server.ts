/**
 * The server side of bench/latency.ts: one stream, emitted at a steady rate, and the moment
 * (the system's monotonic clock, shared by every process) each event was emitted.
 *
 * IPC in: { type: 'start', variant, probe?, storeEvents? }, { type: 'run', rate, warmup, events }.
 * Out: { type: 'listening', port, path }, { type: 'emitted', first, times, probe? }: what the
 * probe saw over the measured events (after the warm-up), when one was asked for.
 */
import http from 'node:http'
import { createStreamManager, executionCatalog, memoryStore } from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'
import {
  monotonicNow,
  noteWrites,
  type ProbeReport,
  type ProbeRequest,
  startProbe,
} from './latency-probe.js'

/** The servers compared. */
export type LatencyServer = 'runstream' | 'raw'

const PATH = '/api/v0/executions/tasks/bench/stream'
const STREAM = 'task:bench'
const TEXT = 'The quick brown fox jumps over the lazy dog, streaming tokens as they come. '.repeat(
  2,
)

let emit: (id: number) => void = () => undefined
let probe: ProbeRequest | undefined
let storeEvents: number | undefined

// The bench that forked this process is gone (killed, crashed): nothing will ask it to exit.
process.on('disconnect', () => process.exit(0))

process.on(
  'message',
  (
    message:
      | { type: 'start'; variant: LatencyServer; probe?: ProbeRequest; storeEvents?: number }
      | { type: 'run'; rate: number; warmup: number; events: number }
      | { type: 'exit' },
  ) => {
    if (message.type === 'start') {
      probe = message.probe
      storeEvents = message.storeEvents
      if (probe?.split === true) noteWrites()
      start(message.variant)
    } else if (message.type === 'run') run(message.rate, message.warmup, message.events)
    else if (message.type === 'exit') process.exit(0)
  },
)

function start(variant: LatencyServer): void {
  let handle: http.RequestListener
  if (variant === 'runstream') {
    const manager = createStreamManager({
      catalog: executionCatalog,
      // An experiment's store that keeps fewer events: what the ones it keeps cost each GC.
      ...(storeEvents === undefined
        ? {}
        : { store: memoryStore({ maxEventsPerStream: storeEvents }) }),
    })
    // Envelopes in data:, as the hand-written server sends them and the raw client reads them.
    handle = createNodeHandler(manager, { framing: 'envelope' }) as http.RequestListener
    const stream = manager.stream(STREAM)
    emit = (id) => {
      if (id === 0) stream.emit('complete', { status: 'SUCCESS' })
      else stream.emit('llm_chunk', { text: TEXT })
    }
  } else {
    // What a hand-written server does: stringify the envelope, write the frame to each client.
    const clients: http.ServerResponse[] = []
    let next = 1
    handle = (_req, res) => {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      })
      res.write('retry: 2000\n: ok\n\n')
      clients.push(res)
    }
    emit = (id) => {
      const type = id === 0 ? 'complete' : 'llm_chunk'
      const json = JSON.stringify({
        id: String(next),
        type,
        stream: STREAM,
        ts: new Date().toISOString(),
        data: id === 0 ? { status: 'SUCCESS' } : { text: TEXT },
      })
      const frame = `id: ${next}\nevent: ${type}\ndata: ${json}\n\n`
      next++
      for (const res of clients) res.write(frame)
    }
  }
  const server = http.createServer(handle)
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number }
    process.send?.({ type: 'listening', port, path: PATH })
  })
}

/**
 * Emits `warmup + events` events at `rate` per second, then the terminal one. Each timer tick
 * emits what is due by then: a steady rate without a busy loop, the same for every server.
 */
function run(rate: number, warmup: number, events: number): void {
  const total = warmup + events
  const times = new Float64Array(events)
  // With `split`: when each emit call returned, to tell its own time from what it deferred.
  const returned = new Float64Array(probe?.split === true ? events : 0)
  let started = performance.now()
  let sent = 0
  let stopProbe: Promise<() => Promise<ProbeReport>> | undefined
  const tick = () => {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1)
    while (sent < due) {
      if (sent === warmup && probe !== undefined) {
        const before = performance.now()
        stopProbe = startProbe(probe)
        // Starting a probe can take a while (callgrind's control, the profiler): the schedule
        // moves with it rather than catching up in one burst of the first measured events.
        started += performance.now() - before
      }
      sent++
      if (sent > warmup) times[sent - warmup - 1] = monotonicNow()
      emit(sent)
      if (sent > warmup && returned.length > 0) returned[sent - warmup - 1] = monotonicNow()
    }
    if (sent < total) {
      setTimeout(tick, 1)
      return
    }
    emit(0)
    void (
      stopProbe === undefined ? Promise.resolve(undefined) : stopProbe.then((stop) => stop())
    ).then((report) =>
      process.send?.({
        type: 'emitted',
        first: warmup + 1,
        times: Array.from(times),
        returned: Array.from(returned),
        ...(report === undefined ? {} : { probe: report }),
      }),
    )
  }
  tick()
}
