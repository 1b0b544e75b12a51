import type http from 'node:http'
import type { ClientEvent, StreamSubscription } from '../../src/client.js'
import {
  createStreamManager,
  type EventStore,
  executionCatalog,
  type RunstreamError,
  type StreamManager,
} from '../../src/index.js'
import { createNodeHandler, type HandlerOptions, type NodeHandler } from '../../src/node.js'
import { startServer } from '../helpers/http.js'
import { waitFor } from '../helpers/wait.js'

/** The real Node handler of an execution-catalog manager on a real server, port 0. */
export interface Runstream {
  readonly manager: StreamManager<typeof executionCatalog>
  readonly handler: NodeHandler
  readonly server: http.Server
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** Every error the manager and the handler reported. */
  readonly errors: RunstreamError[]
  /** The URL of a stream route. */
  streamUrl(kind: 'workflow' | 'agent' | 'task', id: string): string
  /** Drops every socket and closes the server, the handler and the manager. */
  close(): Promise<void>
}

/** Starts a {@link Runstream} with handler options and, optionally, a store. */
export async function startRunstream(
  options: HandlerOptions & {
    store?: EventStore
    maxQueuedEvents?: number
    maxEventBytes?: number
  } = {},
): Promise<Runstream> {
  const errors: RunstreamError[] = []
  const { store, maxQueuedEvents, maxEventBytes, ...handlerOptions } = options
  const manager = createStreamManager({
    catalog: executionCatalog,
    ...(store === undefined ? {} : { store }),
    ...(maxQueuedEvents === undefined ? {} : { maxQueuedEvents }),
    ...(maxEventBytes === undefined ? {} : { maxEventBytes }),
    onError: (error) => errors.push(error),
  })
  const handler = createNodeHandler(manager, {
    onError: (error) => errors.push(error),
    ...handlerOptions,
  })
  const { server, url, close } = await startServer((req, res) => void handler(req, res))
  return {
    manager,
    handler,
    server,
    url,
    errors,
    streamUrl: (kind, id) => `${url}/api/v0/executions/${kind}s/${id}/stream`,
    async close() {
      handler.close()
      await close()
      await manager.close()
    },
  }
}

/** Consumes a client subscription to its end; resolves with every event, rejects with its fatal error. */
export async function collect<C extends typeof executionCatalog | undefined>(
  subscription: StreamSubscription<C>,
  onEvent?: (event: ClientEvent<C>, received: number) => void,
): Promise<ClientEvent<C>[]> {
  const events: ClientEvent<C>[] = []
  for await (const event of subscription) {
    events.push(event)
    onEvent?.(event, events.length)
  }
  return events
}

/** `[from, from + 1, …, to]`. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i)
}

/** Waits until `check` holds, polling it; fails after `timeoutMs` saying `what`. */
export function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  return waitFor(check, { timeoutMs, what })
}

/** A reconnect policy that retries at once and forever: for tests that inject many faults. */
export const EAGER_RECONNECT = {
  initialDelayMs: 10,
  maxDelayMs: 50,
  jitter: false,
  maxRetries: Number.POSITIVE_INFINITY,
} as const
