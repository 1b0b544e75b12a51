import { afterEach, describe, expect, it } from 'vitest'
import {
  createStreamManager,
  type EventStore,
  executionCatalog,
  memoryStore,
  type RunstreamError,
  type StoreListener,
} from '../../src/index.js'
import type { HandlerOptions } from '../../src/node.js'
import { createFetchHandler } from '../../src/server.js'
import { type Runstream, startRunstream } from '../reliability/harness.js'
import { rawGet } from './raw-http.js'

// Every place a server-side failure can happen, on both handlers: the client gets a fixed
// message (a JSON error or a runstream.error frame), never the internal message or a stack, and
// the failure itself goes to onError for the operators.

const SECRET = 'password=hunter2 at redis://admin@10.0.0.7 in /srv/internal/db.ts:42:7'

/** Fails the way an internal error does: with the secret as message and a real stack. */
function internalError(): Error {
  return new Error(SECRET)
}

type FailurePoint =
  | 'read-for-cursor'
  | 'replay-first-page'
  | 'replay-later-page'
  | 'listen-rejects'
  | 'listen-throws'
  | 'live-breaks'

/** A memory store that fails at one point; `breakLive()` ends every live registration. */
function failingStore(point: FailurePoint | undefined) {
  const inner = memoryStore({ maxEventsPerStream: 5000 })
  const live = new Set<StoreListener>()
  let reads = 0
  const store: EventStore & { breakLive(): void } = {
    append: (draft) => inner.append(draft),
    read(stream, options) {
      reads++
      // The handler reads once for a cursor (limit 1); a replay reads pages.
      if (point === 'read-for-cursor' && options?.limit === 1) throw internalError()
      if (point === 'replay-first-page' && options?.limit !== 1) throw internalError()
      if (
        point === 'replay-later-page' &&
        options?.limit !== 1 &&
        options?.lastEventId !== undefined
      )
        return Promise.reject(internalError())
      return inner.read(stream, options)
    },
    listen(stream, listener) {
      if (point === 'listen-throws') throw internalError()
      if (point === 'listen-rejects') return Promise.reject(internalError())
      live.add(listener)
      const stop = inner.listen(stream, listener)
      return () => {
        live.delete(listener)
        stop()
      }
    },
    breakLive() {
      for (const listener of [...live]) {
        live.delete(listener)
        listener.error?.(internalError())
      }
    },
  }
  return { store, reads: () => reads }
}

interface Scenario {
  name: string
  point?: FailurePoint
  options?: HandlerOptions
  /** Request headers. */
  headers?: Record<string, string>
  /** Events in the stream before the request. */
  events?: number
}

const SCENARIOS: Scenario[] = [
  { name: 'authorize throws', options: { authorize: () => Promise.reject(internalError()) } },
  {
    name: 'authorize rejects with a plain object',
    // biome-ignore lint/suspicious/noExplicitAny: a hook written in plain JavaScript
    options: { authorize: (() => Promise.reject({ message: SECRET, stack: SECRET })) as any },
  },
  {
    name: 'streamExists throws',
    options: {
      streamExists: () => {
        throw internalError()
      },
    },
  },
  {
    name: 'clientKey throws',
    options: {
      maxConnectionsPerClient: 5,
      clientKey: () => {
        throw internalError()
      },
    },
  },
  {
    name: 'the store fails the cursor read',
    point: 'read-for-cursor',
    headers: { 'Last-Event-ID': '1' },
    events: 3,
  },
  { name: 'the store fails the first replay page', point: 'replay-first-page', events: 3 },
  { name: 'the store fails a later replay page', point: 'replay-later-page', events: 1500 },
  { name: 'the store rejects a live registration', point: 'listen-rejects' },
  { name: 'the store throws on a live registration', point: 'listen-throws' },
  { name: 'live delivery breaks mid-stream', point: 'live-breaks', events: 2 },
]

/** What must never reach a client: the message, its parts, a stack frame, a file path. */
function expectNothingInternal(text: string): void {
  expect(text).not.toContain('hunter2')
  expect(text).not.toContain('10.0.0.7')
  expect(text).not.toContain('/srv/internal')
  expect(text).not.toContain(process.cwd())
  expect(text).not.toMatch(/\bat .+:\d+:\d+/)
  expect(text).not.toMatch(/\b(Type|Range|Reference)?Error:/)
}

let runstream: Runstream | undefined
afterEach(async () => {
  await runstream?.close()
  runstream = undefined
})

describe('no internal message or stack reaches a client', () => {
  it.each(SCENARIOS)('Node handler: $name', async (scenario) => {
    const { store } = failingStore(scenario.point)
    runstream = await startRunstream({ store, heartbeatMs: 60_000, ...scenario.options })
    const producer = runstream.manager.stream('workflow:w1')
    for (let n = 1; n <= (scenario.events ?? 0); n++) producer.emit('llm_chunk', { text: `${n}` })
    const answer = await rawGet(
      runstream.url,
      '/api/v0/executions/workflows/w1/stream',
      scenario.headers,
      {
        timeoutMs: 10_000,
        done: (raw) => {
          if (scenario.point === 'live-breaks' && raw.includes('id: 2\n')) store.breakLive()
          return raw.includes('runstream.error') && raw.endsWith('\n\n')
        },
      },
    )
    expectNothingInternal(answer.raw)
    expect(answer.status === 200 ? answer.raw : answer.status).toSatisfy(
      (outcome: string | number) =>
        typeof outcome === 'number' ? outcome >= 500 : outcome.includes('event: runstream.error'),
    )
    // The operators do get the real failure.
    expect(runstream.errors.some((error) => causeOf(error).includes('hunter2'))).toBe(true)
  })

  it.each(SCENARIOS)('Fetch handler: $name', async (scenario) => {
    const { store } = failingStore(scenario.point)
    const errors: RunstreamError[] = []
    const manager = createStreamManager({
      catalog: executionCatalog,
      store,
      onError: () => undefined,
    })
    const handler = createFetchHandler(manager, {
      heartbeatMs: 60_000,
      onError: (error) => errors.push(error),
      ...scenario.options,
    })
    const producer = manager.stream('workflow:w1')
    for (let n = 1; n <= (scenario.events ?? 0); n++) producer.emit('llm_chunk', { text: `${n}` })
    const response = await handler(
      new Request('http://127.0.0.1/api/v0/executions/workflows/w1/stream', {
        headers: scenario.headers ?? {},
      }),
    )
    let text = [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n')
    if (response.body !== null) {
      const reader = response.body.getReader()
      const decoder = new TextDecoder()
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        text += decoder.decode(value, { stream: true })
        if (scenario.point === 'live-breaks' && text.includes('id: 2\n')) store.breakLive()
      }
    }
    expectNothingInternal(text)
    expect(response.status === 200 ? text : response.status).toSatisfy(
      (outcome: string | number) =>
        typeof outcome === 'number' ? outcome >= 500 : outcome.includes('event: runstream.error'),
    )
    expect(errors.some((error) => causeOf(error).includes('hunter2'))).toBe(true)
    handler.close()
  })
})

/** The message of an error and of its causes, where the secret is kept for the operators. */
function causeOf(error: unknown): string {
  let text = ''
  for (let at = error, depth = 0; at instanceof Object && depth < 5; depth++) {
    text += ` ${String((at as { message?: unknown }).message)}`
    at = (at as { cause?: unknown }).cause
  }
  return text
}
