/**
 * Redis store benchmark, on loopback:
 * 1. throughput: events per second from `emit` on one manager (its own Redis store) to a
 *    subscriber of another manager (another store, its own connections), as two processes would;
 * 2. latency: emit → delivery at a steady rate (1000 events/s for 5 s), Redis against the
 *    in-memory store, p50/p90/p99/max;
 * 3. memory: Redis bytes per held event, for retention sizing.
 *
 * Run: `npx tsx bench/redis.ts [--rate 1000] [--seconds 5] [--events 50000] [--json]`, with
 * REDIS_URL (default redis://127.0.0.1:6379). Keys live under a unique prefix and are deleted at the
 * end. Results go to bench/results/redis.json.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import * as z from 'zod'
import {
  createStreamManager,
  defineCatalog,
  type EventStore,
  memoryStore,
  type StreamManager,
} from '../src/index.js'
import { redisStore } from '../src/redis.js'

/** Options of {@link run}. */
export interface RedisBenchOptions {
  /** @defaultValue `process.env.REDIS_URL` or `redis://127.0.0.1:6379` */
  url?: string
  /** Events of the throughput run. @defaultValue 50_000 */
  events?: number
  /** Events per second of the latency runs. @defaultValue 1000 */
  rate?: number
  /** Length of each latency run, in seconds. @defaultValue 5 */
  seconds?: number
  /** Approximate bytes of each envelope. @defaultValue 200 */
  eventBytes?: number
  /** Where to write the JSON results; `false` to skip. @defaultValue bench/results/redis.json */
  output?: string | false
  /** Print a summary. @defaultValue true */
  print?: boolean
}

/** A latency distribution, in milliseconds. */
export interface Latency {
  p50: number
  p90: number
  p99: number
  max: number
  samples: number
}

/** What {@link run} returns. */
export interface RedisBenchResult {
  node: string
  redis: string
  cores: number
  eventBytes: number
  throughput: { events: number; seconds: number; eventsPerSecond: number }
  latency: {
    rate: number
    seconds: number
    memory: Latency
    redis: Latency
    /** What Redis adds over the in-memory store at p50 and p99. */
    addedP50: number
    addedP99: number
  }
  memory: { events: number; bytesPerEvent: number }
  /** p99 through Redis under 5 ms at the given rate. */
  goals: { p99Under5ms: boolean }
}

const catalog = defineCatalog(
  { tick: z.object({ n: z.number(), text: z.string() }), end: z.object({ n: z.number() }) },
  { terminal: ['end'] },
)
const here = dirname(fileURLToPath(import.meta.url))

/** Runs the benchmark and returns its figures (in well under a minute with the defaults). */
export async function run(options: RedisBenchOptions = {}): Promise<RedisBenchResult> {
  const url = options.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  const events = options.events ?? 50_000
  const rate = options.rate ?? 1000
  const seconds = options.seconds ?? 5
  const eventBytes = options.eventBytes ?? 200
  const prefix = `rsbench:${process.pid}-${Date.now().toString(36)}:`
  // The envelope around `text` is about 110 bytes.
  const text = 'x'.repeat(Math.max(1, eventBytes - 110))
  const admin = new Redis(url, { maxRetriesPerRequest: 0 })
  try {
    const info = await admin.info('server')
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown'

    const throughput = await measureThroughput(url, prefix, events, text)
    const redisLatency = await withPair(url, prefix, (producer, watcher) =>
      measureLatency(producer, watcher, 'latency-redis', rate, seconds, text),
    )
    const memory = memoryStore({
      maxEventsPerStream: rate * seconds + 10,
      maxBytesPerStream: Number.MAX_SAFE_INTEGER,
      maxBytes: Number.MAX_SAFE_INTEGER,
    })
    const single = createStreamManager({ catalog, store: memory, onError: fail })
    const memoryLatency = await measureLatency(
      single,
      single,
      'latency-memory',
      rate,
      seconds,
      text,
    )
    await single.close()
    const bytesPerEvent = await measureMemory(url, prefix, admin, text)

    const result: RedisBenchResult = {
      node: process.version,
      redis: version,
      cores: availableParallelism(),
      eventBytes,
      throughput,
      latency: {
        rate,
        seconds,
        memory: memoryLatency,
        redis: redisLatency,
        addedP50: round(redisLatency.p50 - memoryLatency.p50),
        addedP99: round(redisLatency.p99 - memoryLatency.p99),
      },
      memory: { events: 10_000, bytesPerEvent },
      goals: { p99Under5ms: redisLatency.p99 < 5 },
    }
    if (options.print ?? true) printSummary(result)
    const output = options.output ?? join(here, 'results', 'redis.json')
    if (output !== false) {
      await mkdir(dirname(output), { recursive: true })
      await writeFile(output, `${JSON.stringify(result, null, 2)}\n`)
    }
    return result
  } finally {
    await deleteKeys(admin, prefix)
    admin.disconnect()
  }
}

/** Two managers on two stores (four connections), as a producer process and a web process. */
async function withPair<T>(
  url: string,
  prefix: string,
  body: (
    producer: StreamManager<typeof catalog>,
    watcher: StreamManager<typeof catalog>,
  ) => Promise<T>,
): Promise<T> {
  const stores: EventStore[] = [
    redisStore({ url, prefix, onError: fail, maxEventsPerStream: 100_000 }),
    redisStore({ url, prefix, onError: fail, maxEventsPerStream: 100_000 }),
  ]
  const [a, b] = stores.map((store) => createStreamManager({ catalog, store, onError: fail })) as [
    StreamManager<typeof catalog>,
    StreamManager<typeof catalog>,
  ]
  try {
    return await body(a, b)
  } finally {
    await a.close()
    await b.close()
    for (const store of stores) await store.close?.()
  }
}

