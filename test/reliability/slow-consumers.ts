import { connect } from '../../src/client.js'
import { executionCatalog, memoryStore } from '../../src/index.js'
import { connectSlowReader, type SlowReader } from '../../src/testing.js'
import { startRunstream } from './harness.js'

/** A slow-consumer run: how many stalled clients, how many events, and the server's bounds. */
export interface SlowConsumerPlan {
  stalled: number
  events: number
  /** The payload of each `llm_chunk`, in characters. */
  payloadChars: number
  maxBufferedBytes: number
  maxQueuedEvents: number
  heartbeatMs: number
  /** Events emitted per turn of the event loop. */
  burst: number
}

/** The plan of the issue: 100 clients that stop reading while 100 000 events are emitted. */
export const FULL_PLAN: SlowConsumerPlan = {
  stalled: 100,
  events: 100_000,
  payloadChars: 100,
  maxBufferedBytes: 65_536,
  maxQueuedEvents: 1000,
  heartbeatMs: 200,
  burst: 100,
}

/** What a run measured. */
export interface SlowConsumerFigures {
  events: number
  stalled: number
  /** Stalled clients the server ended (`subscriber_overflow`). */
  cut: number
  /** The healthy client got every event once, in order. */
  healthyExact: boolean
  healthyReceived: number
  /** Time to emit everything, in ms, and the slowest burst. */
  emitMs: number
  maxBurstMs: number
  /** The longest a 5 ms interval timer waited during the emission: how long the loop was blocked. */
  maxLoopLagMs: number
  /** The most bytes the handler held for its clients at once (stats().bufferedBytes). */
  peakBufferedBytes: number
  /**
   * The bound on that: per stalled client, `maxBufferedBytes` plus the frame that crossed it, a
   * heartbeat and the closing `runstream.error` (512 bytes for the last two).
   */
  bufferedBound: number
  /**
   * Live memory (heap and external, measured after a full GC), in bytes: before the server
   * started, when the clients were connected, and the highest during the emission (sampled
   * every 2000 events; `undefined` without `--expose-gc`).
   */
  memoryBaseline: number
  memoryConnected: number
  memoryPeak: number | undefined
  /** The documented bound on what the run may add to the connected figure: see `memoryBound`. */
  memoryBound: number
  /** Handler connections once the run is over. */
  connectionsAfter: number
  durationMs: number
}

/** Heap and external memory (buffers included): what a process holds for its clients. */
export function memoryNow(): number {
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.external
}

/** Live memory: {@link memoryNow} after a full GC, when the process runs with `--expose-gc`. */
export function liveMemory(): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) return undefined
  gc()
  return memoryNow()
}

/**
 * Runs `plan`: a Node handler, `stalled` clients that read the headers and then nothing, one
 * runstream client that reads everything, and a producer that emits `events` in bursts while the
 * clients are connected. Measures the emission, the event loop, the bytes held and the memory.
 */
