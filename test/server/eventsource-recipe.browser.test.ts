import { readFileSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStreamManager, executionCatalog } from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'
import { chromiumPath, launchChromium, requireChromium } from '../helpers/browser.js'
import { startServer, type TestServer, waitFor } from '../helpers/http.js'

// The native EventSource recipe of docs/server.md, taken from the doc as it is written and run
// in Chromium against runstream's own server in its default (payload) framing.

requireChromium('EventSource recipe test')

/** The recipe's code block: the one that defines `watchRun`. */
function recipeFromDocs(): string {
  const doc = readFileSync(new URL('../../docs/server.md', import.meta.url), 'utf8')
  const block = /```js\n(\/\/ A run, followed with the browser's own EventSource[\s\S]*?)```/.exec(
    doc,
  )
  if (block === null) throw new Error('docs/server.md has no EventSource recipe block')
  return block[1] as string
}

/** The page: the recipe, and a `start(url)` that records what each of its callbacks is told. */
const PAGE = `<!doctype html><script>
${recipeFromDocs()}
window.log = []
window.start = (url) => {
  window.source = watchRun(url, {
    text: (text) => window.log.push(['text', text]),
    done: (result) => window.log.push(['done', result]),
    failed: (failure) => window.log.push(['failed', failure]),
    reconnecting: () => window.log.push(['reconnecting']),
    closed: () => window.log.push(['closed']),
    gap: (gap) => window.log.push(['gap', gap]),
  })
}
</script>`

describe.skipIf(chromiumPath === undefined)('the native EventSource recipe, in Chromium', () => {
  let browser: Browser
  let server: TestServer
  const manager = createStreamManager({ catalog: executionCatalog })
  const cursors: (string | undefined)[] = []
  const handler = createNodeHandler(manager, {
    retryMs: 50,
    authorize: (_request, stream) => stream !== 'workflow:forbidden',
  })

  beforeAll(async () => {
    server = await startServer((req, res) => {
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        res.end(PAGE)
        return
      }
      cursors.push(req.headers['last-event-id'] as string | undefined)
      void handler(req, res)
    })
    browser = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    handler.close()
    await server?.close()
  })

  async function open(id: string): Promise<Page> {
    const page = await browser.newPage()
    await page.goto(server.url)
    await page.evaluate(
      (url) => (window as unknown as { start(u: string): void }).start(url),
      `/api/v0/executions/workflows/${id}/stream`,
    )
    return page
  }

  const logOf = (page: Page) => page.evaluate(() => (window as unknown as { log: unknown[][] }).log)
  const readyState = (page: Page) =>
    page.evaluate(() => (window as unknown as { source: EventSource }).source.readyState)

  /** Polls the page's log until `predicate` holds (a condition, never a fixed wait). */
  async function until(page: Page, predicate: (log: unknown[][]) => boolean, what: string) {
    const deadline = Date.now() + 10_000
    for (;;) {
      const log = await logOf(page)
      if (predicate(log)) return log
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; the page saw ${JSON.stringify(log)}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  it('gets each payload in e.data through a listener per event name, and closes on complete', async () => {
    const page = await open('ok')
    const run = manager.stream('workflow:ok')
    run.emit('llm_chunk', { text: 'Hel' })
    run.emit('llm_chunk', { text: 'lo' })
    run.emit('complete', { status: 'SUCCESS', output: 'Hello' })
    const log = await until(page, (l) => l.some(([kind]) => kind === 'done'), 'complete')
    expect(log).toEqual([
      ['text', 'Hel'],
      ['text', 'lo'],
      ['done', { status: 'SUCCESS', output: 'Hello' }],
    ])
    expect(await readyState(page)).toBe(2)
    await page.close()
  })

  it("tells the run's terminal error event from a connection error", async () => {
    const page = await open('fails')
    manager.stream('workflow:fails').emit('llm_chunk', { text: 'partial' })
    await until(page, (l) => l.length === 1, 'the first token')
    // A dropped connection first: the browser reconnects by itself with Last-Event-ID.
    cursors.length = 0
    server.dropConnections()
    await until(page, (l) => l.some(([kind]) => kind === 'reconnecting'), 'the reconnect')
    await waitFor(() => cursors.includes('1'), 10_000, 'the reconnect with Last-Event-ID: 1')
    manager.stream('workflow:fails').emit('error', {
      status: 'FAILED',
      error: { message: 'tool timed out' },
    })
    const log = await until(page, (l) => l.some(([kind]) => kind === 'failed'), 'the error')
    expect(log).toEqual([
      ['text', 'partial'],
      ['reconnecting'],
      ['failed', { status: 'FAILED', error: { message: 'tool timed out' } }],
    ])
    expect(await readyState(page)).toBe(2)
    await page.close()
  })

  it('says closed when the server refuses the stream, which EventSource does not retry', async () => {
    const page = await open('forbidden')
    expect(await until(page, (l) => l.length > 0, 'the refusal')).toEqual([['closed']])
    expect(await readyState(page)).toBe(2)
    await page.close()
  })
})
