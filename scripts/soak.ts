/**
 * The soak: 500 clients connect and disconnect continuously for about a minute while events flow
 * through the Node handler, then everything stops and the process must be back where it started:
 * no connection, store registration, socket, timer or listener left, and live memory within a
 * stated tolerance of its baseline. Then the full slow-consumer run (100 stalled clients,
 * 100 000 events) and the same check again.
 *
 *   npm run soak                      # about 70 s
 *   SOAK_SECONDS=15 npm run soak      # shorter churn phase
 *   SOAK_CLIENTS=200 npm run soak     # fewer clients
 *
 * Runs with `--expose-gc` (the npm script passes it). Exits 1 when a figure does not return to
 * its baseline or a client saw an event twice, out of order, or not at all; prints every figure.
 */
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { getHeapSpaceStatistics } from 'node:v8'
import { EventSource } from 'eventsource'
import { createParser } from 'eventsource-parser'
import { connect } from '../src/client.js'
import {
  createStreamManager,
  type EventStore,
  executionCatalog,
  memoryStore,
  type RunstreamError,
} from '../src/index.js'
import { createNodeHandler, type NodeHandler } from '../src/node.js'
import { connectSlowReader } from '../src/testing.js'
import { type Overlap, overlap } from '../test/reliability/overlap.js'
import { FULL_PLAN, runSlowConsumers } from '../test/reliability/slow-consumers.js'

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60)
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 500)
const STREAMS = 20
/** Events per second, over all streams. */
const RATE = 1000
/**
 * How far live memory may end above its baseline after everything is released. Observed: +1 to
 * +3 MB after a minute, flat when the churn is repeated (Node's fetch keeps a pool object per
 * connection it ever had open to an origin, and reconnect storms after a blip open more than the
 * warm-up did). A leak of 250 bytes per session (24 000 sessions in a minute) exceeds it.
 */
const MEMORY_TOLERANCE_BYTES = 6 * 1024 * 1024

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) {
  console.error('soak: run with --expose-gc (npm run soak does).')
  process.exit(2)
}

/** A store that counts its live registrations: one per watched stream while anyone watches. */
function countingStore(): EventStore & {
  readonly listening: number
  clear(): void
  forget(stream: string): void
} {
  const inner = memoryStore()
  let listening = 0
  return {
    get listening() {
      return listening
    },
    append: (draft) => inner.append(draft),
    read: (stream, options) => inner.read(stream, options),
    listen(stream, listener) {
      listening++
      const stop = inner.listen(stream, listener)
      let stopped = false
      return () => {
        if (stopped) return
        stopped = true
        listening--
        stop()
      }
    },
    clear: () => inner.clear(),
    // What idleTtlMs or maxStreams do to a stream that is still written: it starts over.
    forget: (stream) => inner.clear(stream),
  }
}

interface Server {
  readonly port: number
  readonly url: string
  readonly handler: NodeHandler
  readonly store: ReturnType<typeof countingStore>
  readonly manager: ReturnType<typeof createStreamManager<typeof executionCatalog>>
  readonly errors: RunstreamError[]
  /** Destroys every open socket: a network blip. */
  blip(): number
  close(): Promise<void>
}

async function startServer(port = 0): Promise<Server> {
  const store = countingStore()
  const errors: RunstreamError[] = []
  const manager = createStreamManager({
    catalog: executionCatalog,
    store,
    onError: (error) => errors.push(error),
  })
  const handler = createNodeHandler(manager, {
    heartbeatMs: 1000,
    retryMs: 50,
    maxQueuedBytes: 64 * 1024,
    onError: (error) => errors.push(error),
  })
  const sockets = new Set<Socket>()
  const server = http.createServer((req, res) => void handler(req, res))
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const address = server.address() as AddressInfo
  return {
    port: address.port,
    url: `http://127.0.0.1:${address.port}`,
    handler,
    store,
    manager,
    errors,
    blip() {
      const count = sockets.size
      for (const socket of sockets) socket.destroy()
      return count
    },
    async close() {
      handler.close()
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
      await manager.close()
      store.clear()
    },
  }
}