export async function runSlowConsumers(plan: SlowConsumerPlan): Promise<SlowConsumerFigures> {
  const started = Date.now()
  const memoryBaseline = liveMemory() ?? memoryNow()
  const runstream = await startRunstream({
    store: memoryStore({ maxEventsPerStream: 10_000 }),
    maxQueuedBytes: plan.maxBufferedBytes,
    maxQueuedEvents: plan.maxQueuedEvents,
    heartbeatMs: plan.heartbeatMs,
  })
  const url = runstream.streamUrl('agent', 'firehose')
  const readers: SlowReader[] = []
  try {
    for (let i = 0; i < plan.stalled; i += 25) {
      const batch = Math.min(25, plan.stalled - i)
      readers.push(
        ...(await Promise.all(Array.from({ length: batch }, () => connectSlowReader(url)))),
      )
    }
    const healthy = connect(url, {
      catalog: executionCatalog,
      // The healthy client may be ended too if it ever falls behind: it must resume then.
      reconnect: { initialDelayMs: 10, maxDelayMs: 100, maxRetries: Number.POSITIVE_INFINITY },
      onError: () => undefined,
    })
    let received = 0
    let inOrder = true
    const consumed = (async () => {
      for await (const event of healthy) {
        received++
        if (Number(event.id) !== received) inOrder = false
      }
    })()
    while (runstream.handler.stats().connections < plan.stalled + 1) await tick()
    const memoryConnected = liveMemory() ?? memoryNow()

    let peakBufferedBytes = 0
    let memoryPeak: number | undefined
    let maxLoopLagMs = 0
    let last = performance.now()
    const sampler = setInterval(() => {
      const now = performance.now()
      maxLoopLagMs = Math.max(maxLoopLagMs, now - last - 5)
      last = now
      peakBufferedBytes = Math.max(peakBufferedBytes, runstream.handler.stats().bufferedBytes)
    }, 5)

    const producer = runstream.manager.stream('agent:firehose')
    const text = 'x'.repeat(plan.payloadChars)
    const emitStart = performance.now()
    let maxBurstMs = 0
    for (let n = 1; n <= plan.events; n += plan.burst) {
      const burstStart = performance.now()
      const end = Math.min(plan.events, n + plan.burst - 1)
      for (let m = n; m <= end; m++) producer.emit('llm_chunk', { text })
      maxBurstMs = Math.max(maxBurstMs, performance.now() - burstStart)
      if (end % 2000 < plan.burst) {
        const live = liveMemory()
        if (live !== undefined) memoryPeak = Math.max(memoryPeak ?? 0, live)
        // The forced GC is the measurement's pause, not the server's.
        last = performance.now()
      }
      // A producer that yields between bursts, as an agent loop awaiting its model does.
      await tick()
    }
    const emitMs = performance.now() - emitStart
    producer.emit('complete', { status: 'SUCCESS' })
    await consumed
    // The stalled clients are ended within a few heartbeats once over their bound: the server
    // lets go of them by itself, without the clients doing anything. (The deadline is a limit
    // on failure, generous for a busy machine.)
    const deadline = Date.now() + 10 * plan.heartbeatMs + 25_000
    while (runstream.handler.stats().connections > 0 && Date.now() < deadline) await tick(10)
    clearInterval(sampler)
    const connectionsAfter = runstream.handler.stats().connections
    const cut = runstream.errors.filter((error) => error.code === 'subscriber_overflow').length
    for (const reader of readers) reader.close()
    await runstream.close()
    // The largest frame: the envelope JSON (payload plus about 110 bytes) and the SSE fields.
    const largestFrame = plan.payloadChars + 200
    const bufferedBound = plan.stalled * (plan.maxBufferedBytes + largestFrame + 512)
    return {
      events: plan.events + 1,
      stalled: plan.stalled,
      cut,
      healthyExact: inOrder && received === plan.events + 1,
      healthyReceived: received,
      emitMs,
      maxBurstMs,
      maxLoopLagMs,
      peakBufferedBytes,
      bufferedBound,
      memoryBaseline,
      memoryConnected,
      memoryPeak,
      memoryBound: memoryBound(plan),
      connectionsAfter,
      durationMs: Date.now() - started,
    }
  } finally {
    for (const reader of readers) reader.close()
    // Closing twice is harmless: this is for a run that failed half-way.
    await runstream.close()
  }
}

/**
 * What the emission may add to the live memory of the connected server, by the configured
 * bounds: per stalled client, `maxBufferedBytes` of frames plus `maxQueuedEvents` queued
 * records (records are shared, but a client that fell behind may hold some the store has let go:
 * the envelope JSON, the parsed envelope and its frame, about 3 × the payload plus 600 bytes);
 * the store's retention of 10 000 records; and 16 MiB for the runtime, the sockets and the
 * healthy client in the same process.
 */
export function memoryBound(plan: SlowConsumerPlan): number {
  const record = 3 * plan.payloadChars + 600
  return (
    plan.stalled * (plan.maxBufferedBytes + plan.maxQueuedEvents * record) +
    10_000 * record +
    16 * 1024 * 1024
  )
}

function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)))
}
