/**
 * Fan-out benchmark: C clients on loopback watch one stream while E events of about B bytes are
 * emitted in bursts. Compares runstream's Node handler (direct writes), its Fetch handler (a
 * ReadableStream per connection, pumped into Node), better-sse's channel broadcast, and raw
 * `res.write` loops (one write per event, or one write per burst of pre-encoded frames). Also
 * measures the memory of an idle connection.
 *
 * Run: `npx tsx bench/fanout.ts [--clients 1000] [--events 1000] [--burst 100] [--json]`.
 * Server and clients run in separate processes (one core each on a 2-core machine); every
 * process is stopped at the end. Results go to bench/results/fanout.json.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Variant } from './lib/fanout-server.js'
import { isMain, next, numberArgument, processGroup, runMain, sleep } from './lib/processes.js'
import { median } from './lib/stats.js'

/** Options of {@link run}. */
export interface FanoutOptions {
  /** Connected clients. @defaultValue 1000 */
  clients?: number
  /** Events emitted. @defaultValue 1000 */
  events?: number
  /** Approximate bytes of each event's envelope. @defaultValue 250 */
  eventBytes?: number
  /** Events emitted per turn of the event loop. @defaultValue 100 */
  burst?: number
  /**
   * Rounds per server: the best throughput is kept, since other work on the machine only slows a
   * round down; memory is the median. @defaultValue 2
   */
  rounds?: number
  /**
   * Idle connections added after the first `clients` and before the cost of one more is
   * measured, so that V8's young generation has reached its size (see `youngPerConnection`).
   * @defaultValue 2000
   */
  settleClients?: number
  /**
   * Idle connections over which the cost of one more connection is measured
   * (`marginal…PerConnection`), in separate processes. @defaultValue 2000
   */
  moreClients?: number
  /** Which servers to measure. @defaultValue all */
  variants?: readonly Variant[]
  /** Where to write the JSON results; `false` to skip. @defaultValue bench/results/fanout.json */
  output?: string | false
  /** Print the table. @defaultValue true */
  print?: boolean
}

/** The figures of one server. */
export interface VariantResult {
  variant: Variant
  /** Deliveries (events × clients) per second, from the first emit to the last delivery. */
  deliveriesPerSecond: number
  /** From the first emit to the moment the last client had every event, in ms. */
  timeToLastDeliveryMs: number
  /** JS heap + external memory per idle connection, in bytes. */
  heapPerConnection: number
  /** Resident memory per idle connection, in bytes. */
  rssPerConnection: number
  /**
   * The part of `rssPerConnection` that is the growth of V8's young generation, in bytes. The
   * young generation grows while the first clients connect and then keeps its size: paid once
   * per process, it reads as a cost of each connection only when divided by the first ones.
   */
  youngPerConnection: number
  /**
   * JS heap + external memory that one more idle connection adds, in bytes: the growth from
   * `clients + settleClients` to `clients + settleClients + moreClients` idle connections,
   * divided by `moreClients`.
   */
  marginalHeapPerConnection: number
  /** Resident memory that one more idle connection adds, in bytes (measured as the heap one). */
  marginalRssPerConnection: number
  /**
   * The young generation's growth over the same connections, in bytes per connection: near zero
   * when it had reached its size, as it should have (it is part of `marginalRssPerConnection`).
   */
  marginalYoungPerConnection: number
  /**
   * CPU time of the client process over the elapsed time, in the kept round. Near 1, the clients
   * (one process, one core) rather than the server were the limit, and the figure is a floor.
   */
  clientCpuShare: number
  /**
   * The server process's CPU time per 1000 deliveries, in ms (user + system, the kernel's sends
   * included): its cost, whoever set the pace.
   */
  serverCpuMsPer1000: number
}

/** What {@link run} returns. */
export interface FanoutResult {
  rounds: number
  clients: number
  /** The idle connections added before the cost of one more is measured. */
  settleClients: number
  /** The idle connections over which the cost of one more is measured. */
  moreClients: number
  events: number
  eventBytes: number
  burst: number
  node: string
  results: VariantResult[]
  /**
   * runstream-node over better-sse (goal ≥ 5) and over raw-batched (goal ≥ 0.4), in deliveries
   * per second; `cpu…` ratios compare server CPU per delivery instead (the other's over ours, so
   * above 1 is better), which does not depend on the client process keeping up.
   */
  ratios: {
    vsBetterSse: number
    vsRawBatched: number
    fetchVsRawBatched: number
    cpuVsBetterSse: number
    cpuVsRawBatched: number
  }
  /**
   * The ratios of each round, runstream-node against the peer measured in the same round (the
   * variants of a round run one after the other): deliveries/s over the peer's, and
   * `cpuOverRawBatched`, server CPU per delivery over the raw loop's (below 1 is better).
   */
  roundRatios: { vsBetterSse: number[]; vsRawBatched: number[]; cpuOverRawBatched: number[] }
  /** The median of each of `roundRatios`: what the goals are judged on. */
  medianRatios: { vsBetterSse: number; vsRawBatched: number; cpuOverRawBatched: number }
  /** Whether the goals were met. */
  goals: {
    cpuOverRawBatched: boolean
    vsBetterSse: boolean
    vsRawBatched: boolean
    heapPerConnection: boolean
    marginalRssPerConnection: boolean
  }
}

