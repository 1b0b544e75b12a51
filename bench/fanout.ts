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
import { type ChildProcess, fork } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Variant } from './lib/fanout-server.js'

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
   * Rounds per server; the best round is kept, since other work on the machine only slows a
   * round down. @defaultValue 2
   */
  rounds?: number
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
}

/** What {@link run} returns. */
export interface FanoutResult {
  rounds: number
  clients: number
  events: number
  eventBytes: number
  burst: number
  node: string
  results: VariantResult[]
  /** runstream-node over better-sse (goal ≥ 5) and over raw-batched (goal ≥ 0.4). */
  ratios: { vsBetterSse: number; vsRawBatched: number; fetchVsRawBatched: number }
  /** Whether the goals were met. */
  goals: { vsBetterSse: boolean; vsRawBatched: boolean; heapPerConnection: boolean }
}

const ALL: readonly Variant[] = [
  'raw-batched',
  'raw-per-event',
  'runstream-node',
  'runstream-fetch',
  'better-sse',
]
const here = dirname(fileURLToPath(import.meta.url))
const STEP_TIMEOUT_MS = 30_000

/** Runs the benchmark and returns its figures. */
export async function run(options: FanoutOptions = {}): Promise<FanoutResult> {
  const clients = options.clients ?? 1000
  const events = options.events ?? 1000
  const eventBytes = options.eventBytes ?? 250
  const burst = options.burst ?? 100
  const rounds = options.rounds ?? 2
  const variants = options.variants ?? ALL
  const best = new Map<Variant, VariantResult>()
  // Rounds are interleaved, so a slow spell of the machine does not hit one server only.
  for (let round = 0; round < rounds; round++) {
    for (const variant of variants) {
      const result = await measureVariant(variant, clients, events, eventBytes, burst)
      const previous = best.get(variant)
      if (previous === undefined) best.set(variant, result)
      else {
        best.set(variant, {
          ...(result.deliveriesPerSecond > previous.deliveriesPerSecond ? result : previous),
          heapPerConnection: Math.min(result.heapPerConnection, previous.heapPerConnection),
          rssPerConnection: Math.min(result.rssPerConnection, previous.rssPerConnection),
        })
      }
    }
  }
  const results = variants.map((variant) => best.get(variant) as VariantResult)
  const dps = (v: Variant) =>
    results.find((r) => r.variant === v)?.deliveriesPerSecond ?? Number.NaN
  const ours = results.find((r) => r.variant === 'runstream-node')
  const ratios = {
    vsBetterSse: dps('runstream-node') / dps('better-sse'),
    vsRawBatched: dps('runstream-node') / dps('raw-batched'),
    fetchVsRawBatched: dps('runstream-fetch') / dps('raw-batched'),
  }
  const result: FanoutResult = {
    rounds,
    clients,
    events,
    eventBytes,
    burst,
    node: process.version,
    results,
    ratios,
    goals: {
      vsBetterSse: ratios.vsBetterSse >= 5,
      vsRawBatched: ratios.vsRawBatched >= 0.4,
      heapPerConnection: ours !== undefined && ours.heapPerConnection <= 20_480,
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

async function measureVariant(
  variant: Variant,
  clients: number,
  events: number,
  eventBytes: number,
  burst: number,
): Promise<VariantResult> {
  const children: ChildProcess[] = []
  const spawn = (file: string) => {
    const child = fork(join(here, 'lib', file), [], {
      // BENCH_NODE_OPTIONS: extra flags for the bench processes, such as --cpu-prof.
      execArgv: ['--import', 'tsx', ...(process.env.BENCH_NODE_OPTIONS?.split(' ') ?? [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    children.push(child)
    return child
  }
  try {
    const server = spawn('fanout-server.ts')
    server.send({ type: 'start', variant, events, eventBytes, burst })
    const { port, path } = await next<{ port: number; path: string }>(server, 'listening')
    const client = spawn('fanout-client.ts')
    client.send({ type: 'start', port, path, clients, events })
    const ready = await next<{ failures?: number }>(client, 'ready')
    if ((ready.failures ?? 0) > 0)
      throw new Error(`${variant}: ${ready.failures} clients failed to connect`)
    await sleep(300)
    server.send({ type: 'measure' })
    const memory = await next<{ heapBytes: number; rssBytes: number }>(server, 'memory')
    const done = next<{ lastAt: string }>(client, 'done')
    server.send({ type: 'emit' })
    const { startedAt } = await next<{ startedAt: string }>(server, 'emitted')
    const { lastAt } = await done
    const elapsedMs = Number(BigInt(lastAt) - BigInt(startedAt)) / 1e6
    return {
      variant,
      deliveriesPerSecond: Math.round((clients * events) / (elapsedMs / 1000)),
      timeToLastDeliveryMs: Math.round(elapsedMs),
      heapPerConnection: Math.round(memory.heapBytes / clients),
      rssPerConnection: Math.round(memory.rssBytes / clients),
    }
  } finally {
    await Promise.all(children.map(stop))
  }
}

/** Asks a bench process to exit, and kills it if it has not within a second. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.send({ type: 'exit' }, () => undefined)
  const timer = setTimeout(() => child.kill('SIGKILL'), 1000)
  await exited
  clearTimeout(timer)
}

function next<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`fanout: no "${type}" from a bench process within ${STEP_TIMEOUT_MS} ms`))
    }, STEP_TIMEOUT_MS)
    const onMessage = (message: { type: string } & T) => {
      if (message.type !== type) return
      cleanup()
      resolve(message)
    }
    const onExit = (code: number | null) => {
      cleanup()
      reject(new Error(`fanout: a bench process exited (${code}) while waiting for "${type}"`))
    }
    const cleanup = () => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function printTable(result: FanoutResult): void {
  const base = result.results.find((r) => r.variant === 'raw-batched')?.deliveriesPerSecond
  console.log(
    `\nfan-out: ${result.clients} clients × ${result.events} events of ~${result.eventBytes} B, bursts of ${result.burst}, best of ${result.rounds}, Node ${result.node}\n`,
  )
  console.log(
    'variant          deliveries/s   last delivery   vs raw-batched   heap/conn   rss/conn',
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
      ].join('  '),
    )
  }
  const { ratios, goals } = result
  console.log(
    `\nrunstream-node vs better-sse: ${ratios.vsBetterSse.toFixed(1)}× (goal ≥ 5: ${goals.vsBetterSse ? 'met' : 'MISSED'})`,
  )
  console.log(
    `runstream-node vs raw-batched: ${(ratios.vsRawBatched * 100).toFixed(0)}% (goal ≥ 40%: ${goals.vsRawBatched ? 'met' : 'MISSED'})`,
  )
  console.log(
    `runstream-fetch (ReadableStream path) vs raw-batched: ${(ratios.fetchVsRawBatched * 100).toFixed(0)}%`,
  )
  console.log(
    `heap per idle runstream-node connection ≤ 20 KB: ${goals.heapPerConnection ? 'met' : 'MISSED'}`,
  )
}

function argument(name: string): number | undefined {
  const at = process.argv.indexOf(`--${name}`)
  const value = at === -1 ? undefined : Number(process.argv[at + 1])
  return value !== undefined && Number.isFinite(value) ? value : undefined
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const clients = argument('clients')
  const events = argument('events')
  const burst = argument('burst')
  run({
    ...(clients === undefined ? {} : { clients }),
    ...(events === undefined ? {} : { events }),
    ...(burst === undefined ? {} : { burst }),
  }).then(
    (result) => {
      if (process.argv.includes('--json')) console.log(JSON.stringify(result))
    },
    (error: unknown) => {
      console.error(error)
      process.exitCode = 1
    },
  )
}
