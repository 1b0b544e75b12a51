import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createChatHandler, uiMessageCatalog } from '../../src/ai-sdk.js'
import { createStreamManager } from '../../src/index.js'
import { toNodeHandler } from '../../src/node.js'
import { gates } from '../ag-ui/helpers.js'
import {
  bundlePage,
  chromiumPath,
  launchChromium,
  openPage,
  type PageServer,
  requireChromium,
  startPageServer,
} from '../helpers/browser.js'

// A real Chromium runs a useChat page (@ai-sdk/react, bundled with the ai it pins) on
// ResumableChatTransport: its reply survives a server-side drop and a reload of the page.

requireChromium('useChat browser test')

const PAGE = `<!doctype html><html><body><div id="root"></div><script type="module" src="/page.js"></script></body></html>`
const PARTS = [
  ['Hel', 'lo'],
  [', ', 'wor'],
  ['ld', '!'],
]

describe.skipIf(chromiumPath === undefined)(
  'useChat with ResumableChatTransport in Chromium',
  () => {
    let server: PageServer
    let browser: Browser
    const gate = gates()
    const requests: string[] = []
    const manager = createStreamManager({ catalog: uiMessageCatalog })
    const handler = createChatHandler(manager, {
      heartbeatMs: 1000,
      retryMs: 10,
      run: async function* () {
        yield { type: 'start', messageId: 'a1' }
        yield { type: 'text-start', id: 't1' }
        for (const [part, deltas] of PARTS.entries()) {
          if (part > 0) await gate.wait(part)
          for (const delta of deltas) yield { type: 'text-delta', id: 't1', delta }
        }
        yield { type: 'text-end', id: 't1' }
        yield { type: 'finish', finishReason: 'stop' }
      },
    })
    const node = toNodeHandler(handler)

    beforeAll(async () => {
      const script = await bundlePage(new URL('./fixtures/page.ts', import.meta.url), 'production')
      server = await startPageServer(PAGE, script, (req, res) => {
        const url = req.url ?? '/'
        const cursor = req.headers['last-event-id']
        requests.push(`${req.method} ${url.split('?')[0]}${cursor ? ` after ${cursor}` : ''}`)
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

    const replyText = () =>
      window.__messages
        ?.filter((m) => m.role === 'assistant')
        .flatMap((m) => m.parts)
        .map((p) => (p.type === 'text' ? p.text : ''))
        .join('') ?? ''

    test('keeps its reply through a server-side drop and a reload', async () => {
      const { page, pageErrors } = await openPage(browser, server.url)
      // On load, useChat asks to resume: the chat has no reply yet (204, null).
      await page.waitForFunction(
        () => typeof window.__send === 'function' && window.__status === 'ready',
      )
      await page.evaluate(() => window.__send('Hi'))
      await page.waitForFunction(`(${replyText})() === 'Hello'`, undefined, { timeout: 10_000 })
      // The server drops every connection; the transport resumes after the last chunk it had.
      server.dropApi()
      gate.open(1)
      await page.waitForFunction(`(${replyText})() === 'Hello, wor'`, undefined, {
        timeout: 10_000,
      })
      // The page is reloaded while the reply goes on: useChat re-attaches and replays it.
      await page.reload()
      await page.waitForFunction(`(${replyText})() === 'Hello, wor'`, undefined, {
        timeout: 10_000,
      })
      gate.open(2)
      await page.waitForFunction(
        `(${replyText})() === 'Hello, world!' && window.__status === 'ready'`,
        undefined,
        { timeout: 10_000 },
      )
      expect(
        await page.evaluate(() => window.__messages.filter((m) => m.role === 'assistant').length),
      ).toBe(1)
      expect(pageErrors).toEqual([])
      expect(requests[0]).toBe('GET /api/chat/chat-1/stream')
      expect(requests[1]).toBe('POST /api/chat')
      // After its cursor: the last id, qualified with the stream's epoch.
      expect(requests[2]).toMatch(/^GET \/api\/chat\/chat-1\/stream after [a-z][0-9a-z]{9}\.\d+$/)
      expect(requests[3]).toBe('GET /api/chat/chat-1/stream')
      await page.close()
    })
  },
)
