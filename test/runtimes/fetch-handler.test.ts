import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { connect } from '../../src/client.js'
import { type CatalogEvent, executionCatalog } from '../../src/index.js'
import { ROOT, type Started, startProcess, stopAll } from '../cli/spawn.js'
import { get } from '../helpers/http.js'
import { type Runtime, requireRuntime } from '../helpers/runtimes.js'
import { pause } from '../helpers/wait.js'

// The Fetch handler, built (dist/), served by Bun.serve, Deno.serve and workerd (the runtime of
// Cloudflare Workers) in their own processes: the same checks as on Node, against each runtime's
// HTTP server and Web streams.

const FIXTURE = 'test/runtimes/fixtures/fetch-server.mjs'
const WORKER = 'test/runtimes/fixtures/worker.mjs'
const bun = requireRuntime('bun', 'test/runtimes/fetch-handler')
const deno = requireRuntime('deno', 'test/runtimes/fetch-handler')
const workerd = requireRuntime('workerd', 'test/runtimes/fetch-handler')

/** One way to serve the fixture. */
interface Server {
  readonly title: string
  readonly runtime: Runtime | undefined
  readonly args: readonly string[]
}

const DENO_RUN = ['run', '--allow-net=127.0.0.1']
const servers: Server[] = [
  { title: `Bun ${bun?.version ?? '(missing)'}`, runtime: bun, args: [FIXTURE] },
  { title: `Deno ${deno?.version ?? '(missing)'}`, runtime: deno, args: [...DENO_RUN, FIXTURE] },
  {
    // Deno's coming default: request.signal aborts only when the response fails.
    title: `Deno ${deno?.version ?? '(missing)'} --unstable-no-legacy-abort`,
    runtime: deno,
    args: [...DENO_RUN, '--unstable-no-legacy-abort', FIXTURE],
  },
  // A Worker that hands every request to one Durable Object serving the app; the config and the
  // bundle are made in `serve`.
  { title: `workerd ${workerd?.version ?? '(missing)'}`, runtime: workerd, args: [] },
]

type Emitted = CatalogEvent<typeof executionCatalog>

/** A short run: text deltas (multi-byte characters and a line break among them), then complete. */
const RUN: readonly Emitted[] = [
  { type: 'workflow_start', data: { workflow_id: 'wf_1', execution_id: 'exec_1' } },
  { type: 'llm_chunk', data: { text: 'Hel' } },
  { type: 'llm_chunk', data: { text: 'lo, wörld ' } },
  { type: 'llm_chunk', data: { text: '✓\nbye' } },
  { type: 'complete', data: { status: 'SUCCESS', output: 'Hello, wörld ✓\nbye' } },
]
const STREAM = 'workflow:exec_1'
const PATH = '/api/v0/executions/workflows/exec_1/stream'

afterEach(stopAll)

// The bundled Worker and its workerd config, made once for the file.
let workerDir: Promise<string> | undefined
afterAll(async () => {
  if (workerDir !== undefined) await rm(await workerDir, { recursive: true, force: true })
})

