/**
 * What the metrics cost on the fan-out path: C clients on loopback watch one stream through the
 * Node handler while E events are emitted in bursts of B, with no observer attached (the
 * counters are always on) and with an observer on every hook. One process, so that
 * `valgrind --tool=callgrind` counts every instruction of a run (client side included, the same
 * in every mode): those counts do not depend on the machine's load, unlike times.
 *
 * Run: `npx tsx bench/metrics.ts [--clients 200] [--events 1000] [--burst 100] [--rounds 5]`
 * compares the modes in child processes (CPU time per 1000 deliveries, median of `--rounds`
 * processes per mode, each a warm-up round then 3 measured ones). One mode alone:
 * `node --import tsx bench/metrics.ts --mode off|hooks [--rounds 2]`. For instruction counts:
 * `BENCH_FETCH=1 bash bench/metrics-callgrind.sh off|hooks 3`: the Fetch handler with its
 * bodies read in-process, no socket, so that a run repeats the same instructions (over sockets
 * the chunking, and so the work, varies with timing by ±10%). `RUNSTREAM_SRC=/path/to/src`
 * measures another checkout's source (the one before metrics, for instance) with the same driver.
 */
import { execFile } from 'node:child_process'
import http from 'node:http'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { isMain, numberArgument, runMain } from './lib/processes.js'
import { median, round } from './lib/stats.js'

/** With no observer (the counters alone), or with a hook on everything. */
export type MetricsMode = 'off' | 'hooks'

/** Options of {@link run}. */
export interface MetricsBenchOptions {
  clients?: number
  events?: number
  burst?: number
  rounds?: number
  print?: boolean
}

/** What one mode measured, median of the rounds. */
export interface ModeResult {
  mode: MetricsMode
  /** Process CPU (user + system) per 1000 deliveries, in ms: server and clients. */
  cpuMsPer1000: number
  /** Deliveries per second of wall time. */
  deliveriesPerSecond: number
}

/** What {@link run} returns. */
export interface MetricsBenchResult {
  case: 'metrics'
  clients: number
  events: number
  burst: number
  rounds: number
  results: ModeResult[]
  /** CPU with every hook over CPU with none: the cost of observing. */
  hooksOverOff: number
}

const SELF = fileURLToPath(import.meta.url)
// Measured rounds per process, after one warm-up round.
const ROUNDS_PER_PROCESS = 3

/** Runs each mode `rounds` times, interleaved, in fresh processes. */
export async function run(options: MetricsBenchOptions = {}): Promise<MetricsBenchResult> {
  const clients = options.clients ?? 200
  const events = options.events ?? 1000
  const burst = options.burst ?? 100
  const rounds = options.rounds ?? 5
  const modes: MetricsMode[] = ['off', 'hooks']
  const samples = new Map<MetricsMode, { cpuMs: number; wallMs: number }[]>(
    modes.map((mode) => [mode, []]),
  )
  for (let r = 0; r < rounds; r++) {
    for (const mode of modes) {
      samples.get(mode)?.push(await child(mode, clients, events, burst))
    }
  }
  const deliveries = clients * events * ROUNDS_PER_PROCESS
  const results = modes.map((mode) => {
    const runs = samples.get(mode) ?? []
    return {
      mode,
      cpuMsPer1000: round(median(runs.map((s) => (s.cpuMs * 1000) / deliveries)), 3),
      deliveriesPerSecond: Math.round(median(runs.map((s) => deliveries / (s.wallMs / 1000)))),
    }
  })
  const [off, hooks] = results as [ModeResult, ModeResult]
  const result: MetricsBenchResult = {
    case: 'metrics',
    clients,
    events,
    burst,
    rounds,
    results,
    hooksOverOff: round(hooks.cpuMsPer1000 / off.cpuMsPer1000, 3),
  }
  if (options.print !== false) {
    console.log(`metrics: ${clients} clients × ${events} events, bursts of ${burst}`)
    for (const r of results) {
      console.log(
        `  ${r.mode.padEnd(6)} ${r.cpuMsPer1000} ms CPU / 1000 deliveries, ${r.deliveriesPerSecond} deliveries/s`,
      )
    }
    console.log(`  hooks / off: ${result.hooksOverOff}`)
  }
  return result
}

function child(
  mode: MetricsMode,
  clients: number,
  events: number,
  burst: number,
): Promise<{ cpuMs: number; wallMs: number }> {
  const args = [
    '--import',
    'tsx',
    SELF,
    '--mode',
    mode,
    '--clients',
    String(clients),
    '--events',
    String(events),
    '--burst',
    String(burst),
    '--rounds',
    String(ROUNDS_PER_PROCESS),
  ]
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: 120_000 }, (error, stdout) => {
      if (error) reject(error)
      else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}'))
    })
  })
}