type Kind = 'client-break' | 'client-close' | 'client-abort' | 'eventsource' | 'raw-cut' | 'stalled'
const KINDS: readonly Kind[] = [
  'client-break',
  'client-break',
  'client-close',
  'client-abort',
  'eventsource',
  'raw-cut',
  'stalled',
]

interface Tally {
  sessions: Record<Kind, number>
  deliveries: number
  /** Gaps (`runstream.gap`, `cursor_expired`) told to sessions. */
  gaps: number
  /** Sessions that saw an id twice, out of order, with a hole, or a restart they were not told of. */
  violations: string[]
  /**
   * When each session's connection first opened and when the session let go of it, on the
   * monotonic clock (sessions that never opened are left out). A reconnect after a blip falls
   * inside its session's span.
   */
  opened: number[]
  released: number[]
}

/** Picks a stream name among the live ones. */
type StreamPicker = () => string

/**
 * One client session of `kind` on a live stream, lasting a random 250 to 3000 ms. Resolves when
 * the client has let go of everything; records what it received.
 */
async function session(
  server: Server,
  pick: StreamPicker,
  kind: Kind,
  tally: Tally,
): Promise<void> {
  const stream = pick()
  // Sessions resume near the live end, as reconnecting watchers do, rather than replaying all.
  const held = Number((await server.store.read(stream, { limit: 1 })).lastId ?? 0)
  const cursor = Math.max(0, held - Math.floor(Math.random() * 20))
  const url = `${server.url}/api/v0/executions/agents/${stream.slice('agent:'.length)}/stream?lastEventId=${cursor}`
  const lifeMs = 250 + Math.floor(Math.random() * 2750)
  // Event ids in order, and GAP where the client was told the stream started over (or that its
  // cursor is unknown: the stream was forgotten and began again since the cursor was read).
  const ids: number[] = []
  let opened: number | undefined
  const open = () => {
    opened ??= performance.now()
  }
  tally.sessions[kind]++
  switch (kind) {
    case 'client-break':
    case 'client-close':
    case 'client-abort': {
      const controller = new AbortController()
      const subscription = connect(url, {
        catalog: executionCatalog,
        signal: controller.signal,
        idleTimeoutMs: 5000,
        reconnect: { initialDelayMs: 20, maxDelayMs: 200, maxRetries: Number.POSITIVE_INFINITY },
        onOpen: open,
        onError: (error) => {
          if (error.code === 'cursor_expired') ids.push(GAP)
        },
      })
      const timer = setTimeout(
        () => (kind === 'client-abort' ? controller.abort() : subscription.close()),
        lifeMs,
      )
      const breakAfter = 1 + Math.floor(Math.random() * 40)
      try {
        for await (const event of subscription) {
          ids.push(Number(event.id))
          if (kind === 'client-break' && ids.filter((id) => id !== GAP).length >= breakAfter) break
        }
      } finally {
        clearTimeout(timer)
      }
      break
    }
    case 'eventsource': {
      await new Promise<void>((resolve) => {
        const source = new EventSource(url)
        source.addEventListener('open', open)
        const onEvent = (event: MessageEvent) => ids.push(Number(event.lastEventId))
        source.addEventListener('llm_chunk', onEvent)
        source.addEventListener('complete', onEvent)
        source.addEventListener('runstream.gap', () => ids.push(GAP))
        setTimeout(() => {
          source.close()
          resolve()
        }, lifeMs)
      })
      break
    }
    case 'raw-cut': {
      await new Promise<void>((resolve) => {
        const parser = createParser({
          onEvent: (message) => {
            if (message.event === 'runstream.gap') ids.push(GAP)
            else if (message.id !== undefined) ids.push(Number(message.id))
          },
        })
        const request = http.get(url, { agent: false }, (response) => {
          open()
          response.setEncoding('utf8')
          response.on('data', (chunk: string) => parser.feed(chunk))
        })
        request.on('error', () => undefined)
        request.on('close', () => resolve())
        // Cut without a goodbye, mid-stream.
        setTimeout(() => request.destroy(), lifeMs)
      })
      break
    }
    case 'stalled': {
      const reader = await connectSlowReader(url).catch(() => undefined)
      if (reader !== undefined) open()
      await new Promise((resolve) => setTimeout(resolve, lifeMs))
      reader?.close()
      break
    }
  }
  if (opened !== undefined) {
    tally.opened.push(opened)
    tally.released.push(performance.now())
  }
  // A session starts right after its cursor, then ids go up by one. A server blip makes
  // runstream clients and EventSource resume: still no hole and no repeat. A stream the store
  // forgot starts over at 1, and only right after the client was told (GAP).
  let expected = cursor + 1
  let told = false
  for (const id of ids) {
    if (id === GAP) {
      told = true
      tally.gaps++
      continue
    }
    tally.deliveries++
    if (told && id === 1) expected = 1
    if (id !== expected) {
      tally.violations.push(
        `${kind} on ${stream}: ${id} where ${expected} was due (cursor ${cursor}${told ? ', after a gap' : ''})`,
      )
      break
    }
    told = false
    expected = id + 1
  }
}