for (const server of servers) {
  describe.skipIf(server.runtime === undefined)(`createFetchHandler on ${server.title}`, () => {
    it('sends every event of a run once, in order, to the runstream client, with the SSE headers', async () => {
      const { url, child } = await serve(server)
      const raw = await get(url + PATH)
      expect(raw.status).toBe(200)
      expect(raw.headers['content-type']).toBe('text/event-stream; charset=utf-8')
      expect(raw.headers['cache-control']).toBe('no-cache, no-transform')
      const watched = watch(url + PATH)
      await waitForStats(url, (stats) => stats.connections === 2)
      await emit(url, STREAM, RUN)

      expect(await watched).toEqual(RUN.map((event, i) => ({ id: `${i + 1}`, ...event })))
      expect(withoutTimestamps(await raw.end())).toBe(OPENING + frames(RUN, 1))
      expectNoServerErrors(child)
    })

    it('resumes after Last-Event-ID: 2 with the events after it, replayed then live', async () => {
      const { url, child } = await serve(server)
      await emit(url, STREAM, RUN.slice(0, 3))
      const watched = watch(url + PATH, '2')
      await waitForStats(url, (stats) => stats.connections === 1)
      await emit(url, STREAM, RUN.slice(3))
      expect((await watched).map((event) => event.id)).toEqual(['3', '4', '5'])

      // The run is over: the same cursor gets its tail, byte for byte, and the response ends.
      const resumed = await get(url + PATH, { 'last-event-id': '2' })
      expect(resumed.status).toBe(200)
      expect(withoutTimestamps(await resumed.end())).toBe(OPENING + frames(RUN.slice(2), 3))
      expectNoServerErrors(child)
    })

    it('answers a path that is no route with a JSON 404, and a malformed cursor with a 400', async () => {
      const { url } = await serve(server)
      const notFound = await get(`${url}/api/v0/executions/runs/exec_1/stream`)
      expect(notFound.status).toBe(404)
      expect(notFound.headers['content-type']).toBe('application/json; charset=utf-8')
      expect(JSON.parse(await notFound.end())).toEqual({
        status: 404,
        error: {
          code: 'not_found',
          message: 'No stream route matches /api/v0/executions/runs/exec_1/stream.',
        },
      })

      const badCursor = await get(url + PATH, { 'last-event-id': 'two' })
      expect(badCursor.status).toBe(400)
      expect(badCursor.headers['content-type']).toBe('application/json; charset=utf-8')
      expect(JSON.parse(await badCursor.end())).toMatchObject({
        status: 400,
        error: { code: 'invalid_cursor', message: expect.stringContaining('Last-Event-ID') },
      })
    })

    it('notices a client that goes away mid-stream and releases its connection', async () => {
      const { url, child } = await serve(server)
      const raw = await get(url + PATH)
      // The runstream client leaves with `break` after two events; the raw socket is destroyed.
      const left = (async () => {
        let received = 0
        for await (const _ of connect(url + PATH, {
          catalog: executionCatalog,
          reconnect: false,
        })) {
          if (++received === 2) break
        }
      })()
      await waitForStats(url, (stats) => stats.connections === 2)
      await emit(url, STREAM, RUN.slice(0, 3))
      await left
      await raw.until((text) => text.includes('id: 3\n'))
      expect(await waitForStats(url, (stats) => stats.connections === 1)).toEqual({
        connections: 1,
        bufferedBytes: 0,
      })

      raw.destroy()
      expect(await waitForStats(url, (stats) => stats.connections === 0)).toEqual({
        connections: 0,
        bufferedBytes: 0,
      })
      expectNoServerErrors(child)
    })
  })
}

describe.skipIf(bun === undefined)(
  `createFetchHandler on Bun ${bun?.version}: idle timeout`,
  () => {
    it("keeps a quiet stream open past Bun's idleTimeout, which it lifts for stream requests", async () => {
      // Bun ends a request after idleTimeout seconds with nothing sent (10 by default, less than
      // the 15 s heartbeat). Here 2 s, and no heartbeat for a minute.
      const { url, child } = await serve(servers[0] as Server, {
        FIXTURE_IDLE_TIMEOUT: '2',
        FIXTURE_HEARTBEAT_MS: '60000',
      })
      const raw = await get(url + PATH)
      await raw.until((text) => text.includes(': ok\n'))
      // The quiet period the test is about: well past Bun's idle timeout of 2 s.
      await pause(5000)
      await emit(url, STREAM, RUN.slice(0, 1))
      await raw.until((text) => text.includes('id: 1\n'))
      expect(await waitForStats(url, (stats) => stats.connections === 1)).toMatchObject({
        connections: 1,
      })
      expectNoServerErrors(child)
    }, 15_000)
  },
)

