import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type DemoServer, type DemoServerOptions, startDemoServer } from '../../src/demo/server.js'
import { ROOT } from '../cli/spawn.js'
import { chromiumPath, launchChromium, requireChromium } from '../helpers/browser.js'
import { get, parseSse } from '../helpers/http.js'

// The demo page in a real Chromium: it must follow a run to its end, show a reconnect when the
// connection drops, and show failures. The screenshot is kept under artifacts/ for CI.

requireChromium('demo page test')
const ARTIFACTS = join(ROOT, 'artifacts')

describe.skipIf(chromiumPath === undefined)('the demo page in Chromium', () => {
  let browser: Browser
  const servers: DemoServer[] = []
  const pages: Page[] = []

  beforeAll(async () => {
    browser = await launchChromium()
  }, 60_000)
  afterEach(async () => {
    for (const page of pages.splice(0)) await page.close()
    for (const server of servers.splice(0)) await server.close()
  })
  afterAll(async () => {
    await browser?.close()
  })

  async function open(options: DemoServerOptions, path = '/') {
    const server = await startDemoServer({ port: 0, autoRun: false, ...options })
    servers.push(server)
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    pages.push(page)
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(String(error)))
    return { server, page, errors, go: () => page.goto(`${server.url}${path}`) }
  }

  /** How many events the run's workflow stream holds, read over HTTP once it has ended. */
  async function eventsOf(server: DemoServer, id: string): Promise<number> {
    const response = await get(`${server.url}/api/v0/executions/workflows/${id}/stream`)
    return parseSse(await response.end(20_000)).filter((m) => m.id !== undefined).length
  }

  it('follows a run to its end: every task done, the answer shown, the connection live', async () => {
    const { server, page, errors, go } = await open({ pace: 0.1 })
    const id = server.startRun({ fail: false }) as string
    await go()
    await page.waitForSelector('#conn[data-state="open"]')
    await page.waitForSelector('.task[data-state="running"]')
    await page.waitForSelector('body[data-run-status="succeeded"]', { timeout: 30_000 })

    const total = await eventsOf(server, id)
    expect(await page.textContent('#event-count')).toBe(String(total))
    expect(await page.getAttribute('body', 'data-last-event-id')).toBe(String(total))
    expect(await page.textContent('#status-pill')).toBe('Succeeded')
    expect(await page.textContent('#exec-id')).toBe(id)
    expect(await page.locator('.task').count()).toBe(5)
    expect(await page.locator('.task[data-state="done"]').count()).toBe(5)
    expect(await page.locator('.reflection').count()).toBe(2)
    expect(await page.textContent('#result')).toContain('Completed in')
    expect(await page.textContent('#live-text')).toContain('Recommendation:')
    expect(errors).toEqual([])

    mkdirSync(ARTIFACTS, { recursive: true })
    const file = join(ARTIFACTS, 'demo-page.png')
    await page.screenshot({ path: file, fullPage: true })
    console.log(`screenshot: ${file}`)
  })

  it('shows a reconnect after "Drop connection", and still gets every event once', async () => {
    const { server, page, errors, go } = await open({ pace: 0.25 })
    const id = server.startRun({ fail: false }) as string
    await go()
    await page.waitForSelector('#conn[data-state="open"]')
    await page.waitForFunction(
      () => Number(document.getElementById('event-count')?.textContent) > 10,
    )
    await page.click('#drop')
    await page.waitForSelector('#conn[data-reconnects="1"]')
    expect(await page.textContent('#conn-count')).toBe('1 reconnect')
    await page.waitForSelector('#conn[data-state="open"]')
    await page.waitForSelector('body[data-run-status="succeeded"]', { timeout: 30_000 })

    const total = await eventsOf(server, id)
    // As many events as the stream holds, and the last id is the count: none lost, none twice.
    expect(await page.textContent('#event-count')).toBe(String(total))
    expect(await page.getAttribute('body', 'data-last-event-id')).toBe(String(total))
    expect(errors).toEqual([])
    const file = join(ARTIFACTS, 'demo-page-reconnected.png')
    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: file, fullPage: true })
    console.log(`screenshot: ${file}`)
  })

  it('starts a run with POST from "New run", streams it at once, and "Stop" cancels it', async () => {
    const { server, page, errors, go } = await open({ pace: 0.5 })
    const requests: string[] = []
    page.on('request', (request) => {
      if (request.url().includes('/api/')) {
        requests.push(`${request.method()} ${new URL(request.url()).pathname}`)
      }
    })
    server.startRun({ fail: false })
    await go()
    await page.waitForSelector('#conn[data-state="open"]')
    await page.click('#new-run')
    await page.waitForSelector('.task[data-state="running"]')
    const id = (await page.textContent('#exec-id')) as string
    expect(server.currentRunId).toBe(id)
    expect(requests).toContain('POST /api/v0/executions/workflows')
    expect(await page.isDisabled('#stop')).toBe(false)
    await page.click('#stop')
    await page.waitForSelector('body[data-run-status="canceled"]', { timeout: 30_000 })
    expect(await page.textContent('#status-pill')).toBe('Canceled')
    expect(await page.textContent('#result')).toContain('Stopped before it finished.')
    expect(requests).toContain(`POST /api/v0/executions/workflows/${id}/cancel`)
    expect(await server.finished(id)).toBe('canceled')
    expect(await page.isDisabled('#stop')).toBe(true)
    expect(errors).toEqual([])
  })

  it('shows a failed run with its reason and the failing task', async () => {
    const { server, page, go } = await open({ pace: 0 })
    const id = server.startRun({ fail: true }) as string
    await server.finished(id)
    await go()
    await page.waitForSelector('body[data-run-status="failed"]')
    expect(await page.textContent('#status-pill')).toBe('Failed')
    expect(await page.textContent('#result')).toContain('timed out after 3 attempts')
    expect(await page.locator('.task[data-state="failed"]').count()).toBe(1)
  })

  it('moves on to the next run when one ends, unless pinned with ?run=', async () => {
    const { server, page, go } = await open({ pace: 0 })
    const first = server.startRun({ fail: false }) as string
    await server.finished(first)
    await go()
    await page.waitForSelector('body[data-run-status="succeeded"]')
    const second = server.startRun({ fail: true }) as string
    await page.waitForFunction(
      (id) => document.getElementById('exec-id')?.textContent === id,
      second,
    )
    await page.waitForSelector('body[data-run-status="failed"]')

    await page.goto(`${server.url}/?run=${first}`)
    await page.waitForSelector('body[data-run-status="succeeded"]')
    expect(await page.textContent('#exec-id')).toBe(first)
  })
})