// A gap, among a session's ids.
const GAP = -1

/** What a churn measured: the tally, its spans reduced to how many sessions were open at once. */
type ChurnFigures = Omit<Tally, 'opened' | 'released'> & {
  emitted: number
  blips: number
  restarts: number
  overlap: Overlap
}

/** Runs `clients` sessions at a time for `seconds` while events flow; returns what it measured. */
async function churn(server: Server, clients: number, seconds: number): Promise<ChurnFigures> {
  const tally: Tally = {
    sessions: {
      'client-break': 0,
      'client-close': 0,
      'client-abort': 0,
      eventsource: 0,
      'raw-cut': 0,
      stalled: 0,
    },
    deliveries: 0,
    gaps: 0,
    violations: [],
    opened: [],
    released: [],
  }
  const began = performance.now()
  const deadline = Date.now() + seconds * 1000
  // Streams come and go: every few seconds one finishes and a new one takes its place.
  let generation = 0
  const streams = Array.from({ length: STREAMS }, (_, i) => `agent:soak-${i}-0`)
  const pick: StreamPicker = () => streams[Math.floor(Math.random() * streams.length)] as string
  let emitted = 0
  const perTick = Math.max(1, Math.round(RATE / 20))
  const producer = setInterval(() => {
    for (let i = 0; i < perTick; i++) {
      server.manager
        .stream(pick())
        .emit('llm_chunk', { text: `event ${emitted++} ${'x'.repeat(80)}` })
    }
  }, 50)
  const rotate = setInterval(() => {
    generation++
    const at = generation % STREAMS
    server.manager.stream(streams[at] as string).emit('complete', { status: 'SUCCESS' })
    streams[at] = `agent:soak-${at}-${generation}`
  }, 2000)
  let blips = 0
  const blipper = setInterval(() => {
    server.blip()
    blips++
  }, 10_000)
  // Every 3 s the store forgets a stream that is still being written, as its idle TTL or
  // maxStreams would: the stream starts over at id 1, and its watchers must be told.
  let restarts = 0
  const forgetter = setInterval(() => {
    server.store.forget(pick())
    restarts++
  }, 3000)

  const slot = async () => {
    while (Date.now() < deadline) {
      const kind = KINDS[Math.floor(Math.random() * KINDS.length)] as Kind
      await session(server, pick, kind, tally)
    }
  }
  await Promise.all(Array.from({ length: clients }, slot))
  clearInterval(producer)
  clearInterval(rotate)
  clearInterval(blipper)
  clearInterval(forgetter)
  // Reduced here, so that the spans (two numbers per session) are garbage before the memory check.
  const { opened, released, ...rest } = tally
  const together = overlap({ opened, released }, performance.now() - began)
  return { ...rest, emitted, blips, restarts, overlap: together }
}

