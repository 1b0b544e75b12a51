import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { RunstreamError } from '../core/errors.js'
import { createStreamManager, type Run } from '../core/manager.js'
import { memoryStore } from '../core/memory-store.js'
import type { EventStore } from '../core/store.js'
import { createNodeHandler } from '../node/handler.js'
import { listen } from '../node/listen.js'
import { jsonError } from '../server/http-errors.js'
import { loadPageAssets, type PageAssets } from './assets.js'
import { type DemoCatalog, demoCatalog } from './catalog.js'
import { type RunOutcome, runSimulation } from './simulation.js'

/** Options of {@link startDemoServer}. */
export interface DemoServerOptions {
  /**
   * The port. When it is taken and `strictPort` is off, a free port is used instead.
   * @defaultValue 4400
   */
  port?: number
  /** Fail when `port` is taken instead of picking a free one. @defaultValue false */
  strictPort?: boolean
  /**
   * The interface to listen on. The default keeps the demo to this machine.
   * @defaultValue `'127.0.0.1'`
   */
  host?: string
  /** Where events are kept. @defaultValue `memoryStore()` */
  store?: EventStore
  /**
   * Multiplies every pause of the simulated runs and between them: `1` plays a run in about
   * 25 seconds; tests use `0.02`.
   * @defaultValue 1
   */
  pace?: number
  /**
   * The pause between the end of one automatic run and the start of the next, in ms (before
   * `pace`).
   * @defaultValue 5000
   */
  intervalMs?: number
  /**
   * The share of automatic runs that fail with an `error` event, 0 to 1.
   * @defaultValue 0.25
   */
  failRate?: number
  /** Start a run now and another after each ends. Off: runs start only on request. @defaultValue true */
  autoRun?: boolean
  /**
   * How many runs may play at once; a request that starts one gets a 429 past it.
   * @defaultValue 4
   */
  maxActiveRuns?: number
  /** Passed to the stream handler: the heartbeat interval, in ms. @defaultValue 15_000 */
  heartbeatMs?: number
  /** The random source of chunk sizes, pauses and failures. @defaultValue `Math.random` */
  random?: () => number
  /** Receives one line per run started and ended. @defaultValue silent */
  log?: (line: string) => void
  /** Receives the manager's and the handler's failures. @defaultValue `console.error` */
  onError?: (error: RunstreamError) => void
}

/** A running demo server. */
export interface DemoServer {
  /** Where the page is, such as `http://127.0.0.1:4400`. */
  readonly url: string
  /** The newest run's execution id, once one has started. */
  readonly currentRunId: string | undefined
  /**
   * Starts a run now (`manager.startRun`), next to any that are playing. Returns its execution
   * id, or `undefined` when `maxActiveRuns` runs are already playing.
   */
  startRun(options?: { fail?: boolean }): string | undefined
  /** Resolves with how the run ended; rejects for an id this server did not start. */
  finished(id: string): Promise<RunOutcome>
  /** Cuts every open event stream, as a network drop would. Returns how many were cut. */
  dropConnections(): number
  /** Cancels the runs, ends the streams, and stops listening. */
  close(): Promise<void>
}

