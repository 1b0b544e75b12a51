import { afterEach, expect, it } from 'vitest'
import { connect } from '../../src/client.js'
import { executionCatalog } from '../../src/index.js'
import { stopAll } from '../cli/spawn.js'
import { chromiumPath, requireChromium, withPage } from '../helpers/browser.js'
import { startExample } from './servers.js'

afterEach(stopAll)

requireChromium('chat-express example test')

const START = '/api/v0/executions/agents'

it('examples/chat-express streams a reply to a POST, with the Location to resume at', async () => {
  const { url } = await startExample('examples/chat-express/server.ts')
  let location: string | null = null
  const texts: string[] = []
  const run = connect(`${url}${START}`, {
    method: 'POST',
    body: JSON.stringify({ message: 'hi' }),
    headers: { 'content-type': 'application/json' },
    catalog: executionCatalog,
    reconnect: false,
    onOpen: (response) => {
      location = response.headers.get('location')
    },
  })
  let last: string | undefined
  for await (const event of run) {
    if (event.type === 'llm_chunk') texts.push(event.data.text)
    last = event.type
  }
  expect(last).toBe('complete')
  expect(texts.join('')).toMatch(/^You asked: "hi"\. Server-sent events/)
  expect(location).toMatch(/^\/api\/v0\/executions\/agents\/[A-Za-z0-9_-]+\/stream$/)
  // The finished reply is still there for a page that reloads: its whole history.
  const history = await fetch(`${url}${location}`)
  expect(history.status).toBe(200)
  expect(await history.text()).toContain('event: complete')
  const notJson = await fetch(`${url}${START}`, {
    method: 'POST',
    body: 'hello',
    headers: { 'content-type': 'text/plain' },
  })
  expect(notJson.status).toBe(400)
})

it('examples/chat-express stops a reply with POST …/cancel', async () => {
  const { url } = await startExample('examples/chat-express/server.ts', { EXAMPLE_DELAY_MS: '200' })
  let location = ''
  const run = connect(`${url}${START}`, {
    method: 'POST',
    body: JSON.stringify({ message: 'a long one' }),
    headers: { 'content-type': 'application/json' },
    catalog: executionCatalog,
    reconnect: false,
    onOpen: (response) => {
      location = response.headers.get('location') ?? ''
    },
  })
  const types: string[] = []
  let ended: { status: string } | undefined
  for await (const event of run) {
    types.push(event.type)
    if (event.type === 'llm_chunk' && types.length === 2) {
      const stop = await fetch(`${url}${location.replace(/\/stream$/, '/cancel')}`, {
        method: 'POST',
      })
      expect(stop.status).toBe(202)
      expect(await stop.json()).toMatchObject({ outcome: 'canceled' })
    }
    if (event.type === 'error') ended = event.data
  }
  expect(ended).toMatchObject({ status: 'CANCELED' })
  expect(types.filter((type) => type === 'llm_chunk').length).toBeLessThan(10)
})

it.skipIf(chromiumPath === undefined)(
  'examples/chat-express in Chromium: a reply streams, survives a reload, and Stop ends the next one',
  async () => {
    const { url } = await startExample('examples/chat-express/server.ts', {
      EXAMPLE_DELAY_MS: '40',
    })
    await withPage(url, async (page) => {
      await page.fill('#message', 'first')
      await page.click('#send')
      await page.waitForFunction(
        () => (document.getElementById('reply')?.textContent ?? '').length > 20,
      )
      // A reload in the middle re-attaches to the reply and shows all of it.
      await page.reload()
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'done')
      expect(await page.textContent('#reply')).toMatch(/^You asked: "first"\. .* runs\. $/)

      await page.fill('#message', 'second')
      await page.click('#send')
      await page.waitForFunction(
        () => (document.getElementById('reply')?.textContent ?? '').length > 20,
      )
      await page.click('#stop')
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'stopped')
      expect(await page.textContent('#reply')).not.toMatch(/runs\. $/)
    })
  },
)
