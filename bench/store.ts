/**
 * Case 8: the in-memory store at its bounds. What an emit costs when the store is full (its byte
 * budget makes room at every emit), what one emit that opens a new stream costs with 10,000
 * streams held (where making room used to sort every stream), and how many bytes it holds at the
 * budget, in JSON and in the V8 heap. Run: `npx tsx --expose-gc bench/store.ts [--events 200000]`.
 */
import { createStreamManager, executionCatalog, memoryStore } from '../src/index.js'
import { isMain, numberArgument, runMain } from './lib/processes.js'

/** Options of {@link run}. */
export interface StoreOptions {
  /** Emits in the timed part of each round. @defaultValue 200_000 */
  events?: number
  /** Streams held when new streams are opened (the store's maxStreams). @defaultValue 10_000 */
  streams?: number
  /** New streams opened, each timed alone, once `streams` are held. @defaultValue 5_000 */
  newStreams?: number
  /** The store's total byte budget. @defaultValue 67_108_864 (the default, 64 MiB) */
  maxBytes?: number
  /** Rounds; the best is kept. @defaultValue 3 */
  rounds?: number
  /** Print the figures. @defaultValue true */
  print?: boolean
}

/** What {@link run} returns. */
export interface StoreResult {
  case: 'store'
  events: number
  rounds: number
  eventBytes: number
  /** Emits per second into a store that is not full. */
  emitPerSecond: number
  /** Emits per second into a store at its byte budget, dropping its oldest events at each one. */
  emitAtBudgetPerSecond: number
  /** With `streams` held: the time of one emit that opens a new stream. */
  newStream: { streams: number; count: number; p50Us: number; p99Us: number; maxUs: number }
  /** At the budget: what the store counts, and what the heap holds for it. */
  held: {
    maxBytes: number
    storeBytes: number
    events: number
    heapBytes: number
    /** heapBytes ÷ storeBytes. */
    heapPerJsonByte: number
  }
}

/** Runs the case. */
export async function run(options: StoreOptions = {}): Promise<StoreResult> {
  const events = options.events ?? 200_000
  const streams = options.streams ?? 10_000
  const newStreams = options.newStreams ?? 5_000
  const maxBytes = options.maxBytes ?? 67_108_864
  const rounds = options.rounds ?? 3
  // An LLM token stream's event, about 240 bytes of envelope.
  const data = { text: 'The quick brown fox jumps over the lazy dog, token by token. '.repeat(2) }
  const gc = (globalThis as { gc?: () => void }).gc

  // Emit throughput: a store far from its budget, then one at it.
  const throughput = (budget: number) => {
    // The event count never binds here: only the byte budget does (or nothing, when unbounded).
    const store = memoryStore({
      maxBytes: budget,
      maxBytesPerStream: budget,
      maxEventsPerStream: 10_000_000,
    })
    const manager = createStreamManager({ catalog: executionCatalog, store })
    const stream = manager.stream('task:bench')
    // Fill to the budget first: the timed emits then each make room.
    const fill = Math.ceil(budget / 200) + 10
    if (budget < Number.MAX_SAFE_INTEGER)
      for (let i = 0; i < fill; i++) stream.emit('llm_chunk', data)
    const started = performance.now()
    for (let i = 0; i < events; i++) stream.emit('llm_chunk', data)
    const elapsed = performance.now() - started
    return {
      elapsed,
      store,
      eventBytes: Buffer.byteLength(store.read('task:bench', { limit: 1 }).events[0]?.json ?? ''),
    }
  }

  throughput(Number.MAX_SAFE_INTEGER)
  throughput(8_388_608)
  let best = { free: Number.POSITIVE_INFINITY, full: Number.POSITIVE_INFINITY }
  let eventBytes = 0
  for (let r = 0; r < rounds; r++) {
    const free = throughput(Number.MAX_SAFE_INTEGER)
    const full = throughput(8_388_608)
    eventBytes = full.eventBytes
    best = { free: Math.min(best.free, free.elapsed), full: Math.min(best.full, full.elapsed) }
  }

  // New streams with `streams` held: the store is at maxStreams, so each forgets the oldest.
  const store = memoryStore({ maxStreams: streams })
  const manager = createStreamManager({ catalog: executionCatalog, store })
  for (let i = 0; i < streams; i++) manager.stream(`task:held-${i}`).emit('llm_chunk', data)
  const times: number[] = []
  for (let i = 0; i < newStreams; i++) {
    const handle = manager.stream(`task:new-${i}`)
    const started = performance.now()
    handle.emit('llm_chunk', data)
    times.push((performance.now() - started) * 1000)
  }
  times.sort((a, b) => a - b)
  const at = (q: number) =>
    Number((times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0).toFixed(1))

  // Held bytes at the budget: many streams of token events until the total budget drops events.
  store.clear()
  const full = memoryStore({ maxBytes, maxStreams: 100_000 })
  const filling = createStreamManager({ catalog: executionCatalog, store: full })
  const perStream = 2000
  const fillEvents = Math.ceil((maxBytes * 1.2) / Math.max(1, eventBytes))
  for (let i = 0; i < fillEvents; i++) {
    filling.stream(`task:fill-${Math.floor(i / perStream)}`).emit('llm_chunk', data)
  }
  let heldEvents = 0
  for (let i = 0; i <= Math.floor(fillEvents / perStream); i++) {
    heldEvents += full.read(`task:fill-${i}`, { limit: 100_000 }).events.length
  }
  const storeBytes = full.bytes
  // The heap the store holds: live heap with it, minus live heap once it forgot everything.
  gc?.()
  const heapWith = process.memoryUsage().heapUsed
  full.clear()
  gc?.()
  const heapBytes = heapWith - process.memoryUsage().heapUsed

  const result: StoreResult = {
    case: 'store',
    events,
    rounds,
    eventBytes,
    emitPerSecond: Math.round((events / best.free) * 1000),
    emitAtBudgetPerSecond: Math.round((events / best.full) * 1000),
    newStream: { streams, count: newStreams, p50Us: at(0.5), p99Us: at(0.99), maxUs: at(1) },
    held: {
      maxBytes,
      storeBytes,
      events: heldEvents,
      heapBytes,
      heapPerJsonByte: Number((heapBytes / Math.max(1, storeBytes)).toFixed(2)),
    },
  }
  if (options.print ?? true) {
    const n = (value: number) => value.toLocaleString('en-US')
    console.log(
      `\nmemory store, envelopes of ${eventBytes} bytes\n` +
        `emit, store not full:            ${n(result.emitPerSecond)} events/s\n` +
        `emit, store at its byte budget:  ${n(result.emitAtBudgetPerSecond)} events/s\n` +
        `emit opening a new stream with ${n(streams)} held: p50 ${result.newStream.p50Us} µs, p99 ${result.newStream.p99Us} µs, max ${result.newStream.maxUs} µs\n` +
        `held at a ${n(maxBytes)}-byte budget: ${n(storeBytes)} bytes of JSON in ${n(heldEvents)} events, ${n(heapBytes)} bytes of heap (${result.held.heapPerJsonByte}× the JSON)${gc === undefined ? ' (no --expose-gc: heap figure is rough)' : ''}`,
    )
  }
  return result
}

if (isMain(import.meta.url)) {
  runMain(async () => {
    const events = numberArgument('events')
    await run(events === undefined ? {} : { events })
  })
}