const ALL: readonly Variant[] = [
  'raw-batched',
  'raw-per-event',
  'runstream-node',
  'runstream-fetch',
  'better-sse',
]
const here = dirname(fileURLToPath(import.meta.url))

/** Runs the benchmark and returns its figures. */
export async function run(options: FanoutOptions = {}): Promise<FanoutResult> {
  const clients = options.clients ?? 1000
  const events = options.events ?? 1000
  const eventBytes = options.eventBytes ?? 250
  const burst = options.burst ?? 100
  const rounds = options.rounds ?? 2
  const variants = options.variants ?? ALL
  const settleClients = options.settleClients ?? 2000
  const moreClients = options.moreClients ?? 2000
  const byVariant = new Map<
    Variant,
    (Omit<VariantResult, MarginalKey> & Partial<VariantResult>)[]
  >()
  // Rounds are interleaved, so a slow spell of the machine does not hit one server only.
  for (let round = 0; round < rounds; round++) {
    for (const variant of variants) {
      const result = await measureVariant(variant, clients, events, eventBytes, burst)
      // Memory varies little from round to round: two rounds of it are enough for a median.
      const marginal =
        round < 2 ? await measureMarginal(variant, clients + settleClients, moreClients) : undefined
      byVariant.set(variant, [...(byVariant.get(variant) ?? []), { ...result, ...marginal }])
    }
  }
  const best = new Map<Variant, VariantResult>()
  for (const [variant, all] of byVariant) {
    const fastest = all.reduce((a, b) => (b.deliveriesPerSecond > a.deliveriesPerSecond ? b : a))
    best.set(variant, {
      ...fastest,
      heapPerConnection: Math.round(median(all.map((r) => r.heapPerConnection))),
      rssPerConnection: Math.round(median(all.map((r) => r.rssPerConnection))),
      youngPerConnection: Math.round(median(all.map((r) => r.youngPerConnection))),
      marginalHeapPerConnection: Math.round(median(measured(all, 'marginalHeapPerConnection'))),
      marginalRssPerConnection: Math.round(median(measured(all, 'marginalRssPerConnection'))),
      marginalYoungPerConnection: Math.round(median(measured(all, 'marginalYoungPerConnection'))),
      serverCpuMsPer1000: Math.min(...all.map((r) => r.serverCpuMsPer1000)),
    })
  }
  const results = variants.map((variant) => best.get(variant) as VariantResult)
  const dps = (v: Variant) =>
    results.find((r) => r.variant === v)?.deliveriesPerSecond ?? Number.NaN
  const ours = results.find((r) => r.variant === 'runstream-node')
  const cpu = (v: Variant) => results.find((r) => r.variant === v)?.serverCpuMsPer1000 ?? Number.NaN
  const ratios = {
    vsBetterSse: dps('runstream-node') / dps('better-sse'),
    vsRawBatched: dps('runstream-node') / dps('raw-batched'),
    fetchVsRawBatched: dps('runstream-fetch') / dps('raw-batched'),
    cpuVsBetterSse: cpu('better-sse') / cpu('runstream-node'),
    cpuVsRawBatched: cpu('raw-batched') / cpu('runstream-node'),
  }
  const perRound = (v: Variant) => byVariant.get(v) ?? []
  const roundRatio = (a: Variant, b: Variant, key: 'deliveriesPerSecond' | 'serverCpuMsPer1000') =>
    perRound(a).map((r, i) => {
      const other = perRound(b)[i]
      return other === undefined ? Number.NaN : round2(r[key] / other[key])
    })
  const roundRatios = {
    vsBetterSse: roundRatio('runstream-node', 'better-sse', 'deliveriesPerSecond'),
    vsRawBatched: roundRatio('runstream-node', 'raw-batched', 'deliveriesPerSecond'),
    cpuOverRawBatched: roundRatio('runstream-node', 'raw-batched', 'serverCpuMsPer1000'),
  }
  const medianRatios = {
    vsBetterSse: median(roundRatios.vsBetterSse),
    vsRawBatched: median(roundRatios.vsRawBatched),
    cpuOverRawBatched: median(roundRatios.cpuOverRawBatched),
  }
  const result: FanoutResult = {
    rounds,
    clients,
    settleClients,
    moreClients,
    events,
    eventBytes,
    burst,
    node: process.version,
    results,
    ratios,
    roundRatios,
    medianRatios,
    goals: {
      vsBetterSse: medianRatios.vsBetterSse >= 10,
      vsRawBatched: medianRatios.vsRawBatched >= 0.75,
      cpuOverRawBatched: medianRatios.cpuOverRawBatched <= 2,
      heapPerConnection: ours !== undefined && ours.heapPerConnection <= 20_480,
      marginalRssPerConnection: ours !== undefined && ours.marginalRssPerConnection <= 20_480,
    },
  }
  if (options.print ?? true) printTable(result)
  const output = options.output ?? join(here, 'results', 'fanout.json')
  if (output !== false) {
    await mkdir(dirname(output), { recursive: true })
    await writeFile(output, JSON.stringify(result, null, 2) + '\n')
  }
  return result
}

