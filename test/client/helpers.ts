import type { ErrorInfo, FetchLike, RunstreamError, StreamSubscription } from '../../src/client.js'
import type { AnyCatalog } from '../../src/core/catalog.js'
import { waitFor } from '../helpers/wait.js'

const encoder = new TextEncoder()

/** The SSE frame of a runstream envelope, as the server writes it. */
export function frame(
  id: number | string,
  type: string,
  data: unknown,
  stream = 'workflow:w1',
): string {
  const json = JSON.stringify({
    id: String(id),
    type,
    stream,
    ts: '2026-01-01T00:00:00.000Z',
    data,
  })
  return `id: ${id}\nevent: ${type}\ndata: ${json}\n\n`
}

/** What a runstream server sends before any event. */
export const PREAMBLE = 'retry: 10\n: ok\n\n'

/** A byte stream the test writes to by hand: chunks, a clean end, or a failure. */
export interface Pipe {
  readonly stream: ReadableStream<Uint8Array>
  write(chunk: string | Uint8Array): void
  end(): void
  fail(error?: unknown): void
  /** Resolves when the reader cancelled the stream (the client let go of it). */
  readonly cancelled: Promise<void>
}

export function pipe(): Pipe {
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let onCancel!: () => void
  const cancelled = new Promise<void>((resolve) => {
    onCancel = resolve
  })
  let open = true
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c
    },
    cancel() {
      open = false
      onCancel()
    },
  })
  return {
    stream,
    cancelled,
    write(chunk) {
      if (open) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk)
    },
    end() {
      if (open) controller.close()
      open = false
    },
    fail(error = new TypeError('terminated')) {
      if (open) controller.error(error)
      open = false
    },
  }
}

/** A stream of the given chunks, then its end. */
export function bodyOf(...chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) {
        controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk)
      }
      controller.close()
    },
  })
}

/** An SSE response over `body`. */
export function sseResponse(
  body: ReadableStream<Uint8Array> | string,
  init: ResponseInit = {},
): Response {
  return new Response(typeof body === 'string' ? bodyOf(body) : body, {
    status: 200,
    ...init,
    headers: { 'content-type': 'text/event-stream', ...(init.headers as Record<string, string>) },
  })
}

/** A call the fake fetch received. */
export interface FetchCall {
  url: string
  method: string
  headers: Headers
  body: BodyInit | null | undefined
  signal: AbortSignal
}

/**
 * A fetch that answers each attempt with the next of `responses` (a function gets the call),
 * and records every call. Throwing from a function makes fetch reject (a network error).
 */
export function scriptedFetch(
  ...responses: (Response | ((call: FetchCall) => Response | Promise<Response>))[]
): FetchLike & { calls: FetchCall[] } {
  const calls: FetchCall[] = []
  const fetch = async (url: string, init: RequestInit) => {
    const call: FetchCall = {
      url,
      method: init.method ?? 'GET',
      headers: new Headers(init.headers),
      body: init.body,
      signal: init.signal as AbortSignal,
    }
    calls.push(call)
    const next = responses[calls.length - 1]
    if (next === undefined) throw new Error(`scriptedFetch: no response for call ${calls.length}`)
    return typeof next === 'function' ? next(call) : next
  }
  return Object.assign(fetch, { calls })
}

/** Options that make reconnects immediate and errors collected, for fast tests. */
export function fastOptions(errors: { error: RunstreamError; info: ErrorInfo }[] = []) {
  return {
    reconnect: { initialDelayMs: 0, maxDelayMs: 0, jitter: false },
    onError: (error: RunstreamError, info: ErrorInfo) => {
      errors.push({ error, info })
    },
  } as const
}

/** Collects a subscription to its end (or its throw, returned as `error`). */
export async function drain<C extends AnyCatalog | undefined>(
  subscription: StreamSubscription<C>,
): Promise<{ events: { id: string; type: string; data: unknown }[]; error?: unknown }> {
  const events: { id: string; type: string; data: unknown }[] = []
  try {
    for await (const event of subscription) {
      events.push({ id: event.id, type: event.type, data: event.data })
    }
  } catch (error) {
    return { events, error }
  }
  return { events }
}

/** Waits until `check` passes, polling; fails after `timeoutMs` saying `what`. */
export function until(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  return waitFor(check, { timeoutMs, what })
}