async function measureThroughput(url: string, prefix: string, events: number, text: string) {
  return withPair(url, prefix, async (producer, watcher) => {
    const stream = 'throughput'
    const delivered = consume(watcher, stream, events)
    await waitForWatch(watcher)
    const started = performance.now()
    const handle = producer.stream(stream)
    for (let n = 1; n <= events; n++) {
      if (n === events) handle.emit('end', { n })
      else handle.emit('tick', { n, text })
      // Bursts of 500, so replies and deliveries are read while emitting.
      if (n % 500 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    await delivered
    const elapsed = (performance.now() - started) / 1000
    return { events, seconds: round(elapsed), eventsPerSecond: Math.round(events / elapsed) }
  })
}

async function measureLatency(
  producer: StreamManager<typeof catalog>,
  watcher: StreamManager<typeof catalog>,
  stream: string,
  rate: number,
  seconds: number,
  text: string,
): Promise<Latency> {
  const total = rate * seconds
  const emittedAt = new Float64Array(total + 1)
  const latencies = new Float64Array(total)
  const delivered = consume(watcher, stream, total, (id, at) => {
    latencies[id - 1] = at - (emittedAt[id] ?? at)
  })
  await waitForWatch(watcher)
  const handle = producer.stream(stream)
  const started = performance.now()
  let sent = 0
  // Emits what is due at each timer tick: a steady rate without a busy loop.
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1)
    while (sent < due) {
      sent++
      emittedAt[sent] = performance.now()
      if (sent === total) handle.emit('end', { n: sent })
      else handle.emit('tick', { n: sent, text })
    }
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  await delivered
  const sorted = Array.from(latencies).sort((x, y) => x - y)
  const at = (q: number) =>
    round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0)
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1), samples: sorted.length }
}

/** Subscribes and resolves once `count` events arrived (the last one is terminal). */
function consume(
  manager: StreamManager<typeof catalog>,
  stream: string,
  count: number,
  onEvent?: (id: number, at: number) => void,
): Promise<void> {
  const subscription = manager.subscribe({ stream, maxQueuedEvents: count + 10 })
  return (async () => {
    let seen = 0
    for await (const event of subscription) {
      const id = Number(event.id)
      onEvent?.(id, performance.now())
      seen++
      if (id !== seen) throw new Error(`event ${id} arrived as number ${seen}`)
    }
    if (seen !== count) throw new Error(`${seen} of ${count} events arrived`)
  })()
}

/** Lets the subscription register with its store before the first emit. */
async function waitForWatch(manager: StreamManager<typeof catalog>): Promise<void> {
  const store = manager.store as { watching?: number }
  const deadline = Date.now() + 5000
  while (store.watching !== undefined && store.watching === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  await new Promise((resolve) => setTimeout(resolve, 20))
}

/** Bytes of Redis memory per held event: one stream of 10 000 events, measured by MEMORY USAGE. */
async function measureMemory(url: string, prefix: string, admin: Redis, text: string) {
  const store = redisStore({ url, prefix, onError: fail })
  const manager = createStreamManager({ catalog, store, onError: fail })
  const handle = manager.stream('memory')
  for (let n = 1; n <= 10_000; n++) handle.emit('tick', { n, text })
  await manager.flush()
  const bytes =
    Number(await admin.memory('USAGE', `${prefix}{memory}:events`, 'SAMPLES', 0)) +
    Number(await admin.memory('USAGE', `${prefix}{memory}:meta`, 'SAMPLES', 0))
  await manager.close()
  await store.close()
  return Math.round(bytes / 10_000)
}

async function deleteKeys(admin: Redis, prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) await admin.del(...keys)
  } while (cursor !== '0')
}

function fail(error: Error): void {
  console.error(`[bench] ${error.message}`)
  process.exitCode = 1
}

function round(value: number): number {
  return Math.round(value * 100) / 100
}

function printSummary(result: RedisBenchResult): void {
  const { throughput, latency } = result
  console.log(
    `\nredis store: Node ${result.node}, Redis ${result.redis}, ${result.cores} cores, envelopes of ~${result.eventBytes} B\n`,
  )
  console.log(
    `throughput (emit → subscriber of another store): ${throughput.eventsPerSecond.toLocaleString('en-US')} events/s (${throughput.events} events in ${throughput.seconds} s)`,
  )
  console.log(
    `\nlatency emit → delivery at ${latency.rate} events/s for ${latency.seconds} s (ms):`,
  )
  console.log('store     p50     p90     p99     max')
  for (const [name, l] of [
    ['memory', latency.memory],
    ['redis', latency.redis],
  ] as const) {
    console.log(
      [name.padEnd(6), ...[l.p50, l.p90, l.p99, l.max].map((v) => v.toFixed(2).padStart(6))].join(
        '  ',
      ),
    )
  }
  console.log(`added by Redis: p50 +${latency.addedP50} ms, p99 +${latency.addedP99} ms`)
  console.log(
    `p99 under 5 ms at ${latency.rate} events/s: ${result.goals.p99Under5ms ? 'met' : 'MISSED'}`,
  )
  console.log(`Redis memory per held event: ${result.memory.bytesPerEvent} B`)
}

function argument(name: string): number | undefined {
  const at = process.argv.indexOf(`--${name}`)
  const value = at === -1 ? undefined : Number(process.argv[at + 1])
  return value !== undefined && Number.isFinite(value) ? value : undefined
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rate = argument('rate')
  const seconds = argument('seconds')
  const events = argument('events')
  run({
    ...(rate === undefined ? {} : { rate }),
    ...(seconds === undefined ? {} : { seconds }),
    ...(events === undefined ? {} : { events }),
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
