/**
 * Case 1: `emit` with validation into one memory transport, against the floor of
 * `JSON.stringify` of the same envelope. Run: `npx tsx bench/emit.ts [--events 200000]`.
 */
import {
  createStreamManager,
  executionCatalog,
  memoryStore,
  memoryTransport,
} from '../src/index.js'
import { isMain, numberArgument, runMain } from './lib/processes.js'

/** Options of {@link run}. */
export interface EmitOptions {
  /** Events per round. @defaultValue 200_000 */
  events?: number
  /** Timed rounds of each side, interleaved; the best is kept. @defaultValue 5 */
  rounds?: number
  /** Print the figures. @defaultValue true */
  print?: boolean
}

/** What {@link run} returns. */
export interface EmitResult {
  case: 'emit'
  events: number
  rounds: number
  emitPerSecond: number
  stringifyPerSecond: number
  /** emit time / stringify time: the goal is at most 1.5. */
  ratio: number
}

/** Runs the case. */
export async function run(options: EmitOptions = {}): Promise<EmitResult> {
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
        // A constant: the floor is the stringify alone, not the making of a timestamp.
        ts: '2026-11-21T08:00:00.000Z',
        data,
      }
      bytes += JSON.stringify(envelope).length
    }
    if (bytes === 0) throw new Error('unreachable')
    return performance.now() - started
  }

  const emit = async () => {
    const transport = memoryTransport({ maxEvents: 1024 })
    const manager = createStreamManager({
      catalog: executionCatalog,
      transports: [transport],
      store: memoryStore({ maxEventsPerStream: 1024 }),
    })
    const stream = manager.stream('task:bench')
    const started = performance.now()
    for (let i = 0; i < events; i++) stream.emit('llm_chunk', data)
    // Nothing is pending with a memory store and transport; a store that answered later would
    // be waited for here, inside the timing.
    await manager.flush()
    const elapsed = performance.now() - started
    if (transport.records.length === 0) throw new Error('nothing was emitted')
    await manager.close()
    return elapsed
  }

  // Warm up both, then take the best of several rounds of each, interleaved.
  floor()
  await emit()
  let best = { floor: Number.POSITIVE_INFINITY, emit: Number.POSITIVE_INFINITY }
  for (let r = 0; r < rounds; r++) {
    best = { floor: Math.min(best.floor, floor()), emit: Math.min(best.emit, await emit()) }
  }
  const result: EmitResult = {
    case: 'emit',
    events,
    rounds,
    emitPerSecond: Math.round((events / best.emit) * 1000),
    stringifyPerSecond: Math.round((events / best.floor) * 1000),
    ratio: Number((best.emit / best.floor).toFixed(2)),
  }
  if (options.print ?? true) {
    console.log(
      `\nemit (validated, memory transport): ${result.emitPerSecond.toLocaleString('en-US')} events/s\n` +
        `JSON.stringify floor:               ${result.stringifyPerSecond.toLocaleString('en-US')} events/s\n` +
        `ratio: ${result.ratio}× the floor's time (goal ≤ 1.5×)`,
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