type MarginalKey =
  | 'marginalHeapPerConnection'
  | 'marginalRssPerConnection'
  | 'marginalYoungPerConnection'

// The rounds' values of a figure only some rounds measure.
function measured(all: readonly Partial<VariantResult>[], key: MarginalKey): number[] {
  return all.flatMap((r) => (r[key] === undefined ? [] : [r[key]]))
}

/**
 * The memory one more idle connection costs: `settled` idle connections, a measure, `more`
 * connections added, a measure again; the growth between the two, divided by `more`. Unlike
 * the figure per connection of the first clients, it leaves out what the server spends once
 * however many connect: V8's young generation grows while the first few thousand arrive (their
 * objects survive its collections), to a size it then keeps, and divided by the first clients
 * that growth would read as a cost of each. `settled` is chosen large enough for it to be done;
 * the young generation's growth in the measured step is reported, so a reader can check.
 */
async function measureMarginal(
  variant: Variant,
  settled: number,
  more: number,
): Promise<Pick<VariantResult, MarginalKey>> {
  const group = processGroup()
  try {
    const server = group.spawn('fanout-server.ts')
    server.send({ type: 'start', variant, events: 1, eventBytes: 250, burst: 1 })
    const { port, path } = await next<{ port: number; path: string }>(server, 'listening')
    const client = group.spawn('fanout-client.ts')
    const measureAfter = async (count: number) => {
      client.send({ type: 'idle', port, path, count })
      const ready = await next<{ failures: number }>(client, 'idle-ready')
      if (ready.failures > 0)
        throw new Error(`${variant}: ${ready.failures} clients failed to connect`)
      await sleep(300)
      server.send({ type: 'measure' })
      return next<Memory>(server, 'memory')
    }
    const first = await measureAfter(settled)
    const then = await measureAfter(more)
    return {
      marginalHeapPerConnection: Math.round((then.heapBytes - first.heapBytes) / more),
      marginalRssPerConnection: Math.round((then.rssBytes - first.rssBytes) / more),
      marginalYoungPerConnection: Math.round((then.youngBytes - first.youngBytes) / more),
    }
  } finally {
    await group.stopAll()
  }
}

/** What the server process reports of its memory: growth since it started listening. */
interface Memory {
  heapBytes: number
  rssBytes: number
  youngBytes: number
}

async function measureVariant(
  variant: Variant,
  clients: number,
  events: number,
  eventBytes: number,
  burst: number,
): Promise<Omit<VariantResult, MarginalKey>> {
  const group = processGroup()
  try {
    const server = group.spawn('fanout-server.ts')
    server.send({ type: 'start', variant, events, eventBytes, burst })
    const { port, path } = await next<{ port: number; path: string }>(server, 'listening')
    const client = group.spawn('fanout-client.ts')
    client.send({ type: 'start', port, path, clients, events })
    const ready = await next<{ failures?: number }>(client, 'ready')
    if ((ready.failures ?? 0) > 0)
      throw new Error(`${variant}: ${ready.failures} clients failed to connect`)
    await sleep(300)
    server.send({ type: 'measure' })
    const memory = await next<Memory>(server, 'memory')
    const done = next<{ lastAt: string; cpuMs: number }>(client, 'done')
    client.send({ type: 'mark' })
    server.send({ type: 'emit' })
    const { startedAt } = await next<{ startedAt: string }>(server, 'emitted')
    const { lastAt, cpuMs } = await done
    const elapsedMs = Number(BigInt(lastAt) - BigInt(startedAt)) / 1e6
    const serverCpu = next<{ cpuMs: number }>(server, 'cpu')
    server.send({ type: 'cpu' })
    const { cpuMs: serverCpuMs } = await serverCpu
    return {
      variant,
      deliveriesPerSecond: Math.round((clients * events) / (elapsedMs / 1000)),
      timeToLastDeliveryMs: Math.round(elapsedMs),
      heapPerConnection: Math.round(memory.heapBytes / clients),
      rssPerConnection: Math.round(memory.rssBytes / clients),
      youngPerConnection: Math.round(memory.youngBytes / clients),
      clientCpuShare: Math.round((cpuMs / elapsedMs) * 100) / 100,
      serverCpuMsPer1000: Math.round((serverCpuMs / ((clients * events) / 1000)) * 1000) / 1000,
    }
  } finally {
    await group.stopAll()
  }
}

