import { HttpAgent } from '@ag-ui/client'
import type { BaseEvent } from '@ag-ui/core'
import { createAgUiHandler } from '../../src/ag-ui/handler.js'
import { agUiCatalog } from '../../src/ag-ui.js'
import { createStreamManager, type EventStore } from '../../src/index.js'
import { type ProtocolServer, serveProtocol } from '../helpers/protocol-server.js'

/** The AG-UI events of an assistant message made of `deltas`, as an agent yields them. */
export function textEvents(messageId: string, deltas: readonly string[]): BaseEvent[] {
  return [
    { type: 'TEXT_MESSAGE_START', messageId, role: 'assistant' },
    ...deltas.map((delta) => ({ type: 'TEXT_MESSAGE_CONTENT', messageId, delta })),
    { type: 'TEXT_MESSAGE_END', messageId },
  ] as BaseEvent[]
}

/**
 * Gates an agent's pace on the test's conditions: `wait(n)` resolves once `open(n)` was called,
 * so a test decides when the events after a drop exist, and never sleeps.
 */
export function gates() {
  const opened = new Set<number>()
  const waiters = new Map<number, () => void>()
  return {
    wait(n: number): Promise<void> {
      if (opened.has(n)) return Promise.resolve()
      return new Promise((resolve) => waiters.set(n, resolve))
    },
    open(n: number): void {
      opened.add(n)
      waiters.get(n)?.()
      waiters.delete(n)
    },
  }
}

/** An AG-UI agent server on Node (toNodeHandler) over a manager of agUiCatalog. */
export function agentServer(
  run: Parameters<typeof createAgUiHandler>[1]['run'],
  store?: EventStore,
): Promise<ProtocolServer<ReturnType<typeof createStreamManager<typeof agUiCatalog>>>> {
  return serveProtocol(
    '/api/agent',
    (onError) =>
      createStreamManager({
        catalog: agUiCatalog,
        ...(store === undefined ? {} : { store }),
        onError,
      }),
    (manager) => createAgUiHandler(manager, { run, heartbeatMs: 1000, retryMs: 1 }),
  )
}

/** An unmodified HttpAgent, with the user's first message. */
export function httpAgent(url: string): HttpAgent {
  return new HttpAgent({ url, initialMessages: [{ id: 'u1', role: 'user', content: 'Hi' }] })
}

/** A fetch that records every request: its method, path and Last-Event-ID. */
export function recordingFetch() {
  const requests: string[] = []
  return {
    requests,
    fetch: (url: string, init: RequestInit) => {
      const cursor = new Headers(init.headers).get('last-event-id')
      requests.push(
        `${init.method ?? 'GET'} ${new URL(url).pathname}${cursor ? ` after ${cursor}` : ''}`,
      )
      return globalThis.fetch(url, init)
    },
  }
}
