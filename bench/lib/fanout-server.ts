/**
 * The server side of bench/fanout.ts, one process per variant so that each starts from a fresh
 * heap: serves N clients on 127.0.0.1, measures the memory of idle connections, then emits the
 * events in bursts and reports when it started.
 *
 * IPC in: { type: 'start', variant, events, eventBytes, burst }, { type: 'measure' },
 * { type: 'emit' }, { type: 'cpu' }. Out: { type: 'listening', port, path }, { type: 'memory', … },
 * { type: 'emitted', startedAt }, { type: 'cpu', cpuMs } (CPU time used since the emit began).
 */
import http from 'node:http'
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createChannel, createSession } from 'better-sse'
import { createStreamManager, executionCatalog } from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'
import { createFetchHandler } from '../../src/server.js'

/** The servers compared. */
export type Variant =
  | 'runstream-node'
  | 'runstream-fetch'
  | 'better-sse'
  | 'raw-per-event'
  | 'raw-batched'

interface Start {
  type: 'start'
  variant: Variant
  events: number
  eventBytes: number
  burst: number
}

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const PATH = '/api/v0/executions/workflows/bench/stream'
const OPENING = Buffer.from('retry: 2000\n: ok\n\n')
const HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
}

let emitter: (() => void) | undefined
let baseline: NodeJS.MemoryUsage | undefined
let youngBaseline = 0
// The CPU this process had used when the events started: what it used since is the server's cost.
let cpuAtEmit: NodeJS.CpuUsage | undefined

process.on('message', (message: Start | { type: 'measure' | 'emit' | 'cpu' | 'exit' }) => {
  if (message.type === 'start') void start(message)
  else if (message.type === 'measure') measure()
  else if (message.type === 'emit') {
    cpuAtEmit = process.cpuUsage()
    emitter?.()
  } else if (message.type === 'cpu') {
    const cpu = process.cpuUsage(cpuAtEmit)
    process.send?.({ type: 'cpu', cpuMs: (cpu.user + cpu.system) / 1000 })
  } else if (message.type === 'exit') process.exit(0)
})

async function start(options: Start): Promise<void> {
  const { variant, events, burst } = options
  const text = 'x'.repeat(Math.max(1, options.eventBytes - 110))
  const envelopes = Array.from({ length: events }, (_, i) =>
    JSON.stringify({
      id: String(i + 1),
      type: i === events - 1 ? 'complete' : 'llm_chunk',
      stream: 'workflow:bench',
      ts: new Date().toISOString(),
      data: i === events - 1 ? { status: 'SUCCESS' } : { text },
    }),
  )
  const frames = envelopes.map((json, i) =>
    Buffer.from(
      `id: ${i + 1}\nevent: ${i === events - 1 ? 'complete' : 'llm_chunk'}\ndata: ${json}\n\n`,
    ),
  )
  const responses: http.ServerResponse[] = []
  let handle: http.RequestListener

  if (variant === 'runstream-node' || variant === 'runstream-fetch') {
    const manager = createStreamManager({ catalog: executionCatalog })
    // Envelopes in data:, as the peers below send them: every server writes the same bytes.
    const settings = { heartbeatMs: 600_000, framing: 'envelope' } as const
    handle =
      variant === 'runstream-node'
        ? createNodeHandler(manager, settings)
        : fetchAdapter(createFetchHandler(manager, settings))
    const stream = manager.stream('workflow:bench')
    emitter = () =>
      paced(events, burst, (i) => {
        if (i === events - 1) stream.emit('complete', { status: 'SUCCESS' })
        else stream.emit('llm_chunk', { text })
      })
  } else if (variant === 'better-sse') {
    const channel = createChannel()
    handle = (req, res) => {
      void createSession(req, res, {
        keepAlive: null,
        retry: 2000,
        // The envelope JSON is sent as it is, as runstream does.
        serializer: (data) => data as string,
      }).then((session) => {
        channel.register(session)
      })
    }
    emitter = () =>
      paced(events, burst, (i) => {
        channel.broadcast(envelopes[i], i === events - 1 ? 'complete' : 'llm_chunk', {
          eventId: String(i + 1),
        })
      })
  } else {
    handle = (_req, res) => {
      res.writeHead(200, HEADERS)
      res.write(OPENING)
      responses.push(res)
    }
    emitter =
      variant === 'raw-per-event'
        ? () =>
            paced(events, burst, (i) => {
              const frame = frames[i] as Buffer
              for (const res of responses) res.write(frame)
            })
        : () => {
            // Each burst is joined once and written to every client in one call.
            let i = 0
            const startedAt = process.hrtime.bigint()
            const step = () => {
              const batch = Buffer.concat(frames.slice(i, i + burst))
              for (const res of responses) res.write(batch)
              i += burst
              if (i < events) setImmediate(step)
            }
            step()
            process.send?.({ type: 'emitted', startedAt: String(startedAt) })
          }
  }

  const server = http.createServer(handle)
  server.keepAliveTimeout = 0
  server.listen(0, '127.0.0.1', () => {
    gc()
    baseline = process.memoryUsage()
    youngBaseline = youngBytes()
    const address = server.address() as { port: number }
    process.send?.({ type: 'listening', port: address.port, path: PATH })
  })
}

function paced(events: number, burst: number, emit: (i: number) => void): void {
  let i = 0
  const startedAt = process.hrtime.bigint()
  const step = () => {
    const end = Math.min(events, i + burst)
    for (; i < end; i++) emit(i)
    if (i < events) setImmediate(step)
  }
  step()
  process.send?.({ type: 'emitted', startedAt: String(startedAt) })
}

function measure(): void {
  gc()
  gc()
  const now = process.memoryUsage()
  const before = baseline as NodeJS.MemoryUsage
  process.send?.({
    type: 'memory',
    heapBytes: now.heapUsed + now.external - (before.heapUsed + before.external),
    rssBytes: now.rss - before.rss,
    youngBytes: youngBytes() - youngBaseline,
  })
}

/**
 * The resident size of V8's young generation. V8 grows it while many objects survive its
 * collections (as when thousands of clients connect), up to a cap, and then keeps it: a cost the
 * process pays once, which RSS counts and the heap's used bytes do not.
 */
function youngBytes(): number {
  let bytes = 0
  for (const space of getHeapSpaceStatistics()) {
    if (space.space_name === 'new_space' || space.space_name === 'new_large_object_space')
      bytes += space.physical_space_size
  }
  return bytes
}

// The Web path measured on its own: the Fetch handler's ReadableStream body, pumped into the
// Node response with drain, as a minimal adapter (such as @hono/node-server) does.
function fetchAdapter(handler: (request: Request) => Promise<Response>): http.RequestListener {
  return (req, res) => {
    const controller = new AbortController()
    res.on('close', () => controller.abort())
    const request = new Request(`http://127.0.0.1${req.url ?? '/'}`, {
      method: req.method ?? 'GET',
      headers: req.headers as Record<string, string>,
      signal: controller.signal,
    })
    void handler(request).then(async (response) => {
      res.writeHead(response.status, Object.fromEntries(response.headers))
      res.flushHeaders()
      if (response.body === null) return void res.end()
      const reader = response.body.getReader()
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        if (!res.write(value)) await new Promise((resolve) => res.once('drain', resolve))
      }
      res.end()
    })
  }
}
