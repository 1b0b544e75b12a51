/**
 * Case 6, slow consumers: 100 clients that stopped reading while 100 000 events of ~250 bytes
 * are emitted as fast as the producer can, next to one healthy client. Measures the server's
 * peak memory (above its idle baseline), what stays alive after a full GC at each tenth of the
 * events (flat when bounded), the longest single emit, the event-loop delay, and whether the
 * healthy client still got every event.
 *
 * runstream (createNodeHandler with its defaults: 1 MiB per client, 10 000 events retained)
 * against better-sse's channel broadcast and a raw `res.write` loop, neither of which bounds
 * what waits for a client: those runs stop at a memory cap (768 MiB by default) or a time
 * limit, and the report says which and after how many events.
 *
 * Run: `npx tsx bench/slow.ts [--events 100000] [--stalled 100]`.
 */
import { isMain, next, numberArgument, processGroup, runMain, sleep } from './lib/processes.js'
import type { ServerReport, SlowServer } from './lib/slow-server.js'
import { round } from './lib/stats.js'

/** Options of {@link run}. */
export interface SlowOptions {
  /** Events emitted. @defaultValue 100_000 */
  events?: number
  /** Clients that stop reading. @defaultValue 100 */
  stalled?: number
  /** Events emitted per turn of the event loop. @defaultValue 1000 */
  burst?: number
  /** Where an unbounded server is stopped, in bytes of RSS growth. @defaultValue 768 MiB */
  memoryCapBytes?: number
  /** Where a server that cannot keep up is stopped, in ms of emitting. @defaultValue 20_000 */
  timeLimitMs?: number
  /** Which servers to run. @defaultValue all */
  variants?: readonly SlowServer[]
  /** Print the table. @defaultValue true */
  print?: boolean
}

/** The figures of one server. */
export interface SlowVariantResult extends Omit<ServerReport, 'type'> {
  variant: SlowServer
  /** Events the healthy client got, and whether that was all of those emitted. */
  healthyReceived: number
  healthyGotAll: boolean
}

/** What {@link run} returns. */
export interface SlowResult {
  events: number
  stalled: number
  burst: number
  memoryCapBytes: number
  results: SlowVariantResult[]
  /** runstream's verdicts: memory stayed bounded, no emit was held up, the healthy client got all. */
  goals: { boundedMemory: boolean; producerNeverBlocked: boolean; healthyClientServed: boolean }
}

const ALL: readonly SlowServer[] = ['runstream', 'better-sse', 'raw']
// An emit that takes this long has been held up by something: the producer was blocked.
const BLOCKED_MS = 50

/** Runs the case: each server in fresh processes. */
export async function run(options: SlowOptions = {}): Promise<SlowResult> {
  const events = options.events ?? 100_000
  const stalled = options.stalled ?? 100
  const burst = options.burst ?? 1000
  const memoryCapBytes = options.memoryCapBytes ?? 768 * 1024 * 1024
  const timeLimitMs = options.timeLimitMs ?? 20_000
  const results: SlowVariantResult[] = []
  for (const variant of options.variants ?? ALL) {
    results.push(await measure(variant, { events, stalled, burst, memoryCapBytes, timeLimitMs }))
  }
  const ours = results.find((r) => r.variant === 'runstream')
  const result: SlowResult = {
    events,
    stalled,
    burst,
    memoryCapBytes,
    results,
    goals: {
      // Bounded: every event went out without reaching the cap, and what stays alive is within
      // the documented bound: 1 MiB (maxQueuedBytes) per stalled client, plus 16 MiB for the
      // store's 10 000 events and the rest. The tenths show whether it stopped growing.
      boundedMemory:
        ours !== undefined &&
        ours.stoppedBy === null &&
        (ours.liveByTenth.at(-1) ?? Number.POSITIVE_INFINITY) <= (stalled + 16) * 1_048_576,
      producerNeverBlocked: ours !== undefined && ours.longestEmitMs < BLOCKED_MS,
      healthyClientServed: ours?.healthyGotAll === true,
    },
  }
  if (options.print ?? true) print(result)
  return result
}

async function measure(
  variant: SlowServer,
  options: Required<Omit<SlowOptions, 'variants' | 'print'>>,
): Promise<SlowVariantResult> {
  const group = processGroup()
  try {
    const server = group.spawn('slow-server.ts')
    server.send({ type: 'start', variant })
    const { port, path } = await next<{ port: number; path: string }>(server, 'listening')
    const clients = group.spawn('slow-clients.ts')
    clients.send({ type: 'start', port, path, stalled: options.stalled })
    await next(clients, 'ready')
    await sleep(200)
    const reported = next<ServerReport>(server, 'report', options.timeLimitMs + 60_000)
    server.send({ type: 'run', ...options })
    const { type: _, ...report } = await reported
    clients.send({ type: 'report' })
    const healthy = await next<{ received: number }>(clients, 'healthy')
    return {
      variant,
      ...report,
      healthyReceived: healthy.received,
      healthyGotAll: healthy.received === report.emitted,
    }
  } finally {
    await group.stopAll()
  }
}

/** What stayed alive at a share of the events (`-` when the run stopped before). */
export function live(r: SlowVariantResult, share: number): string {
  const value = r.liveByTenth[Math.round(share * 10) - 1]
  return value === undefined ? '-' : `${(value / 1_048_576).toFixed(0)} MB`
}

/** What stayed alive at the last tenth of the events the run reached, and which tenth. */
export function liveLast(r: SlowVariantResult): string {
  const value = r.liveByTenth.at(-1)
  return value === undefined
    ? '-'
    : `${(value / 1_048_576).toFixed(0)} MB at ${r.liveByTenth.length * 10}%`
}

function print(result: SlowResult): void {
  const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`
  console.log(
    `\nslow consumers: ${result.stalled} stalled clients + 1 healthy, ${result.events} events of ~250 B in bursts of ${result.burst}`,
  )
  console.log(
    'server        emitted   stopped by   peak RSS   peak heap   live ½ / last        longest emit   loop p99 / max     healthy got',
  )
  for (const r of result.results) {
    console.log(
      [
        r.variant.padEnd(11),
        String(r.emitted).padStart(8),
        String(r.stoppedBy ?? '-').padStart(11),
        mb(r.peakRssBytes).padStart(9),
        mb(r.peakHeapBytes).padStart(10),
        `${live(r, 0.5)} / ${liveLast(r)}`.padStart(18),
        `${round(r.longestEmitMs, 2)} ms`.padStart(13),
        `${round(r.loopDelay.p99, 1)} / ${round(r.loopDelay.max, 1)} ms`.padStart(17),
        `${r.healthyReceived}${r.healthyGotAll ? ' (all)' : ''}`.padStart(14),
      ].join('  '),
    )
  }
  const { goals } = result
  console.log(
    `runstream: memory bounded ${goals.boundedMemory ? 'yes' : 'NO'}; producer never blocked ${goals.producerNeverBlocked ? 'yes' : 'NO'}; healthy client got every event ${goals.healthyClientServed ? 'yes' : 'NO'}`,
  )
}

if (isMain(import.meta.url)) {
  runMain(async () => {
    const events = numberArgument('events')
    const stalled = numberArgument('stalled')
    await run({
      ...(events === undefined ? {} : { events }),
      ...(stalled === undefined ? {} : { stalled }),
    })
  })
}