function printTable(result: FanoutResult): void {
  const base = result.results.find((r) => r.variant === 'raw-batched')?.deliveriesPerSecond
  console.log(
    `\nfan-out: ${result.clients} clients × ${result.events} events of ~${result.eventBytes} B, bursts of ${result.burst}, best of ${result.rounds}, Node ${result.node}\n`,
  )
  console.log(
    'variant          deliveries/s   last delivery   vs raw-batched   heap/conn   rss/conn   (young)   +heap/conn   +rss/conn   (young)   client CPU   server CPU/1k',
  )
  for (const r of result.results) {
    console.log(
      [
        r.variant.padEnd(15),
        r.deliveriesPerSecond.toLocaleString('en-US').padStart(13),
        `${r.timeToLastDeliveryMs} ms`.padStart(15),
        (base === undefined ? '-' : (r.deliveriesPerSecond / base).toFixed(2)).padStart(16),
        `${(r.heapPerConnection / 1024).toFixed(1)} KB`.padStart(11),
        `${(r.rssPerConnection / 1024).toFixed(1)} KB`.padStart(10),
        `${(r.youngPerConnection / 1024).toFixed(1)} KB`.padStart(9),
        `${(r.marginalHeapPerConnection / 1024).toFixed(1)} KB`.padStart(12),
        `${(r.marginalRssPerConnection / 1024).toFixed(1)} KB`.padStart(11),
        `${(r.marginalYoungPerConnection / 1024).toFixed(1)} KB`.padStart(9),
        `${Math.round(r.clientCpuShare * 100)}%`.padStart(10),
        `${r.serverCpuMsPer1000.toFixed(3)} ms`.padStart(13),
      ].join('  '),
    )
  }
  const { ratios, goals } = result
  const { roundRatios, medianRatios } = result
  console.log(
    `\nrunstream-node vs better-sse, median of rounds: ${medianRatios.vsBetterSse.toFixed(1)}× (rounds ${roundRatios.vsBetterSse.join(', ')}; best-of ${ratios.vsBetterSse.toFixed(1)}×; goal ≥ 10: ${goals.vsBetterSse ? 'met' : 'MISSED'})`,
  )
  console.log(
    `runstream-node vs raw-batched, median of rounds: ${medianRatios.vsRawBatched.toFixed(2)}× (rounds ${roundRatios.vsRawBatched.join(', ')}; best-of ${ratios.vsRawBatched.toFixed(2)}×; goal ≥ 0.75: ${goals.vsRawBatched ? 'met' : 'MISSED'})`,
  )
  console.log(
    `runstream-node server CPU per delivery ÷ raw-batched, median of rounds: ${medianRatios.cpuOverRawBatched.toFixed(2)}× (rounds ${roundRatios.cpuOverRawBatched.join(', ')}; goal ≤ 2: ${goals.cpuOverRawBatched ? 'met' : 'MISSED'})`,
  )
  console.log(
    `runstream-fetch (ReadableStream path) vs raw-batched: ${(ratios.fetchVsRawBatched * 100).toFixed(0)}%`,
  )
  console.log(
    `heap per idle runstream-node connection ≤ 20 KB: ${goals.heapPerConnection ? 'met' : 'MISSED'}; RSS of one more ≤ 20 KB: ${goals.marginalRssPerConnection ? 'met' : 'MISSED'}`,
  )
}

if (isMain(import.meta.url)) {
  runMain(async () => {
    const clients = numberArgument('clients')
    const events = numberArgument('events')
    const burst = numberArgument('burst')
    const result = await run({
      ...(clients === undefined ? {} : { clients }),
      ...(events === undefined ? {} : { events }),
      ...(burst === undefined ? {} : { burst }),
    })
    if (process.argv.includes('--json')) console.log(JSON.stringify(result))
  })
}

function round2(value: number): number {
  return Math.round(value * 100) / 100
}
