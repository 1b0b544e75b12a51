/**
 * The server side of bench/slow.ts: emits a long stream as fast as the producer can while some
 * clients have stopped reading, and watches its own memory and event loop.
 *
 * IPC in: { type: 'start', variant }, { type: 'run', events, burst, memoryCapBytes, timeLimitMs }.
 * Out: { type: 'listening', port, path }, { type: 'report', … } (see {@link ServerReport}).
 */
import http from 'node:http'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { createChannel, createSession } from 'better-sse'
import { createStreamManager, executionCatalog, memoryStore } from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'

/** The servers compared. */
export type SlowServer = 'runstream' | 'better-sse' | 'raw'

/** What the server reports after a run. */
export interface ServerReport {
  type: 'report'
  /** Events emitted before the run ended (all of them, unless a cap was reached). */
  emitted: number
  /** Why emitting stopped early: the memory cap or the time limit; `null` when it did not. */
  stoppedBy: 'memory' | 'time' | null
  /** Time from the first emit to the last, in ms. */
  emitMs: number
  /** The longest single `emit` (or broadcast/write loop) call, in ms. */
  longestEmitMs: number
  /** Event-loop delay while emitting and draining, in ms. */
  loopDelay: { p99: number; max: number }
  /** Peak resident and heap + external memory above the idle baseline, in bytes. */
  peakRssBytes: number
  peakHeapBytes: number
  /**
   * What stays alive (heap + external after a full GC, above the baseline) after each tenth of
   * the events, in bytes: flat when what waits for the stalled clients is bounded.
   */
  liveByTenth: number[]
  /** Streams the server still held open when the run ended (runstream only). */
  openAtEnd: number | null
}

const PATH = '/api/v0/executions/tasks/bench/stream'
const STREAM = 'task:bench'
const TEXT = 'x'.repeat(140)

declare const gc: () => void
let emit: (i: number, last: boolean) => void = () => undefined
let openStreams: () => number | null = () => null

process.on(
  'message',
  (
    message:
      | { type: 'start'; variant: SlowServer }
      | { type: 'run'; events: number; burst: number; memoryCapBytes: number; timeLimitMs: number }
      | { type: 'exit' },
  ) => {
    if (message.type === 'start') start(message.variant)
    else if (message.type === 'run') run(message)
    else if (message.type === 'exit') process.exit(0)
  },
)

function start(variant: SlowServer): void {
  let handle: http.RequestListener
  if (variant === 'runstream') {
    // The defaults a user gets, 1 MiB per client, with the store's retention pinned at the
    // 10 000 events per stream these figures were measured with (the default is now 100 000,
    // docs/reliability.md): this case measures what a stalled client holds, not retention.
    const manager = createStreamManager({
      catalog: executionCatalog,
      store: memoryStore({ maxEventsPerStream: 10_000 }),
    })
    // Envelopes in data:, the same bytes as the hand-written server's.
    const handler = createNodeHandler(manager, { framing: 'envelope', onError: () => undefined })
    handle = handler as http.RequestListener
    openStreams = () => handler.stats().connections
    const stream = manager.stream(STREAM)
    emit = (_i, last) => {
      if (last) stream.emit('complete', { status: 'SUCCESS' })
      else stream.emit('llm_chunk', { text: TEXT })
    }
  } else if (variant === 'better-sse') {
    const channel = createChannel()
    handle = (req, res) => {
      void createSession(req, res, {
        keepAlive: null,
        retry: 2000,
        serializer: (data) => data as string,
      }).then((session) => channel.register(session))
    }
    emit = (i, last) => {
      const type = last ? 'complete' : 'llm_chunk'
      channel.broadcast(envelope(i, type), type, { eventId: String(i + 1) })
    }
  } else {
    // A hand-written loop that ignores backpressure: every frame goes to every client.
    const clients: http.ServerResponse[] = []
    handle = (_req, res) => {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
      })
      res.write('retry: 2000\n: ok\n\n')
      clients.push(res)
    }
    emit = (i, last) => {
      const type = last ? 'complete' : 'llm_chunk'
      const frame = `id: ${i + 1}\nevent: ${type}\ndata: ${envelope(i, type)}\n\n`
      for (const res of clients) res.write(frame)
    }
  }
  const server = http.createServer(handle)
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number }
    process.send?.({ type: 'listening', port, path: PATH })
  })
}

function envelope(i: number, type: string): string {
  return JSON.stringify({
    id: String(i + 1),
    type,
    stream: STREAM,
    ts: new Date().toISOString(),
    data: type === 'complete' ? { status: 'SUCCESS' } : { text: TEXT },
  })
}

function run(options: {
  events: number
  burst: number
  memoryCapBytes: number
  timeLimitMs: number
}): void {
  const { events, burst, memoryCapBytes, timeLimitMs } = options
  gc()
  const baseline = process.memoryUsage()
  let peakRss = 0
  let peakHeap = 0
  const sample = () => {
    const now = process.memoryUsage()
    peakRss = Math.max(peakRss, now.rss - baseline.rss)
    peakHeap = Math.max(
      peakHeap,
      now.heapUsed + now.external - baseline.heapUsed - baseline.external,
    )
    return now.rss - baseline.rss
  }
  const sampler = setInterval(sample, 10)
  const loop = monitorEventLoopDelay({ resolution: 1 })
  loop.enable()
  let longest = 0
  let i = 0
  const liveByTenth: number[] = []
  let stoppedBy: ServerReport['stoppedBy'] = null
  const started = performance.now()
  let emitMs = 0
  // Bursts of `burst` events per turn of the event loop, as a busy producer would emit them.
  const step = () => {
    const end = Math.min(events, i + burst)
    for (; i < end; i++) {
      const before = performance.now()
      emit(i, i === events - 1)
      longest = Math.max(longest, performance.now() - before)
    }
    emitMs = performance.now() - started
    const rss = sample()
    if (liveByTenth.length < Math.floor((i / events) * 10)) {
      gc()
      const now = process.memoryUsage()
      const live = now.heapUsed + now.external - baseline.heapUsed - baseline.external
      while (liveByTenth.length < Math.floor((i / events) * 10)) liveByTenth.push(live)
    }
    if (i >= events) return drain()
    if (rss > memoryCapBytes) stoppedBy = 'memory'
    else if (emitMs > timeLimitMs) stoppedBy = 'time'
    if (stoppedBy !== null) return drain()
    setImmediate(step)
  }
  // The healthy client still drains after the last emit: memory is watched a little longer.
  const drain = () => {
    setTimeout(() => {
      clearInterval(sampler)
      sample()
      loop.disable()
      const report: ServerReport = {
        type: 'report',
        emitted: i,
        stoppedBy,
        emitMs,
        longestEmitMs: longest,
        loopDelay: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
        peakRssBytes: peakRss,
        peakHeapBytes: peakHeap,
        liveByTenth,
        openAtEnd: openStreams(),
      }
      process.send?.(report)
    }, 1000)
  }
  step()
}
