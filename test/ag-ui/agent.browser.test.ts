import type { BaseEvent } from '@ag-ui/core'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { agUiCatalog, createAgUiHandler } from '../../src/ag-ui.js'
import { createStreamManager } from '../../src/index.js'
import { toNodeHandler } from '../../src/node.js'
import {
  bundlePage,
  chromiumPath,
  launchChromium,
  openPage,
  type PageServer,
  requireChromium,
  startPageServer,
} from '../helpers/browser.js'
import { gates } from './helpers.js'

// A real Chromium runs a page whose RunstreamAgent (bundled from source with @ag-ui/client and
// rxjs, as an app's bundler would) follows a run through a server-side drop.

requireChromium('RunstreamAgent browser test')

const PAGE = `<!doctype html><html><body><script type="module" src="/page.js"></script></body></html>`
const WORDS = ['Hel', 'lo', ', ', 'wor', 'ld', '!']

describe.skipIf(chromiumPath === undefined)('RunstreamAgent in Chromium', () => {
  let server: PageServer
  let browser: Browser
  const gate = gates()
  const requests: string[] = []
  const manager = createStreamManager({ catalog: agUiCatalog })
  const handler = createAgUiHandler(manager, {
    heartbeatMs: 1000,
    retryMs: 10,
    run: async function* () {
      yield { type: 'TEXT_MESSAGE_START', messageId: 'a1', role: 'assistant' } as BaseEvent
      for (const [i, delta] of WORDS.entries()) {
        if (i === 3) await gate.wait(1)
        yield { type: 'TEXT_MESSAGE_CONTENT', messageId: 'a1', delta } as BaseEvent
      }
      yield { type: 'TEXT_MESSAGE_END', messageId: 'a1' } as BaseEvent
    },
  })
  const node = toNodeHandler(handler)

  beforeAll(async () => {
    const script = await bundlePage(new URL('./fixtures/page.ts', import.meta.url))
    server = await startPageServer(PAGE, script, (req, res) => {
      const url = req.url ?? '/'
      requests.push(
        `${req.method} ${url}${req.headers['last-event-id'] ? ` after ${req.headers['last-event-id']}` : ''}`,
      )
      void node(req, res)
    })
    browser = await launchChromium()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    handler.close()
    await server?.close()
    await manager.close()
  })

  test('applies every event once and ends with the full message, across a server-side drop', async () => {
    const { page, pageErrors } = await openPage(browser, server.url)
    // Five events applied (RUN_STARTED, the start, three words): the server drops the stream.
    await page.waitForFunction(() => window.__events.length === 5, undefined, { timeout: 10_000 })
    server.dropApi()
    gate.open(1)
    await page.waitForFunction(
      () => window.__result !== undefined || window.__error !== undefined,
      undefined,
      {
        timeout: 10_000,
      },
    )
    const { events, result, error } = await page.evaluate(() => ({
      events: window.__events,
      result: window.__result,
      error: window.__error,
    }))
    expect(error).toBeUndefined()
    expect(pageErrors).toEqual([])
    expect(result).toEqual({
      newMessages: [{ id: 'a1', role: 'assistant', content: WORDS.join('') }],
    })
    const stored: unknown[] = []
    for await (const event of manager.subscribe({ stream: 'agent:browser' }))
      stored.push(event.data)
    expect(events).toEqual(stored)
    // It resumed after event 5, with the cursor qualified by the stream's epoch.
    const { epoch } = await manager.store.read('agent:browser')
    expect(requests).toEqual([
      'POST /api/agent',
      `GET /api/agent/runs/browser/stream after ${epoch}.5`,
    ])
    await page.close()
  })
})