/**
 * Starts the demo: an HTTP server with the page at `/`, the SSE routes under `/api/v0`, and a
 * simulated agent orchestration that plays runs into it.
 *
 * | route | what |
 * | --- | --- |
 * | `GET /` | the page, `/app.js` and `/style.css` |
 * | `GET /api/v0/executions/{workflows,tasks}/:id/stream` | the runs' events (runstream's Node handler) |
 * | `POST /api/v0/executions/workflows` | starts a run (body `{ "fail"?: boolean }`) and streams it, with its `Location`; 429 past `maxActiveRuns` |
 * | `POST /api/v0/executions/workflows/:id/cancel` | cancels a run: `202`, its stream ends with `error` `CANCELED` |
 * | `GET /demo/runs/current` | `{ "id": "<newest execution id>" \| null }` |
 * | `POST /demo/runs` | starts a run (`?fail=true` to make it fail): `201 { "id" }`, or 429 |
 * | `POST /demo/drop` | cuts every open event stream: `{ "dropped": n }` |
 */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const pace = options.pace ?? 1
  const intervalMs = options.intervalMs ?? 5000
  const failRate = options.failRate ?? 0.25
  const maxActiveRuns = options.maxActiveRuns ?? 4
  const random = options.random ?? Math.random
  const log = options.log ?? (() => {})
  if (!(failRate >= 0 && failRate <= 1)) {
    throw new TypeError(`startDemoServer: \`failRate\` must be between 0 and 1, got ${failRate}.`)
  }
  const assets = await loadPageAssets()
  const store = options.store ?? memoryStore()
  const errorOption = options.onError === undefined ? {} : { onError: options.onError }
  const manager = createStreamManager({ catalog: demoCatalog, store, ...errorOption })
  const handler = createNodeHandler(manager, {
    ...errorOption,
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
    // POST /api/v0/executions/workflows: the page's "New run" starts one and streams it at once.
    start: (run) => {
      const { fail } = (run.input ?? {}) as { fail?: unknown }
      return play(run, typeof fail === 'boolean' ? fail : random() < failRate)
    },
    // Asked before a run starts: past maxActiveRuns, the page gets a 429 it can show.
    authorize: (request) =>
      request.method !== 'POST' ||
      request.url.endsWith('/cancel') ||
      active.size < maxActiveRuns ||
      jsonError(
        429,
        'too_many_runs',
        `${maxActiveRuns} runs are already playing; wait for one to end.`,
      ),
  })
  const stopping = new AbortController()
  const runs = new Map<string, Promise<RunOutcome>>()
  const active = new Set<string>()
  const streams = new Set<Socket>()
  let currentRunId: string | undefined
  let counter = 0
  let scheduler: Promise<void> | undefined

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(error) })
      else res.destroy()
    })
  })
  const url = await listen(server, {
    port: options.port ?? 4400,
    host: options.host ?? '127.0.0.1',
    fallback: options.strictPort !== true,
  })
  if (options.autoRun !== false) scheduler = autoRun()

  return {
    url,
    get currentRunId() {
      return currentRunId
    },
    startRun,
    finished(id) {
      return runs.get(id) ?? Promise.reject(new Error(`No demo run "${id}".`))
    },
    dropConnections,
    async close() {
      stopping.abort()
      await Promise.allSettled([scheduler, ...runs.values()])
      handler.close()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await manager.close()
      await store.close?.()
    },
  }

  function startRun(runOptions: { fail?: boolean } = {}): string | undefined {
    if (stopping.signal.aborted || active.size >= maxActiveRuns) return undefined
    counter++
    const id = `exec_${Date.now().toString(36)}_${counter}`
    const fail = runOptions.fail ?? random() < failRate
    // Held from now, so a second call sees it before the run is claimed.
    active.add(id)
    currentRunId = id
    const run = manager.startRun('workflow', { id }).then(
      (started) => play(started, fail),
      (error: unknown) => {
        active.delete(id)
        throw error
      },
    )
    track(id, run)
    return id
  }

  /** Plays the simulation into a started run, until it ends or is cancelled. */
  function play(run: Run<DemoCatalog>, fail: boolean): Promise<RunOutcome> {
    const id = run.id
    currentRunId = id
    active.add(id)
    log(`run ${id} started${fail ? ' (this one will fail)' : ''}`)
    const started = Date.now()
    const outcome = runSimulation({
      manager,
      executionId: id,
      fail,
      pace,
      random,
      // Its stop button (a cancel from any process), or the demo server stopping.
      signal: AbortSignal.any([run.signal, stopping.signal]),
    }).finally(() => active.delete(id))
    track(id, outcome)
    void outcome.then(
      (how) => log(`run ${id} ${how} in ${((Date.now() - started) / 1000).toFixed(1)} s`),
      (error: unknown) => log(`run ${id} crashed: ${String(error)}`),
    )
    return outcome
  }

  function track(id: string, outcome: Promise<RunOutcome>): void {
    runs.set(id, outcome)
    // Keep the outcomes of the last few runs only: the map must not grow with the server's age.
    if (runs.size > 20) runs.delete(runs.keys().next().value as string)
  }

  async function autoRun(): Promise<void> {
    while (!stopping.signal.aborted) {
      const id = startRun()
      if (id !== undefined) await runs.get(id)
      await sleep(intervalMs * pace)
    }
  }

  function dropConnections(): number {
    const count = streams.size
    for (const socket of streams) socket.destroy()
    streams.clear()
    return count
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://demo').pathname
    const method = req.method ?? 'GET'
    if (path.startsWith('/api/')) {
      const socket = req.socket
      streams.add(socket)
      res.once('close', () => streams.delete(socket))
      return handler(req, res)
    }
    if (method === 'GET' && (path === '/' || path === '/index.html')) {
      return sendAsset(res, assets, 'html')
    }
    if (method === 'GET' && path === '/app.js') return sendAsset(res, assets, 'js')
    if (method === 'GET' && path === '/style.css') return sendAsset(res, assets, 'css')
    if (method === 'GET' && path === '/demo/runs/current') {
      return sendJson(res, 200, { id: currentRunId ?? null })
    }
    if (method === 'POST' && path === '/demo/runs') {
      const fail = new URL(req.url ?? '/', 'http://demo').searchParams.get('fail')
      const id = startRun(fail === null ? {} : { fail: fail === 'true' || fail === '1' })
      if (id === undefined) {
        return sendJson(res, 429, {
          error: `${maxActiveRuns} runs are already playing; wait for one to end.`,
        })
      }
      return sendJson(res, 201, { id })
    }
    if (method === 'POST' && path === '/demo/drop') {
      return sendJson(res, 200, { dropped: dropConnections() })
    }
    sendJson(res, 404, { error: `Nothing at ${method} ${path}. The page is at /.` })
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      stopping.signal.addEventListener('abort', done, { once: true })
      function done() {
        clearTimeout(timer)
        stopping.signal.removeEventListener('abort', done)
        resolve()
      }
    })
  }
}

const CONTENT_TYPES = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
} as const

function sendAsset(res: ServerResponse, assets: PageAssets, kind: keyof typeof CONTENT_TYPES) {
  res.writeHead(200, { 'content-type': CONTENT_TYPES[kind], 'cache-control': 'no-store' })
  res.end(assets[kind])
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  })
  res.end(JSON.stringify(body))
}
