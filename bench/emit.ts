/**
 * Case 1: `emit` with validation into one memory transport, against the floor of
 * `JSON.stringify` of the same envelope. Run: `npx tsx bench/emit.ts`.
 */
import {
  createStreamManager,
  executionCatalog,
  memoryStore,
  memoryTransport,
} from '../src/index.js'

export interface EmitResult {
  case: 'emit'
  events: number
  emitPerSecond: number
  stringifyPerSecond: number
  /** emit time / stringify time: the goal is at most 1.5. */
  ratio: number
}

export function run(options: { events?: number; rounds?: number } = {}): EmitResult {
  const events = options.events ?? 200_000
  const rounds = options.rounds ?? 5
  const text =
    'The quick brown fox jumps over the lazy dog, streaming tokens as they come. '.repeat(2)
  const data = { text }

  const floor = () => {
    let bytes = 0
    const started = performance.now()
    for (let i = 0; i < events; i++) {
      const envelope = {
        id: String(i + 1),
        type: 'llm_chunk',
        stream: 'task:bench',
        ts: '2026-11-21T08:00:00.000Z',
        data,
      }
      bytes += JSON.stringify(envelope).length
    }
    if (bytes === 0) throw new Error('unreachable')
    return performance.now() - started
  }

  const emit = () => {
    const transport = memoryTransport({ limit: 1024 })
    const manager = createStreamManager({
      catalog: executionCatalog,
      transports: [transport],
      store: memoryStore({ maxEventsPerStream: 1024 }),
    })
    const stream = manager.stream('task:bench')
    const started = performance.now()
    for (let i = 0; i < events; i++) stream.emit('llm_chunk', data)
    const elapsed = performance.now() - started
    if (transport.records.length === 0) throw new Error('nothing was emitted')
    return elapsed
  }

  // Warm up both, then take the best of several rounds of each, interleaved.
  floor()
  emit()
  let best = { floor: Number.POSITIVE_INFINITY, emit: Number.POSITIVE_INFINITY }
  for (let r = 0; r < rounds; r++) {
    best = { floor: Math.min(best.floor, floor()), emit: Math.min(best.emit, emit()) }
  }
  return {
    case: 'emit',
    events,
    emitPerSecond: Math.round((events / best.emit) * 1000),
    stringifyPerSecond: Math.round((events / best.floor) * 1000),
    ratio: Number((best.emit / best.floor).toFixed(2)),
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = run()
  console.log(
    `emit (validated, memory transport): ${result.emitPerSecond.toLocaleString()} events/s\n` +
      `JSON.stringify floor:               ${result.stringifyPerSecond.toLocaleString()} events/s\n` +
      `ratio: ${result.ratio}× the floor's time (goal ≤ 1.5×)`,
  )
}
