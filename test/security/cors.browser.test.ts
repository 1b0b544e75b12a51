import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumPath, launchChromium, requireChromium } from '../helpers/browser.js'
import { type Runstream, startRunstream } from '../reliability/harness.js'

// What the header tests promise, checked where it matters: a real Chromium, a page on one origin
// reading a stream on another, with fetch (a preflight, since it sends Last-Event-ID) and with
// a native EventSource.

requireChromium('CORS browser test')

/** The page's script: reads the stream both ways and says what it could see. */
const PAGE_SCRIPT = `
  window.run = async (url) => {
    const viaFetch = await fetch(url, { headers: { 'last-event-id': '0' } })
      .then((response) => response.text())
      .then((text) => 'read ' + text.length + ' bytes' + (text.includes('secret-text') ? ' with the secret' : ''),
            (error) => 'blocked: ' + error.name)
    const viaEventSource = await new Promise((resolve) => {
      const source = new EventSource(url)
      source.addEventListener('llm_chunk', (event) => { source.close(); resolve('read ' + event.data.length + ' bytes') })
      source.onerror = () => { source.close(); resolve('blocked') }
    })
    return { viaFetch, viaEventSource }
  }
`

describe.skipIf(chromiumPath === undefined)('CORS in a real browser', () => {
  let browser: Browser
  let page: http.Server
  let pageOrigin: string
  const servers: Runstream[] = []

  beforeAll(async () => {
    page = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end(`<!doctype html><script>${PAGE_SCRIPT}</script>`)
    })
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve))
    // The page is on localhost, the streams on 127.0.0.1: two origins.
    pageOrigin = `http://localhost:${(page.address() as AddressInfo).port}`
    browser = await launchChromium()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    for (const server of servers) await server.close()
    page?.closeAllConnections()
    await new Promise((resolve) => page?.close(resolve))
  })

  async function readFrom(options: Parameters<typeof startRunstream>[0]) {
    const runstream = await startRunstream(options)
    servers.push(runstream)
    const producer = runstream.manager.stream('workflow:w1')
    producer.emit('llm_chunk', { text: 'secret-text' })
    producer.emit('complete', { status: 'SUCCESS' })
    const tab = await browser.newPage()
    await tab.goto(`${pageOrigin}/`)
    const url = runstream.streamUrl('workflow', 'w1')
    const result = await tab.evaluate(
      (target) => (window as unknown as { run(url: string): Promise<unknown> }).run(target),
      url,
    )
    await tab.close()
    return result
  }

  it('keeps a page of another origin from reading a stream when CORS is not configured', async () => {
    expect(await readFrom({})).toEqual({
      viaFetch: 'blocked: TypeError',
      viaEventSource: 'blocked',
    })
  })

  it('lets the configured origin read it, with fetch and with EventSource', async () => {
    const result = (await readFrom({ cors: { origin: pageOrigin } })) as Record<string, string>
    expect(result.viaFetch).toMatch(/^read \d+ bytes with the secret$/)
    expect(result.viaEventSource).toMatch(/^read \d+ bytes$/)
  })

  it('keeps out a page whose origin is not the configured one', async () => {
    expect(await readFrom({ cors: { origin: 'https://app.example.com' } })).toEqual({
      viaFetch: 'blocked: TypeError',
      viaEventSource: 'blocked',
    })
  })
})
