/**
 * Case 5, latency: one event per millisecond for 5 s on one stream, timed from `emit` to the
 * watcher's handler. runstream (createNodeHandler, and `connect()` with the catalog and a
 * `for await` loop) against a raw `node:http` server that writes each frame as it is emitted,
 * read by `fetch` with eventsource-parser and `JSON.parse`.
 *
 * The server and the client run in two processes (a core each on a 2-core machine) and stamp
 * events with the system's monotonic clock, which both share. A warm-up at the same rate comes
 * first and is not counted. Rounds alternate the servers, so a noisy spell of the machine hits
 * both, and each server's percentiles are taken over the samples of all its rounds.
 *
 * Run: `npx tsx bench/latency.ts [--seconds 5] [--rate 1000]`.
 */
import type { LatencyServer } from './lib/latency-server.js'
import { isMain, next, numberArgument, processGroup, runMain } from './lib/processes.js'
import { type Distribution, distribution, median, round } from './lib/stats.js'

/** Options of {@link run}. */
export interface LatencyOptions {
  /** Events per second. @defaultValue 1000 */
  rate?: number
  /** Seconds measured. @defaultValue 5 */
  seconds?: number
  /**
   * Seconds of warm-up at the same rate, not counted. Both servers' slow deliveries bunch in the
   * first second or two (code still being optimized), so a shorter warm-up measures start-up.
   * @defaultValue 2
   */
  warmupSeconds?: number
  /** Rounds per server, alternating. @defaultValue 3 */
  rounds?: number
  /** Print the table. @defaultValue true */
  print?: boolean
}

/** What {@link run} returns. */
export interface LatencyResult {
  rate: number
  seconds: number
  rounds: number
  /** Each round's p99, by server, in ms. */
  roundP99s: Record<LatencyServer, number[]>
  /** Emit → handler, in ms, by server (each with its own client), over the samples of all rounds. */
  latency: Record<LatencyServer, Distribution>
  /** runstream's p99 over raw's: the goal is at most 1.5. */
  p99Ratio: number
  /** Each round's runstream p99 over the same round's raw p99 (the rounds alternate). */
  roundP99Ratios: number[]
  /** The median of `roundP99Ratios`: what the goal (≤ 1.3) is judged on. */
  p99RatioMedian: number
  p50Ratio: number
  goals: { p99Within1_3xRaw: boolean }
}

const VARIANTS: readonly LatencyServer[] = ['raw', 'runstream']

/** Runs the case: each server in turn, in fresh processes. */
export async function run(options: LatencyOptions = {}): Promise<LatencyResult> {
  const rate = options.rate ?? 1000
  const seconds = options.seconds ?? 5
  const warmup = Math.round((options.warmupSeconds ?? 2) * rate)
  const events = Math.round(seconds * rate)
  const rounds = options.rounds ?? 3
  const all: Record<LatencyServer, number[][]> = { raw: [], runstream: [] }
  for (let round = 0; round < rounds; round++) {
    for (const variant of VARIANTS) all[variant].push(await measure(variant, rate, warmup, events))
  }
  // The rounds' samples pooled: a p99 of rounds × events samples moves less from run to run than
  // any one round's, whose p99 rests on its 50 slowest deliveries.
  const latency = {} as Record<LatencyServer, Distribution>
  for (const variant of VARIANTS) latency[variant] = distribution(all[variant].flat())
  const p99Ratio = latency.runstream.p99 / latency.raw.p99
  const roundP99s = {
    raw: all.raw.map((samples) => distribution(samples).p99),
    runstream: all.runstream.map((samples) => distribution(samples).p99),
  }
  const roundP99Ratios = roundP99s.runstream.map((p99, i) => round(p99 / (roundP99s.raw[i] ?? NaN)))
  const p99RatioMedian = median(roundP99Ratios)
  const result: LatencyResult = {
    rate,
    seconds,
    rounds,
    roundP99s,
    roundP99Ratios,
    p99RatioMedian,
    latency,
    p99Ratio: round(p99Ratio),
    p50Ratio: round(latency.runstream.p50 / latency.raw.p50),
    goals: { p99Within1_3xRaw: p99RatioMedian <= 1.3 },
  }
  if (options.print ?? true) print(result)
  return result
}

async function measure(
  variant: LatencyServer,
  rate: number,
  warmup: number,
  events: number,
): Promise<number[]> {
  const group = processGroup()
  try {
    const server = group.spawn('latency-server.ts')
    server.send({ type: 'start', variant })
    const { port, path } = await next<{ port: number; path: string }>(server, 'listening')
    const client = group.spawn('latency-client.ts')
    client.send({ type: 'start', variant, url: `http://127.0.0.1:${port}${path}` })
    await next(client, 'ready')
    const done = next<{ ids: number[]; times: number[] }>(client, 'done')
    server.send({ type: 'run', rate, warmup, events })
    const emitted = await next<{ first: number; times: number[] }>(server, 'emitted')
    const received = await done
    const samples: number[] = []
    for (let i = 0; i < received.ids.length; i++) {
      const at = (received.ids[i] as number) - emitted.first
      const sent = emitted.times[at]
      if (sent !== undefined) samples.push((received.times[i] as number) - sent)
    }
    if (samples.length !== events) {
      throw new Error(`latency/${variant}: ${samples.length} of ${events} events were timed`)
    }
    return samples
  } finally {
    await group.stopAll()
  }
}

function print(result: LatencyResult): void {
  console.log(
    `\nlatency: ${result.rate} events/s for ${result.seconds} s, emit → handler (ms), server and client in two processes; the samples of ${result.rounds} rounds pooled`,
  )
  console.log('server       p50      p90      p99      max')
  for (const variant of VARIANTS) {
    const l = result.latency[variant]
    console.log(
      [
        variant.padEnd(9),
        ...[l.p50, l.p90, l.p99, l.max].map((v) => v.toFixed(3).padStart(7)),
      ].join('  '),
    )
  }
  console.log(
    `runstream p99 ÷ raw p99, median of rounds: ${result.p99RatioMedian}× (rounds ${result.roundP99Ratios.join(', ')}; pooled ${result.p99Ratio}×; goal ≤ 1.3×: ${result.goals.p99Within1_3xRaw ? 'met' : 'MISSED'})`,
  )
}

if (isMain(import.meta.url)) {
  runMain(async () => {
    const rate = numberArgument('rate')
    const seconds = numberArgument('seconds')
    const rounds = numberArgument('rounds')
    await run({
      ...(rounds === undefined ? {} : { rounds }),
      ...(rate === undefined ? {} : { rate }),
      ...(seconds === undefined ? {} : { seconds }),
    })
  })
}