/** Starts the fixture on `server`'s runtime and waits for its URL. */
async function serve(
  server: Server,
  env: Record<string, string> = {},
): Promise<{ url: string; child: Started }> {
  if (!existsSync(join(ROOT, 'dist/server.js'))) {
    throw new Error('The fixture serves the built package: run `npm run build` first.')
  }
  const runtime = server.runtime as Runtime
  if (runtime.name === 'workerd') {
    workerDir ??= prepareWorker()
    const config = join(await workerDir, 'config.capnp')
    // --control-fd=1: workerd tells the port it took on stdout; --verbose: console.* to stderr.
    const child = startProcess(
      runtime.path,
      ['serve', config, '--control-fd=1', '--verbose'],
      env,
      server.title,
    )
    const [, port] = (await child.waitFor(/"event":"listen","socket":"http","port":(\d+)/, {
      stream: 'stdout',
    })) as RegExpMatchArray
    return { url: `http://127.0.0.1:${port}`, child }
  }
  const child = startProcess(
    runtime.path,
    server.args,
    { DENO_NO_UPDATE_CHECK: '1', ...env },
    server.title,
  )
  const [, url] = (await child.waitFor(/listening (http:\/\/127\.0\.0\.1:\d+)/, {
    stream: 'stdout',
  })) as RegExpMatchArray
  return { url: url as string, child }
}

/**
 * Bundles the Worker fixture into one module (workerd resolves no bare imports, and the built
 * package imports zod) and writes a workerd config that serves it on 127.0.0.1, port 0, with
 * its Durable Object kept in memory.
 */
async function prepareWorker(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'runstream-workerd-'))
  await build({
    entryPoints: [join(ROOT, WORKER)],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    outfile: join(dir, 'worker.mjs'),
    logLevel: 'silent',
  })
  await writeFile(
    join(dir, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ (name = "worker.mjs", esModule = embed "worker.mjs") ],
  compatibilityDate = "2026-11-01",
  durableObjectNamespaces = [ (className = "Streams", uniqueKey = "runstream-test-streams") ],
  durableObjectStorage = (inMemory = void),
  bindings = [ (name = "STREAMS", durableObjectNamespace = "Streams") ],
);
`,
  )
  return dir
}

/** Emits `events` on `stream` in the fixture's process; resolves once they are stored. */
async function emit(url: string, stream: string, events: readonly Emitted[]): Promise<void> {
  const response = await fetch(`${url}/_emit`, {
    method: 'POST',
    body: JSON.stringify({ stream, events }),
  })
  expect(response.status).toBe(204)
}

/** Watches a stream with the runstream client to its end. */
async function watch(
  url: string,
  lastEventId?: string,
): Promise<{ id: string; type: string; data: unknown }[]> {
  const events: { id: string; type: string; data: unknown }[] = []
  const options = lastEventId === undefined ? {} : { lastEventId }
  for await (const event of connect(url, {
    catalog: executionCatalog,
    reconnect: false,
    ...options,
  })) {
    events.push({ id: event.id, type: event.type, data: event.data })
  }
  return events
}

interface Stats {
  connections: number
  bufferedBytes: number
}

/** Polls the fixture's `handler.stats()` until `predicate` holds; rejects after `timeoutMs`. */
async function waitForStats(
  url: string,
  predicate: (stats: Stats) => boolean,
  timeoutMs = 10_000,
): Promise<Stats> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const stats = JSON.parse(await (await get(`${url}/_stats`)).end()) as Stats
    if (predicate(stats)) return stats
    if (Date.now() > deadline) {
      throw new Error(`handler.stats() is still ${JSON.stringify(stats)} after ${timeoutMs} ms`)
    }
    await pause(20)
  }
}

/** What the manager or the handler reported to `onError`: nothing, in every test here. */
function expectNoServerErrors(child: Started): void {
  expect(child.stderr()).not.toContain('runstream onError')
}

/** The first bytes of every stream: the default `retry` and the opening comment. */
const OPENING = 'retry: 2000\n: ok\n\n'

/**
 * The exact frames of `events`, numbered from `firstId`, in payload framing (the default), after
 * the epoch frame that precedes a response's first event (its epoch shown as `<epoch>`).
 */
function frames(events: readonly Emitted[], firstId: number): string {
  return (
    `id: <epoch>.${firstId - 1}\n\n` +
    events
      .map(
        ({ type, data }, i) =>
          `id: ${firstId + i}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`,
      )
      .join('')
  )
}

/**
 * The wire text with every envelope's `ts` replaced by `<ts>` and every epoch of an epoch frame by
 * `<epoch>` (both checked for their form).
 */
function withoutTimestamps(text: string): string {
  return text
    .replace(/"ts":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"/g, '"ts":"<ts>"')
    .replace(/^id: [a-z][0-9a-z]{9}\.(\d+)$/gm, 'id: <epoch>.$1')
}
