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
import type { PageApi, Report } from './fixtures/page.js'

// The hooks in a real Chromium, on a page built with esbuild from source with React 19 in
// development mode (so StrictMode double-mounts), against a real runstream server whose handler
// counts its open streams.

requireChromium('React hook tests')

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"></head>
<body><div id="root"></div><script type="module" src="/page.js"></script></body></html>`

describe.skipIf(chromiumPath === undefined)('the React hooks in Chromium', () => {
  const manager = createStreamManager({ catalog: executionCatalog })
  const handler = createNodeHandler(manager, { heartbeatMs: 1000, retryMs: 10, onError: () => {} })
  // Stream requests by path, with the Last-Event-ID each carried (and the x-token header, by path).
  const requests = new Map<string, (string | undefined)[]>()
  const tokens = new Map<string, (string | undefined)[]>()
  let server: TestServer
  let browser: Browser

  beforeAll(async () => {
    const script = await bundlePage(new URL('./fixtures/page.tsx', import.meta.url), 'development')
    server = await startPageServer(PAGE, script, (req, res) => {
      const path = (req.url ?? '/').split('?')[0] as string
      requests.set(path, [
        ...(requests.get(path) ?? []),
        req.headers['last-event-id'] as string | undefined,
      ])
      tokens.set(path, [...(tokens.get(path) ?? []), req.headers['x-token'] as string | undefined])
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
    await page.waitForFunction(() => 'runstream' in window)
    expect(pageErrors).toEqual([])
    return page
  }
  const mount = (page: Page, scenario: string, id: string, token?: string) =>
    page.evaluate(
      ([name, run, value]) =>
        (window as unknown as { runstream: PageApi }).runstream.mount(
          name as Parameters<PageApi['mount']>[0],
          run as string,
          value,
        ),
      [scenario, id, token] as const,
    )
  const read = (page: Page) =>
    page.evaluate(() => {
      const { open: count, ...report } = (window as unknown as { runstream: PageApi }).runstream
        .report
      return { ...report, open: count() }
    }) as Promise<Omit<Report, 'open'> & { open: number }>
  const until = async (
    page: Page,
    check: (report: Awaited<ReturnType<typeof read>>) => boolean,
  ) => {
    await expect
      .poll(async () => check(await read(page)), { timeout: 15_000, interval: 20 })
      .toBe(true)
  }
  const streamPath = (id: string) => `/api/v0/executions/workflows/${id}/stream`

  test('useRun and useStream render a run to its end through a server-side drop, every event once', async () => {
    const page = await open()
    await mount(page, 'run', 'drop')
    await until(page, (r) => r.run?.readyState === 'open' && r.streamState === 'open')
    expect(handler.stats().connections).toBe(2)

    const stream = manager.stream('workflow:drop')
    stream.emit('workflow_start', { workflow_id: 'wf', execution_id: 'drop' })
    stream.emit('workflow_status', { status: 'RUNNING', step: 'answer' })
    let text = ''
    for (let i = 1; i <= 60; i++) {
      if (i === 20) stream.emit('tool_call', { tool_name: 'search', args: { q: 'sse' } })
      const token = `t${i} ü🌍 `
      text += token
      stream.emit('llm_chunk', { text: token })
      if (i === 30) {
        // Cut every connection once the page has some events; emit the rest while it is away.
        await until(page, (r) => r.ids.length > 5 && (r.run?.text.length ?? 0) > 0)
        server.dropConnections()
      }
    }
    stream.emit('complete', { status: 'SUCCESS', output: text })
    await until(page, (r) => r.run?.done === true && r.streamState === 'closed')

    const report = await read(page)
    const total = 2 + 1 + 60 + 1
    expect(report.ids).toEqual(Array.from({ length: total }, (_, i) => String(i + 1)))
    expect(report.run).toEqual({
      status: 'SUCCESS',
      text,
      done: true,
      tools: ['search'],
      readyState: 'closed',
    })
    // The drop was a retryable network error, and both hooks resumed from their cursor.
    expect(report.errors.length).toBeGreaterThanOrEqual(2)
    expect(report.errors.every((code) => code === 'network_error')).toBe(true)
    const seen = requests.get(streamPath('drop')) ?? []
    expect(seen.slice(0, 2)).toEqual([undefined, undefined])
    expect(seen.length).toBeGreaterThanOrEqual(4)
    // Each resume sent a cursor qualified with the stream's epoch (`<epoch>.<id>`).
    expect(seen.slice(2).every((id) => /^[a-z][0-9a-z]{9}\.[1-9]\d*$/.test(id ?? ''))).toBe(true)

    await page.evaluate(() => (window as unknown as { runstream: PageApi }).runstream.unmount())
    await until(page, (r) => r.open === 0)
    await waitFor(() => handler.stats().connections === 0, 10_000, 'no open streams')
    await page.close()
  })

  test('StrictMode opens one connection, and unmounting closes it on the server', async () => {
    const page = await open()
    await mount(page, 'strict', 'strict')
    await until(page, (r) => r.streamState === 'open')
    await waitFor(() => handler.stats().connections === 1, 10_000, 'one open stream')
    expect(requests.get(streamPath('strict'))).toEqual([undefined])
    expect((await read(page)).open).toBe(1)
    // Not even a connection opened and closed before its request: one attempt in all.
    expect((await read(page)).attempts).toBe(1)

    // The one connection is live: an event reaches the view through it.
    manager.stream('workflow:strict').emit('workflow_status', { status: 'RUNNING' })
    await until(page, (r) => r.ids.length === 1)

    await page.evaluate(() => (window as unknown as { runstream: PageApi }).runstream.unmount())
    await until(page, (r) => r.open === 0)
    await waitFor(() => handler.stats().connections === 0, 10_000, 'the stream closed')
    expect(requests.get(streamPath('strict'))).toEqual([undefined])
    await page.close()
  })

  test('useStream keeps the latest maxEvents events, and last and lastEventId follow every one', async () => {
    const page = await open()
    await mount(page, 'bounded', 'bounded')
    await until(page, (r) => r.streamState === 'open')
    const stream = manager.stream('workflow:bounded')
    for (let i = 1; i <= 25; i++) stream.emit('llm_chunk', { text: String(i) })
    stream.emit('complete', { status: 'SUCCESS' })
    await until(page, (r) => r.streamState === 'closed')
    // lastEventId is the cursor: the last id, qualified with the stream's epoch.
    const { epoch } = await manager.store.read('workflow:bounded')
    expect(await read(page)).toMatchObject({
      ids: ['22', '23', '24', '25', '26'],
      last: '26',
      lastEventId: `${epoch}.26`,
    })
    await page.close()
  })

  test('a new callback each render neither reconnects nor goes stale: the next attempt uses the latest', async () => {
    const page = await open()
    await mount(page, 'latest', 'latest', 'a')
    await until(page, (r) => r.streamState === 'open')
    await mount(page, 'latest', 'latest', 'b')
    await until(page, (r) => r.token === 'b')
    manager.stream('workflow:latest').emit('workflow_status', { status: 'RUNNING' })
    await until(page, (r) => r.ids.length === 1)
    expect(tokens.get(streamPath('latest'))).toEqual(['a'])

    server.dropConnections()
    await waitFor(() => tokens.get(streamPath('latest'))?.length === 2, 10_000, 'the reconnect')
    expect(tokens.get(streamPath('latest'))).toEqual(['a', 'b'])
    await until(page, (r) => r.streamState === 'open')
    await page.evaluate(() => (window as unknown as { runstream: PageApi }).runstream.unmount())
    await waitFor(() => handler.stats().connections === 0, 10_000, 'the stream closed')
    await page.close()
  })

  test('a burst of tokens costs at most one render a frame, not one per token', async () => {
    const page = await open()
    await mount(page, 'tokens', 'tokens')
    await until(page, (r) => r.run?.readyState === 'open')
    const stream = manager.stream('workflow:tokens')
    const TOKENS = 2000
    for (let i = 0; i < TOKENS; i++) stream.emit('llm_chunk', { text: 'x' })
    stream.emit('complete', { status: 'SUCCESS' })
    await until(page, (r) => r.run?.done === true && r.run.readyState === 'closed')

    const { commitFrames, frames, run } = await read(page)
    expect(run?.text).toBe('x'.repeat(TOKENS))
    const renders = commitFrames.length
    console.log(`${TOKENS} tokens: ${renders} renders over ${frames} frames`)
    expect(renders).toBeLessThan(TOKENS / 20)
    // After the first (mount) commit, every commit happened in a frame of its own.
    const later = commitFrames.slice(1)
    expect(later.every((time) => typeof time === 'number')).toBe(true)
    expect(new Set(later).size).toBe(later.length)
    expect(renders).toBeLessThanOrEqual(frames + 1)
    await page.close()
  })
})
