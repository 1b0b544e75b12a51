import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import * as z from 'zod/mini'
import { executionCatalog } from '../catalogs/execution.js'
import { orchestrationCatalog } from '../catalogs/orchestration.js'
import { defineCatalog } from '../core/catalog.js'
import { createStreamManager } from '../core/manager.js'
import { memoryStore } from '../core/memory-store.js'
import { createNodeHandler } from '../node/handler.js'
import { listen } from '../node/listen.js'
import type { SseFraming } from '../server/options.js'
import { parseCommandArgs, parseNumber, usage } from './args.js'
import { SERVE_HELP } from './help.js'
import { CliError, type CliIo, EXIT, paint } from './io.js'
import { parseRecording, type Recording } from './recording.js'

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  realtime: { type: 'boolean' },
  speed: { type: 'string' },
  framing: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

const FRAMINGS: readonly SseFraming[] = ['payload', 'envelope']

const BUILT_IN_NAMES: readonly string[] = [...executionCatalog.names, ...orchestrationCatalog.names]
const TERMINAL: ReadonlySet<string> = new Set<string>(executionCatalog.terminal)
const KINDS: Readonly<Record<string, string>> = {
  workflow: 'workflows',
  agent: 'agents',
  task: 'tasks',
}
// Past this the store holds the whole log anyway; the bound only says "never forget it".
const FOREVER_MS = Number.MAX_SAFE_INTEGER

/**
 * `runstream serve <file.jsonl>`: serves a recorded log on runstream's stream routes until
 * stopped, and returns the exit code.
 */
export async function serve(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('serve', argv, OPTIONS, {
    min: 1,
    max: 1,
    usage: 'the JSON-lines file to serve',
  })
  if (values.help === true) {
    io.stdout(SERVE_HELP)
    return EXIT.ok
  }
  const file = positionals[0] as string
  const explicitPort = values.port ?? io.env.PORT
  const port =
    explicitPort === undefined
      ? 4401
      : parseNumber('serve', 'port', explicitPort, { min: 0, max: 65_535, integer: true })
  const framing = (values.framing ?? 'payload') as SseFraming
  if (!FRAMINGS.includes(framing)) {
    throw usage(
      'serve',
      `--framing must be "payload" (the payload alone in data:) or "envelope" (the recorded envelopes, ts included), got "${values.framing}"`,
    )
  }
  const speed =
    values.speed !== undefined
      ? parseNumber('serve', 'speed', values.speed, { min: 0.001, max: 1_000_000 })
      : values.realtime === true
        ? 1
        : undefined

  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw usage(
      'serve',
      code === 'ENOENT'
        ? `no such file: ${file}`
        : `cannot read ${file} (${code ?? String(error)})`,
    )
  }
  const recording = parseRecording(text, (type) => TERMINAL.has(type))
  if (recording.events.length === 0) {
    throw usage(
      'serve',
      `${file} holds no runstream envelopes (one JSON object per line, as the stdout transport writes)`,
    )
  }
  const p = paint(io.color)
  if (recording.skipped.count > 0) {
    io.stderr(
      `${p.yellow('!')} skipped ${recording.skipped.count} line(s) that are not envelopes (the first is line ${recording.skipped.firstLine})\n`,
    )
  }

  const largest = Math.max(...recording.streams.values())
  const store = memoryStore({
    maxEventsPerStream: largest,
    // The recording is in memory already: the store keeps all of it, whatever its size.
    maxBytesPerStream: Number.MAX_SAFE_INTEGER,
    maxBytes: Number.MAX_SAFE_INTEGER,
    maxStreams: recording.streams.size + 1,
    finishedTtlMs: FOREVER_MS,
    idleTtlMs: FOREVER_MS,
  })
  const manager = createStreamManager({ catalog: catalogFor(recording), store })
  const handler = createNodeHandler(manager, {
    framing,
    onError: (error) => io.stderr(`${p.red('!')} ${error.code}: ${error.message}\n`),
  })
  const server = createServer((req, res) => void handler(req, res))
  let url: string
  try {
    url = await listen(server, {
      port,
      host: values.host ?? '127.0.0.1',
      fallback: explicitPort === undefined,
    })
  } catch (error) {
    throw new CliError(EXIT.unreachable, `runstream serve: ${(error as Error).message}`, {
      cause: error,
    })
  }

  io.stdout(
    `Serving ${recording.events.length} events of ${recording.streams.size} stream(s) from ${file} at ${url}\n`,
  )
  for (const [name, count] of recording.streams) {
    const route = routeOf(name)
    io.stdout(
      route === undefined
        ? `  ${name}  (${count} events; not on a route: stream names must be workflow:, agent: or task:<id>)\n`
        : `  ${url}${route}  (${count} events)\n`,
    )
  }
  io.stdout(
    speed === undefined
      ? 'Press Ctrl-C to stop.\n'
      : `Replaying at ${speed}× the recorded pace. Press Ctrl-C to stop.\n`,
  )

  const replay = load(recording, store.append, speed, io.signal).then(
    () => {
      if (speed !== undefined && !io.signal.aborted) io.stderr(`${p.green('✓')} replay finished\n`)
    },
    (error: unknown) => io.stderr(`${p.red('!')} replay failed: ${String(error)}\n`),
  )
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve()
    else io.signal.addEventListener('abort', () => resolve(), { once: true })
  })
  await replay
  handler.close()
  await new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
  await manager.close()
  return EXIT.ok
}

// Appends the events in order: all at once, or spaced as recorded, `speed` times faster.
async function load(
  recording: Recording,
  append: (draft: RecordedEventDraft) => { envelope: { id: string } },
  speed: number | undefined,
  signal: AbortSignal,
): Promise<void> {
  const start = Date.now()
  const first = recording.events[0]?.at ?? Number.NaN
  for (const event of recording.events) {
    if (signal.aborted) return
    if (speed !== undefined && Number.isFinite(event.at) && Number.isFinite(first)) {
      const due = start + (event.at - first) / speed
      const wait = due - Date.now()
      if (wait > 0) await sleep(wait, signal)
      if (signal.aborted) return
    }
    const record = append(event.draft)
    if (record.envelope.id !== event.id) {
      // parseRecording checked the ids; a different one means the store is not fresh.
      throw new Error(
        `The replay store gave id ${record.envelope.id} to recorded event ${event.id}.`,
      )
    }
  }
}

type RecordedEventDraft = Recording['events'][number]['draft']

// Every built-in event and every type in the log, with any payload: a log is served as it was
// written, and `?events=` accepts the names it holds.
function catalogFor(recording: Recording) {
  const names = new Set([...BUILT_IN_NAMES, ...recording.events.map((e) => e.draft.type)])
  const schemas = Object.fromEntries([...names].map((name) => [name, z.unknown()]))
  return defineCatalog(schemas, { terminal: [...TERMINAL].filter((name) => names.has(name)) })
}

function routeOf(stream: string): string | undefined {
  const colon = stream.indexOf(':')
  const plural = colon > 0 ? KINDS[stream.slice(0, colon)] : undefined
  if (plural === undefined) return undefined
  return `/api/v0/executions/${plural}/${encodeURIComponent(stream.slice(colon + 1))}/stream`
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}
