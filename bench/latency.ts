/**
 * Case 5, latency: one event per millisecond for 15 s on one stream, timed from `emit` to the
 * watcher's handler. runstream (createNodeHandler, and `connect()` with the catalog and a
 * `for await` loop) against a raw `node:http` server that writes each frame as it is emitted,
 * read by `fetch` with eventsource-parser and `JSON.parse`.
 *
 * The server and the client run in two processes (a core each on a 2-core machine) and stamp
 * events with the system's monotonic clock, which both share. A warm-up at the same rate comes
 * first and is not counted. Rounds alternate the servers, so a noisy spell of the machine hits
 * both, and each server's percentiles are taken over the samples of all its rounds.
 *
 * Run: `npx tsx bench/latency.ts [--seconds 15] [--rate 1000] [--rounds 3] [--warmup 2] [--gc] [--heap-prof DIR
 * [--heap-live]] [--store-events N] [--callgrind]`.
 * `--gc` has each side record its GC pauses and V8's `--trace-gc-nvp` lines over the measured
 * window, and prints them per side with the pauses the slowest deliveries overlapped, and each
 * delivery split into server (emit → `res.write`), wire and client (body read → handler) parts;
 * `--heap-prof DIR` also writes each side's sampling allocation profile of the window to DIR
 * (open in DevTools) and prints bytes allocated per event (`--heap-live`: only what is still
 * alive at the end, what each side keeps). `--store-events N` has runstream's store keep N events
 * per stream, to see what the ones it keeps cost. `--callgrind` counts each server's
 * instructions per event over the window (with `--rate 100`: valgrind is slow). All of these slow the sides a little: judge
 * p99 without them.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type LatencyGcRound,
  printGcRounds,
  sideGc,
  slowCauses,
  splitParts,
} from './lib/latency-gc.js'
import type { ProbeReport, ProbeRequest } from './lib/latency-probe.js'
import type { LatencyServer } from './lib/latency-server.js'
import {
  isMain,
  next,
  numberArgument,
  processGroup,
  runMain,
  type SpawnOptions,
} from './lib/processes.js'
import { type Distribution, distribution, median, round } from './lib/stats.js'

/** Options of {@link run}. */
export interface LatencyOptions {
  /** Events per second. @defaultValue 1000 */
  rate?: number
  /**
   * Seconds measured per round. The p99 of a short window is its few slowest stalls: at 5 s
   * (5,000 samples, the 50th slowest) the p99 ratio of rounds side by side ranged 0.29–2.86×
   * within minutes; at 15 s, 1.05–1.38×. @defaultValue 15
   */
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
  /** Watch each side's GC and report where the slowest deliveries overlapped a pause. */
  gc?: boolean
  /** Also take each side's allocation profile of the window, written to this directory. */
  heapProfileDir?: string
  /** With `heapProfileDir`: profile what is still alive at the end instead of every allocation. */
  heapLive?: boolean
  /** An experiment: runstream's memory store keeps only this many events per stream. */
  storeEvents?: number
  /**
   * Run each server under callgrind and count its instructions over the measured window: the
   * CPU work per event, whatever the load. Use a low rate (`--rate 100`): valgrind is ~50× slower.
   * The window holds scavenges and JIT compiles, which callgrind counts too: one round of 1000
   * events gave runstream 123k and then 169k instructions per event, so take several rounds.
   */
  callgrind?: boolean
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
  /** runstream's p99 over raw's, pooled over the rounds (the goal is judged on `p99RatioMedian`). */
  p99Ratio: number
  /** Each round's runstream p99 over the same round's raw p99 (the rounds alternate). */
  roundP99Ratios: number[]
  /** The median of `roundP99Ratios`: what the goal (≤ 1.3) is judged on. */
  p99RatioMedian: number
  p50Ratio: number
  goals: { p99Within1_3xRaw: boolean }
  /** With `gc`: each round's GC figures, by server. */
  gc?: LatencyGcRound[]
}

const VARIANTS: readonly LatencyServer[] = ['raw', 'runstream']

/** Runs the case: each server in turn, in fresh processes. */
export async function run(options: LatencyOptions = {}): Promise<LatencyResult> {
  const rate = options.rate ?? 1000
  const seconds = options.seconds ?? 15
  const warmup = Math.round((options.warmupSeconds ?? 2) * rate)
  const events = Math.round(seconds * rate)
  const rounds = options.rounds ?? 3
  const all: Record<LatencyServer, number[][]> = { raw: [], runstream: [] }
  const watch =
    options.gc === true || options.heapProfileDir !== undefined || options.callgrind === true
  const traceDir = watch ? mkdtempSync(join(tmpdir(), 'latency-gc-')) : undefined
  const gcRounds: LatencyGcRound[] = []
  for (let round = 0; round < rounds; round++) {
    for (const variant of VARIANTS) {
      const probe =
        traceDir === undefined
          ? undefined
          : {
              traceDir,
              round,
              heapProfileDir: options.heapProfileDir,
              heapLive: options.heapLive === true,
              // The split notes every frame's crossing, which allocates: not while profiling.
              split:
                options.gc === true &&
                options.heapProfileDir === undefined &&
                options.callgrind !== true,
              callgrind: options.callgrind === true,
            }
      const measured = await measure(variant, rate, warmup, events, probe, options.storeEvents)
      all[variant].push(measured.samples)
      if (measured.gc !== undefined) gcRounds.push({ variant, round, ...measured.gc })
    }
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
    ...(watch ? { gc: gcRounds } : {}),
  }
  if (options.print ?? true) print(result)
  return result
}