/**
 * One run of one mode in this process: a warm-up round, then `rounds` measured rounds, each on
 * a stream of its own with fresh clients. Prints `{ cpuMs, wallMs, hookCalls }` of the measured
 * rounds as its last line. With `BENCH_WAIT_SIGNAL=1` it prints `warm` after the warm-up and
 * waits for SIGUSR2: a script then turns callgrind's instrumentation on
 * (`valgrind --instr-atstart=no`, `callgrind_control -i on <pid>`), so that only the measured
 * rounds are counted, without start-up and the JIT's first compilations.
 */
async function once(
  mode: MetricsMode,
  clients: number,
  events: number,
  burst: number,
  rounds: number,
) {
  const src = process.env.RUNSTREAM_SRC ?? fileURLToPath(new URL('../src/', import.meta.url))
  const core = (await import(
    pathToFileURL(`${src}/index.ts`).href
  )) as typeof import('../src/index.js')
  const node = (await import(
    pathToFileURL(`${src}/node.ts`).href
  )) as typeof import('../src/node.js')
  const web = (await import(
    pathToFileURL(`${src}/server.ts`).href
  )) as typeof import('../src/server.js')
  const manager = core.createStreamManager({ catalog: core.executionCatalog })
  let hookCalls = 0
  if (mode === 'hooks') {
    const count = () => {
      hookCalls++
    }
    // The observe() of a checkout without metrics does not exist: then nothing is observed.
    manager.observe?.({
      onEmit: count,
      onConnect: count,
      onDisconnect: count,
      onDeliver: count,
      onReplay: count,
      onLag: count,
    })
  }
  const settings = { heartbeatMs: 600_000, framing: 'envelope' } as const
  const handler = node.createNodeHandler(manager, settings)
  // In-process (BENCH_FETCH=1): the Fetch handler's bodies read in this process, no socket, so
  // the same run executes the same instructions every time, as callgrind needs.
  const inProcess = process.env.BENCH_FETCH === '1'
  const fetchHandler = web.createFetchHandler(manager, settings)
  const server = http.createServer((req, res) => void handler(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  const text = 'x'.repeat(140)

  async function round(index: number): Promise<void> {
    const path = `/api/v0/executions/workflows/bench-${index}/stream`
    let finished = 0
    let connected = 0
    const done = new Promise<void>((resolve) => {
      for (let c = 0; c < clients && inProcess; c++) {
        void fetchHandler(new Request(`http://127.0.0.1${path}`)).then(async (response) => {
          connected++
          const reader = (response.body as ReadableStream<Uint8Array>).getReader()
          const decoder = new TextDecoder('latin1')
          let tail = ''
          for (;;) {
            const { value, done: ended } = await reader.read()
            if (ended) break
            tail = (tail + decoder.decode(value)).slice(-200)
            if (tail.includes('event: complete')) {
              await reader.cancel()
              if (++finished === clients) resolve()
              break
            }
          }
        })
      }
      for (let c = 0; c < clients && !inProcess; c++) {
        http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
          connected++
          // The terminal event's name is in its frame: a client is done once it has seen it.
          let tail = ''
          res.setEncoding('latin1')
          res.on('data', (chunk: string) => {
            tail = (tail + chunk).slice(-200)
            if (tail.includes('event: complete')) {
              res.destroy()
              if (++finished === clients) resolve()
            }
          })
        })
      }
    })
    while (connected < clients) await new Promise((resolve) => setTimeout(resolve, 5))
    const stream = manager.stream(`workflow:bench-${index}`)
    let i = 0
    const step = () => {
      const end = Math.min(events, i + burst)
      for (; i < end; i++) {
        if (i === events - 1) stream.emit('complete', { status: 'SUCCESS' })
        else stream.emit('llm_chunk', { text })
      }
      if (i < events) setImmediate(step)
    }
    step()
    await done
  }

  await round(0)
  if (process.env.BENCH_WAIT_SIGNAL === '1') {
    const go = new Promise((resolve) => process.once('SIGUSR2', resolve))
    console.log('warm')
    await go
  }
  hookCalls = 0
  const cpu = process.cpuUsage()
  const started = performance.now()
  for (let r = 1; r <= rounds; r++) await round(r)
  const wallMs = performance.now() - started
  const used = process.cpuUsage(cpu)
  handler.close()
  server.close()
  await manager.close()
  console.log(JSON.stringify({ cpuMs: (used.user + used.system) / 1000, wallMs, hookCalls }))
}

if (isMain(import.meta.url)) {
  const modeIndex = process.argv.indexOf('--mode')
  const mode = modeIndex < 0 ? undefined : (process.argv[modeIndex + 1] as MetricsMode)
  const clients = numberArgument('clients') ?? 200
  const events = numberArgument('events') ?? 1000
  const burst = numberArgument('burst') ?? 100
  if (mode !== undefined) {
    runMain(async () => {
      await once(mode, clients, events, burst, numberArgument('rounds') ?? 1)
      process.exit(0)
    })
  } else {
    runMain(() => run({ clients, events, burst, rounds: numberArgument('rounds') ?? 5 }))
  }
}
