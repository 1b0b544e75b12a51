import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createStreamManager, executionCatalog } from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'
import { chromiumPath, launchChromium, openPage, requireChromium } from '../helpers/browser.js'

// A real Chromium loads a plain page, no bundler and no import map, whose <script type="module">
// imports the BUILT browser client (dist/browser/client.js, one self-contained file), watches a
// stream of the real Node handler, and survives a server-side drop. The test reads what the page
// saw.

const root = fileURLToPath(new URL('../..', import.meta.url))
requireChromium('client browser test')
const EVENTS = 60

/** Rebuilds dist when a source file is newer than the browser client. */
function ensureBuilt(): void {
  const built = (() => {
    try {
      return statSync(join(root, 'dist/browser/client.js')).mtimeMs
    } catch {
      return 0
    }
  })()
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((entry) => {
        const path = join(dir, entry.name)
        return entry.isDirectory() ? newest(path) : statSync(path).mtimeMs
      }),
    )
  if (built < newest(join(root, 'src'))) {
    execFileSync('npx', ['tsup'], { cwd: root, stdio: 'ignore', timeout: 120_000 })
  }
}

const PAGE = `<!doctype html>
<html>
<body>
<script type="module">
  import * as runstream from '/runstream-client.js'
  const { createStreamClient } = runstream
  window.__exports = Object.keys(runstream).sort()
  window.__events = []
  window.__errors = []
  window.__done = false
  // baseUrl '' — the page's own origin: a relative URL, as a browser app would use.
  const client = createStreamClient({ baseUrl: '' })
  const subscription = client.workflow('browser', {
    reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
    onError: (error, info) => window.__errors.push(error.code + (info.fatal ? ':fatal' : '')),
  })
  window.__state = () => subscription.readyState
  try {
    for await (const event of subscription) window.__events.push([event.id, event.type, event.data])
  } catch (error) {
    window.__errors.push('thrown:' + error.code)
  }
  window.__done = true
</script>
</body>
</html>`

describe.skipIf(chromiumPath === undefined)('the built client in Chromium', () => {
  let server: Server
  let browser: Browser
  let baseUrl: string
  const manager = createStreamManager({ catalog: executionCatalog })
  const handler = createNodeHandler(manager, { heartbeatMs: 1000, retryMs: 10, onError: () => {} })
  const streamSockets = new Set<Socket>()
  const streamRequests: (string | undefined)[] = []
  const missing: string[] = []

  beforeAll(async () => {
    ensureBuilt()
    // Read once: another build may run meanwhile.
    const client = readFileSync(join(root, 'dist/browser/client.js'), 'utf8')
    const send = (res: ServerResponse, type: string, body: string) => {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' })
      res.end(body)
    }
    server = createServer((req, res) => {
      const url = req.url ?? '/'
      if (url.startsWith('/api/')) {
        streamRequests.push(req.headers['last-event-id'] as string | undefined)
        streamSockets.add(req.socket)
        req.socket.once('close', () => streamSockets.delete(req.socket))
        void handler(req, res)
      } else if (url === '/') send(res, 'text/html', PAGE)
      else if (url === '/runstream-client.js') send(res, 'text/javascript', client)
      else {
        // Nothing else exists: an import the file still made would fail the page.
        missing.push(url)
        res.writeHead(404)
        res.end()
      }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    browser = await launchChromium()
  }, 180_000)

  afterAll(async () => {
    await browser?.close()
    handler.close()
    server?.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve))
    await manager.close()
  })

  test('receives every event once and in order, across a server-side drop with resume', async () => {
    const { page, pageErrors } = await openPage(browser, `${baseUrl}/`)
    await page.waitForFunction(
      () => (window as unknown as { __state?: () => string }).__state?.() === 'open',
    )

    const stream = manager.stream('workflow:browser')
    const seen = () =>
      page.evaluate(() => (window as unknown as { __events: unknown[] }).__events.length)
    for (let i = 1; i <= EVENTS; i++) {
      stream.emit('llm_chunk', { text: `t${i} ü🌍` })
      if (i === EVENTS / 2) {
        // Cut the connection once the page has some events, then emit while it is away.
        await expect.poll(seen, { timeout: 10_000 }).toBeGreaterThan(5)
        for (const socket of streamSockets) socket.destroy()
      }
    }
    stream.emit('complete', { status: 'SUCCESS' })
    await page.waitForFunction(() => (window as unknown as { __done: boolean }).__done, undefined, {
      timeout: 20_000,
    })

    const { events, errors } = await page.evaluate(() => {
      const w = window as unknown as { __events: [string, string, unknown][]; __errors: string[] }
      return { events: w.__events, errors: w.__errors }
    })
    expect(pageErrors).toEqual([])
    expect(missing.filter((url) => url !== '/favicon.ico')).toEqual([])
    expect(
      await page.evaluate(() => (window as unknown as { __exports: string[] }).__exports),
    ).toEqual([
      'MAX_SERVER_DELAY_MS',
      'RunstreamError',
      'StreamHttpError',
      'connect',
      'createStreamClient',
      'readText',
      'subscribeMany',
    ])
    expect(events).toEqual([
      ...Array.from({ length: EVENTS }, (_, i) => [
        String(i + 1),
        'llm_chunk',
        { text: `t${i + 1} ü🌍` },
      ]),
      [String(EVENTS + 1), 'complete', { status: 'SUCCESS' }],
    ])
    // The drop was seen as a retryable network error, and the page resumed with its cursor.
    expect(errors.length).toBeGreaterThanOrEqual(1)
    expect(errors.every((code) => code === 'network_error')).toBe(true)
    expect(streamRequests.length).toBeGreaterThanOrEqual(2)
    expect(streamRequests[0]).toBeUndefined()
    // Its cursor: the last id it had, qualified with the stream's epoch (`<epoch>.<id>`).
    expect(streamRequests[1]).toMatch(/^[a-z][0-9a-z]{9}\.\d+$/)
    expect(Number(streamRequests[1]?.split('.')[1])).toBeGreaterThan(5)
    await page.close()
  }, 60_000)
})
