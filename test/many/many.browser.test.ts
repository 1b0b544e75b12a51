import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createStreamManager, executionCatalog } from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'
import {
  bundlePage,
  chromiumPath,
  launchChromium,
  openPage,
  requireChromium,
  startPageServer,
} from '../helpers/browser.js'
import { type TestServer, waitFor } from '../helpers/http.js'
import type { ManyPageApi, Seen } from './fixtures/page.js'

// Many streams on one connection in a real Chromium, over HTTP/1.1 (node:http, no TLS), where a
// page holds at most six connections per origin: subscribeMany, useStreams and the browser's own
// EventSource, each following more streams than that, through a server-side drop.

requireChromium('many-stream browser tests')

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"></head>
<body><script type="module" src="/page.js"></script></body></html>`

type ManyWindow = Window & { many: ManyPageApi; seen: Seen }

describe.skipIf(chromiumPath === undefined)('many streams on one connection in Chromium', () => {
  const manager = createStreamManager({ catalog: executionCatalog })
  const handler = createNodeHandler(manager, { heartbeatMs: 1000, retryMs: 10, onError: () => {} })
  // The Last-Event-ID of every request to the many-stream route, and the most open at once.
  const cursors: (string | undefined)[] = []
  // Stream requests open now, and the most open at once since a test reset it.
  let openNow = 0
  let mostOpen = 0
  let server: TestServer
  let browser: Browser

  beforeAll(async () => {
    const script = await bundlePage(new URL('./fixtures/page.tsx', import.meta.url), 'development')
    server = await startPageServer(PAGE, script, (req, res) => {
      if (req.url?.split('?')[0] === '/api/v0/streams') {
        cursors.push(req.headers['last-event-id'] as string)
      }
      mostOpen = Math.max(mostOpen, ++openNow)
      res.once('close', () => openNow--)
      void handler(req, res)
    })
    browser = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    handler.close()
    await server?.close()
    await manager.close()
  })

  async function open(): Promise<Page> {
    const { page, pageErrors } = await openPage(browser, `${server.url}/`)
    await page.waitForFunction(() => 'many' in window)
    expect(pageErrors).toEqual([])
    return page
  }

  /** Emits `rounds` chunks into each stream, drops every connection midway, then ends them all. */
  async function produce(names: string[], rounds: number, seen: () => Promise<number>) {
    for (let k = 1; k <= rounds; k++) {
      for (const name of names) manager.stream(name).emit('llm_chunk', { text: `${k}` })
      if (k === Math.floor(rounds / 2)) {
        const at = cursors.length
        await waitFor(async () => (await seen()) >= names.length * 2, {
          what: 'the page to receive events before the drop',
        })
        server.dropConnections()
        await waitFor(() => cursors.length > at, { what: 'the page to reconnect' })
      }
    }
    for (const name of names) manager.stream(name).emit('complete', { status: 'SUCCESS' })
  }

  const expectAll = (events: string[], names: string[], rounds: number) => {
    for (const name of names) {
      expect(events.filter((event) => event.startsWith(`${name}#`))).toEqual(
        Array.from({ length: rounds + 1 }, (_, i) => `${name}#${i + 1}`),
      )
    }
    expect(events).toHaveLength(names.length * (rounds + 1))
  }

  test('subscribeMany follows 12 streams at once over HTTP/1.1 and sees all of them complete', async () => {
    const page = await open()
    const names = Array.from({ length: 12 }, (_, i) => `task:sub${i}`)
    mostOpen = 0
    await page.evaluate((list) => {
      const w = window as unknown as ManyWindow
      w.seen = w.many.subscribe(list)
    }, names)
    await waitFor(() => handler.stats().connections === 1, { what: 'one connection' })
    const count = () => page.evaluate(() => (window as unknown as ManyWindow).seen.events.length)
    await produce(names, 20, count)
    await page.waitForFunction(() => (window as unknown as ManyWindow).seen.state === 'closed')
    const seen = await page.evaluate(() => (window as unknown as ManyWindow).seen)
    expectAll(seen.events, names, 20)
    expect(seen.ids).toEqual([names.map(() => '~').join(',')])
    expect(seen.errors).toContain('network_error')
    // Twelve streams, never more than one connection to the server.
    expect(mostOpen).toBe(1)
    await waitFor(() => handler.stats().connections === 0, { what: 'the server to let go' })
    await page.close()
  }, 60_000)

  test("the browser's own EventSource resumes 12 streams with the composite Last-Event-ID", async () => {
    const page = await open()
    const names = Array.from({ length: 12 }, (_, i) => `task:native${i}`)
    const before = cursors.length
    await page.evaluate((list) => {
      const w = window as unknown as ManyWindow
      w.seen = w.many.native(list)
    }, names)
    const count = () => page.evaluate(() => (window as unknown as ManyWindow).seen.events.length)
    await produce(names, 10, count)
    await page.waitForFunction(() => (window as unknown as ManyWindow).seen.state === 'closed')
    const seen = await page.evaluate(() => (window as unknown as ManyWindow).seen)
    expectAll(seen.events, names, 10)
    // The reconnect sent the last id the page received: twelve positions.
    const resumed = cursors.slice(before + 1)
    expect(resumed.length).toBeGreaterThanOrEqual(1)
    expect(resumed[0]?.split(',')).toHaveLength(12)
    expect(seen.ids).toContain(resumed[0])
    expect(seen.ids.at(-1)).toBe(names.map(() => '~').join(','))
    await page.close()
  }, 60_000)

  test('useStreams renders 12 streams from one connection to their end, StrictMode opening no second one', async () => {
    const page = await open()
    const names = Array.from({ length: 12 }, (_, i) => `task:hook${i}`)
    mostOpen = 0
    await page.evaluate((list) => {
      const w = window as unknown as ManyWindow
      w.seen = w.many.mount(list)
    }, names)
    await waitFor(() => handler.stats().connections === 1, { what: 'one connection' })
    const count = () => page.evaluate(() => (window as unknown as ManyWindow).seen.events.length)
    await produce(names, 16, count)
    await page.waitForFunction(() => (window as unknown as ManyWindow).seen.state === 'closed')
    const seen = await page.evaluate(() => (window as unknown as ManyWindow).seen)
    expectAll(seen.events, names, 16)
    expect(seen.ids).toEqual([names.map(() => '~').join(',')])
    expect(mostOpen).toBe(1)
    await page.evaluate(() => (window as unknown as ManyWindow).many.unmount())
    await page.waitForFunction(() => (window as unknown as ManyWindow).many.open() === 0)
    await waitFor(() => handler.stats().connections === 0, { what: 'the server to let go' })
    await page.close()
  }, 60_000)
})
