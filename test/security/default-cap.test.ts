import { describe, expect, it } from 'vitest'
import { createStreamManager, executionCatalog } from '../../src/index.js'
import { createFetchHandler } from '../../src/server.js'

// Without any option, a handler holds at most 10 000 streams (docs/server.md, "Connection caps"):
// 100 000 random stream ids or thousands of idle connections from one client no longer take the
// server's memory and file descriptors until they run out.

describe('the default cap on open streams', () => {
  it('serves 10 000 streams, answers the next 503 server_busy, and admits again once one ends', async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    const handler = createFetchHandler(manager, { heartbeatMs: 600_000 })
    const open: AbortController[] = []
    try {
      // Each a different random stream id, as a flood would send them.
      for (let i = 0; i < 10_000; i++) {
        const controller = new AbortController()
        const response = await handler(
          new Request(
            `http://localhost/api/v0/executions/workflows/${crypto.randomUUID()}/stream`,
            { signal: controller.signal },
          ),
        )
        expect(response.status).toBe(200)
        open.push(controller)
      }
      expect(handler.stats().connections).toBe(10_000)

      const refused = await handler(
        new Request('http://localhost/api/v0/executions/workflows/one-more/stream'),
      )
      expect(refused.status).toBe(503)
      expect(refused.headers.get('retry-after')).toBe('5')
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('server_busy')
      expect(handler.stats().connections).toBe(10_000)

      // One client leaves: its place is free again.
      open.pop()?.abort()
      expect(handler.stats().connections).toBe(9_999)
      const admitted = await handler(
        new Request('http://localhost/api/v0/executions/workflows/one-more/stream'),
      )
      expect(admitted.status).toBe(200)
      await admitted.body?.cancel()
    } finally {
      for (const controller of open) controller.abort()
      handler.close()
    }
    expect(handler.stats().connections).toBe(0)
  }, 60_000)

  it('is lifted with maxConnections: Infinity', async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    const handler = createFetchHandler(manager, {
      heartbeatMs: 600_000,
      maxConnections: Number.POSITIVE_INFINITY,
    })
    const open: AbortController[] = []
    try {
      for (let i = 0; i < 10_001; i++) {
        const controller = new AbortController()
        const response = await handler(
          new Request(`http://localhost/api/v0/executions/workflows/w${i}/stream`, {
            signal: controller.signal,
          }),
        )
        expect(response.status).toBe(200)
        open.push(controller)
      }
      expect(handler.stats().connections).toBe(10_001)
    } finally {
      for (const controller of open) controller.abort()
      handler.close()
    }
  }, 60_000)
})