/** What must return to its baseline. */
interface Snapshot {
  /**
   * Live heap and external memory after a full GC, bytes, compiled code left out: the JIT keeps
   * compiling hot paths for minutes, which is growth but no leak.
   */
  memory: number
  /** Compiled code, bytes (shown, not checked). */
  code: number
  rss: number
  /** `process.getActiveResourcesInfo()`, counted by type. */
  resources: Record<string, number>
  /** Listeners on `process`, all events. */
  processListeners: number
}

async function snapshot(): Promise<Snapshot> {
  // Let closing sockets and ended timers finish their last turn before counting.
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  gc?.()
  await new Promise((resolve) => setImmediate(resolve))
  gc?.()
  const usage = process.memoryUsage()
  const code = getHeapSpaceStatistics()
    .filter((space) => space.space_name.startsWith('code'))
    .reduce((sum, space) => sum + space.space_used_size, 0)
  const resources: Record<string, number> = {}
  for (const name of process.getActiveResourcesInfo()) resources[name] = (resources[name] ?? 0) + 1
  return {
    memory: usage.heapUsed + usage.external - code,
    code,
    rss: usage.rss,
    resources,
    processListeners: process.eventNames().reduce((n, name) => n + process.listenerCount(name), 0),
  }
}

/** Waits up to `ms` for the resources to come back to `baseline` (sockets take a moment to close). */
async function settle(baseline: Snapshot, ms: number): Promise<Snapshot> {
  const deadline = Date.now() + ms
  for (;;) {
    const now = await snapshot()
    if (sameResources(baseline, now) || Date.now() > deadline) return now
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

function sameResources(a: Snapshot, b: Snapshot): boolean {
  const names = new Set([...Object.keys(a.resources), ...Object.keys(b.resources)])
  for (const name of names) if ((a.resources[name] ?? 0) !== (b.resources[name] ?? 0)) return false
  return a.processListeners === b.processListeners
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`
const failures: string[] = []
function check(ok: boolean, what: string): void {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`)
  if (!ok) failures.push(what)
}

function compare(label: string, baseline: Snapshot, after: Snapshot): void {
  console.log(`\n${label}: baseline → after`)
  console.log(
    `  live memory  ${mb(baseline.memory)} → ${mb(after.memory)} (tolerance +${mb(MEMORY_TOLERANCE_BYTES)})`,
  )
  console.log(
    `  code         ${mb(baseline.code)} → ${mb(after.code)} (not checked: the JIT compiles hot paths)`,
  )
  console.log(
    `  rss          ${mb(baseline.rss)} → ${mb(after.rss)} (not checked: the allocator keeps pages)`,
  )
  console.log(
    `  resources    ${JSON.stringify(baseline.resources)} → ${JSON.stringify(after.resources)}`,
  )
  console.log(`  process listeners ${baseline.processListeners} → ${after.processListeners}`)
  check(sameResources(baseline, after), `${label}: handles, timers and listeners back to baseline`)
  check(
    after.memory <= baseline.memory + MEMORY_TOLERANCE_BYTES,
    `${label}: live memory back within tolerance`,
  )
}

async function main(): Promise<void> {
  console.log(`soak: ${CLIENTS} clients for ${SECONDS} s, ${STREAMS} streams, ${RATE} events/s`)
  // Warm-up with as many clients, on the port the soak then uses: the baseline includes the
  // compiled code and what Node's fetch keeps per origin (a pool object per connection it ever
  // had open at once, about 2 KB each, never released while the origin may come back).
  const warm = await startServer()
  await churn(warm, CLIENTS, 3)
  await warm.close()
  const baseline = await settle(await snapshot(), 5000)

  const server = await startServer(warm.port)
  const started = Date.now()
  const figures = await churn(server, CLIENTS, SECONDS)
  const elapsed = (Date.now() - started) / 1000
  // Every client let go of its connection when its session ended: the server must be empty.
  const drainDeadline = Date.now() + 5000
  while (server.handler.stats().connections > 0 && Date.now() < drainDeadline) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const stats = server.handler.stats()
  const listening = server.store.listening
  const sessions = Object.values(figures.sessions).reduce((a, b) => a + b, 0)
  console.log(`\nchurn: ${elapsed.toFixed(1)} s`)
  console.log(`  sessions     ${sessions} (${JSON.stringify(figures.sessions)})`)
  console.log(
    `  events       ${figures.emitted} emitted, ${figures.deliveries} delivered to clients`,
  )
  console.log(
    `  connections  open at once: mean ${figures.overlap.mean.toFixed(0)}, max ${figures.overlap.max}; server blips ${figures.blips}`,
  )
  console.log(
    `  restarts     ${figures.restarts} streams forgotten while written, ${figures.gaps} gaps told to sessions`,
  )
  console.log(`  server errors ${JSON.stringify(countCodes(server.errors))}`)
  console.log(
    `  after        connections ${stats.connections}, buffered ${stats.bufferedBytes} B, store registrations ${listening}`,
  )
  check(
    figures.violations.length === 0,
    `no client saw a repeat, a reordering or a hole, nor a restart it was not told of (${figures.violations.slice(0, 3).join('; ') || 'none'})`,
  )
  check(figures.restarts === 0 || figures.gaps > 0, 'sessions were told of the restarts')
  check(
    stats.connections === 0 && stats.bufferedBytes === 0,
    'handler: no connection and no buffered byte left',
  )
  check(listening === 0, 'store: no live registration left')
  // Guards against a soak whose clients end up taking turns, not a speed figure. The mean is the
  // sessions' summed open time over the churn: clients that take turns, one after another or a
  // few at a time behind a pool, cannot average more than that few on any CPU, as no instant has
  // more open. Clients that run together average hundreds, fewer when the process gets less CPU
  // (server and clients share it, and a slow connect eats into a session's life): on 2 cores,
  // 351 of 500 with load 2–3 and 238 with load 3–4; a busier machine once gave a sampled peak of
  // only 174, so a mean lower still. The line, a twentieth of the clients (25 of 500), is five
  // times a handful and well under those. The max is shown, not checked: the clients all open at
  // the start, so it comes out near their number (500 of 500) and says nothing of the minute after.
  check(
    figures.overlap.mean >= CLIENTS / 20,
    `clients were really connected at once (${figures.overlap.mean.toFixed(0)} open on average)`,
  )
  await server.close()
  compare('churn', baseline, await settle(baseline, 5000))

  console.log('\nslow consumers: 100 stalled clients, 100 000 events')
  const slow = await runSlowConsumers(FULL_PLAN)
  console.log(`  ${JSON.stringify(slow)}`)
  check(slow.healthyExact, 'the reading client got every event once, in order')
  check(
    slow.cut === FULL_PLAN.stalled && slow.connectionsAfter === 0,
    'every stalled client was ended and released',
  )
  check(
    slow.peakBufferedBytes <= slow.bufferedBound,
    `buffered bytes within the bound (${slow.peakBufferedBytes} ≤ ${slow.bufferedBound})`,
  )
  check(
    (slow.memoryPeak ?? 0) - slow.memoryConnected <= slow.memoryBound,
    `live memory within the configured bounds (+${mb((slow.memoryPeak ?? 0) - slow.memoryConnected)} ≤ ${mb(slow.memoryBound)})`,
  )
  compare('slow consumers', baseline, await settle(baseline, 5000))

  if (failures.length > 0) {
    console.log(`\nsoak FAILED: ${failures.length} check(s)`)
    process.exit(1)
  }
  console.log('\nsoak passed')
  process.exit(0)
}

function countCodes(errors: readonly RunstreamError[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const error of errors) counts[error.code] = (counts[error.code] ?? 0) + 1
  return counts
}

await main()