async function measure(
  variant: LatencyServer,
  rate: number,
  warmup: number,
  events: number,
  watch?: {
    traceDir: string
    round: number
    heapProfileDir: string | undefined
    heapLive: boolean
    split: boolean
    callgrind: boolean
  },
  storeEvents?: number,
): Promise<{ samples: number[]; gc?: Omit<LatencyGcRound, 'variant' | 'round'> }> {
  const group = processGroup()
  const file = (side: string, ext: string) =>
    join(watch?.traceDir ?? '', `${variant}-${watch?.round}-${side}.${ext}`)
  const sideOf = (side: 'server' | 'client') =>
    watch === undefined
      ? { spawn: {}, probe: undefined }
      : {
          spawn: { nodeFlags: ['--trace-gc', '--trace-gc-nvp'], stdoutFile: file(side, 'log') },
          probe: {
            gc: true,
            split: watch.split,
            ...(watch.heapProfileDir === undefined
              ? {}
              : {
                  heapLive: watch.heapLive,
                  heapProfile: join(
                    watch.heapProfileDir,
                    `${variant}-${watch.round}-${side}.heapprofile`,
                  ),
                }),
          } satisfies ProbeRequest,
        }
  const serverSide: { spawn: SpawnOptions; probe: ProbeRequest | undefined } = sideOf('server')
  const clientSide = sideOf('client')
  const cgFile = file('server', 'callgrind')
  if (watch?.callgrind === true) {
    serverSide.spawn = {
      ...serverSide.spawn,
      wrapper: [
        'valgrind',
        '--tool=callgrind',
        '--instr-atstart=no',
        `--callgrind-out-file=${cgFile}`,
      ],
      // No compiler or GC threads racing the main one: the same count from run to run.
      nodeFlags: [...(serverSide.spawn.nodeFlags ?? []), '--single-threaded'],
    }
    serverSide.probe = { ...serverSide.probe, callgrind: true }
  }
  try {
    const server = group.spawn('latency-server.ts', serverSide.spawn)
    server.send({ type: 'start', variant, probe: serverSide.probe, storeEvents })
    const { port, path } = await next<{ port: number; path: string }>(server, 'listening')
    const client = group.spawn('latency-client.ts', clientSide.spawn)
    client.send({
      type: 'start',
      variant,
      url: `http://127.0.0.1:${port}${path}`,
      warmup,
      probe: clientSide.probe,
    })
    await next(client, 'ready')
    const done = next<{ ids: number[]; times: number[]; probe?: ProbeReport }>(client, 'done')
    server.send({ type: 'run', rate, warmup, events })
    const emitted = await next<{
      first: number
      times: number[]
      returned: number[]
      probe?: ProbeReport
    }>(server, 'emitted')
    const received = await done
    const samples: number[] = []
    const timedIds: number[] = []
    const sentAt: number[] = []
    const returnedAt: number[] = []
    const receivedAt: number[] = []
    for (let i = 0; i < received.ids.length; i++) {
      const at = (received.ids[i] as number) - emitted.first
      const sent = emitted.times[at]
      if (sent === undefined) continue
      samples.push((received.times[i] as number) - sent)
      timedIds.push(received.ids[i] as number)
      sentAt.push(sent)
      returnedAt.push(emitted.returned[at] ?? Number.NaN)
      receivedAt.push(received.times[i] as number)
    }
    if (samples.length !== events) {
      throw new Error(`latency/${variant}: ${samples.length} of ${events} events were timed`)
    }
    if (emitted.probe === undefined || received.probe === undefined) return { samples }
    // callgrind writes its file as the process exits, which takes it a while.
    if (watch?.callgrind === true) await group.stopAll(60_000)
    return {
      samples,
      gc: {
        server: sideGc(emitted.probe, file('server', 'log'), events),
        client: sideGc(received.probe, file('client', 'log'), events),
        slow: slowCauses(sentAt, receivedAt, emitted.probe.gcs, received.probe.gcs),
        split:
          emitted.probe.crossings === undefined || received.probe.crossings === undefined
            ? undefined
            : splitParts(
                timedIds,
                sentAt,
                returnedAt,
                receivedAt,
                emitted.probe.crossings,
                received.probe.crossings,
              ),
        serverInstructionsPerEvent:
          watch?.callgrind === true ? instructions(cgFile, events) : undefined,
      },
    }
  } finally {
    await group.stopAll()
  }
}

// The total a callgrind output file counted (its `totals:` line), per event.
function instructions(file: string, events: number): number | undefined {
  const match = /^totals: (\d+)/m.exec(readFileSync(file, 'utf8'))
  return match === null ? undefined : Math.round(Number(match[1]) / events)
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
  if (result.gc !== undefined) printGcRounds(result.gc)
}

if (isMain(import.meta.url)) {
  runMain(async () => {
    const rate = numberArgument('rate')
    const seconds = numberArgument('seconds')
    const rounds = numberArgument('rounds')
    const warmupSeconds = numberArgument('warmup')
    const storeEvents = numberArgument('store-events')
    const heapAt = process.argv.indexOf('--heap-prof')
    const heapProfileDir = heapAt === -1 ? undefined : process.argv[heapAt + 1]
    await run({
      ...(process.argv.includes('--gc') ? { gc: true } : {}),
      ...(heapProfileDir === undefined ? {} : { heapProfileDir }),
      ...(process.argv.includes('--heap-live') ? { heapLive: true } : {}),
      ...(process.argv.includes('--callgrind') ? { callgrind: true } : {}),
      ...(storeEvents === undefined ? {} : { storeEvents }),
      ...(rounds === undefined ? {} : { rounds }),
      ...(warmupSeconds === undefined ? {} : { warmupSeconds }),
      ...(rate === undefined ? {} : { rate }),
      ...(seconds === undefined ? {} : { seconds }),
    })
  })
}
