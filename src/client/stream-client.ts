import type { AnyCatalog, EventName } from '../core/catalog.js'
import { type Check, checkOptions, isCatalog, isHeaders } from './checks.js'
import { connect, type StreamSubscription } from './connect.js'
import { type HeadersOption, resolveHeaders } from './http.js'
import type { ConnectOptions, FetchLike } from './options.js'
import { readText, type TextOptions } from './text.js'

/** Options of {@link createStreamClient}. */
export interface StreamClientOptions<C extends AnyCatalog | undefined = undefined> {
  /** Where the server is: an origin (`https://api.example.com`), or `''` for the page's own in a browser. */
  baseUrl: string | URL
  /**
   * The path the server's routes are mounted under (its `basePath`).
   * @defaultValue `'/api/v0'`
   */
  basePath?: string
  /** The catalog of every stream of this client: types and validation. */
  catalog?: C
  /** Headers sent with every request (a function is called before each attempt); per-call headers are added on top. */
  headers?: HeadersOption
  /** The `fetch` to use. @defaultValue `globalThis.fetch` */
  fetch?: FetchLike
}

/**
 * Options of one watch: those of {@link connect} (but `catalog`, which is the client's, and
 * `stream`, which the client knows), plus which events to receive.
 */
export interface WatchOptions<C extends AnyCatalog | undefined = undefined>
  extends Omit<ConnectOptions<C>, 'catalog' | 'stream'> {
  /** Receive only these events (the server filters them: `?events=a,b`). Terminal events should stay in the list, or the client cannot tell the stream ended. */
  events?: readonly (C extends AnyCatalog ? EventName<C> : string)[]
}

/** What a stream belongs to: the three routes of the server. */
export type ExecutionKind = 'workflow' | 'agent' | 'task'

/** A client bound to one server and catalog. */
export interface StreamClient<C extends AnyCatalog | undefined = undefined> {
  /** Watches a workflow execution: `GET …/executions/workflows/:id/stream`. */
  workflow(id: string, options?: WatchOptions<C>): StreamSubscription<C>
  /** Watches an agent execution: `GET …/executions/agents/:id/stream`. */
  agent(id: string, options?: WatchOptions<C>): StreamSubscription<C>
  /** Watches a task execution: `GET …/executions/tasks/:id/stream`. */
  task(id: string, options?: WatchOptions<C>): StreamSubscription<C>
  /**
   * Reads an agent's or task's output as plain text (`?format=text`), chunk by chunk. No resume:
   * see {@link readText}.
   */
  text(kind: 'agent' | 'task', id: string, options?: TextOptions): AsyncGenerator<string, void>
  /** The URL of a stream, for logging or for a client of your own. */
  url(kind: ExecutionKind, id: string): string
}

/**
 * Creates a client for the routes of runstream's SSE handlers.
 *
 * @example
 * ```ts
 * const client = createStreamClient({ baseUrl: 'https://api.example.com', catalog: executionCatalog })
 * for await (const event of client.agent('agent_7')) {
 *   if (event.type === 'llm_chunk') render(event.data.text)
 * }
 * ```
 */
export function createStreamClient<C extends AnyCatalog | undefined = undefined>(
  options: StreamClientOptions<C>,
): StreamClient<C> {
  const spec: Record<string, Check> = {
    baseUrl: (value) =>
      typeof value === 'string' || value instanceof URL
        ? undefined
        : "must be the server's origin, or '' for the page's own.",
    basePath: (value) =>
      typeof value === 'string' && /^(\/.*)?$/.test(value)
        ? undefined
        : "must be a path that starts with '/' (the server's basePath), or ''.",
    catalog: isCatalog,
    headers: isHeaders,
    fetch: 'function',
  }
  checkOptions('createStreamClient', options, spec)
  // Required: checked when left out too.
  if (options.baseUrl === undefined) checkOptions('createStreamClient', { baseUrl: null }, spec)
  const base = String(options.baseUrl).replace(/\/+$/, '') + (options.basePath ?? '/api/v0')
  const url = (kind: ExecutionKind, id: string) => {
    if (!id || typeof id !== 'string') {
      throw new TypeError(`createStreamClient: the ${kind} id must be a non-empty string.`)
    }
    return `${base}/executions/${kind}s/${encodeURIComponent(id)}/stream`
  }
  // The client's headers first, the call's on top, still resolved before every attempt so tokens refresh.
  const withDefaults = <O extends TextOptions>(call: O): O => ({
    fetch: options.fetch,
    catalog: options.catalog,
    ...call,
    headers: async () => {
      const headers = await resolveHeaders(options.headers)
      const own = await resolveHeaders(call.headers)
      own.forEach((value, key) => {
        headers.set(key, value)
      })
      return headers
    },
  })
  const watch =
    (kind: ExecutionKind) =>
    (id: string, { events, ...rest }: WatchOptions<C> = {}): StreamSubscription<C> =>
      connect(
        url(kind, id) + (events ? `?events=${events.map(encodeURIComponent).join(',')}` : ''),
        // Payload framing does not say the stream: the client knows it.
        { ...withDefaults(rest as ConnectOptions<C>), stream: `${kind}:${id}` },
      )

  return {
    workflow: watch('workflow'),
    agent: watch('agent'),
    task: watch('task'),
    text: (kind, id, textOptions = {}) =>
      readText(`${url(kind, id)}?format=text`, withDefaults(textOptions)),
    url,
  }
}
