import { HttpAgent } from '@ag-ui/client'
import { afterEach, expect, it } from 'vitest'
import { stopAll } from '../cli/spawn.js'
import { chromiumPath, requireChromium, withPage } from '../helpers/browser.js'
import { startExample } from './servers.js'

afterEach(stopAll)

requireChromium('ag-ui-hono example test')

it('examples/ag-ui-hono answers an unmodified HttpAgent', async () => {
  const { url } = await startExample('examples/ag-ui-hono/server.ts')
  const agent = new HttpAgent({
    url: `${url}/api/agent`,
    initialMessages: [{ id: 'u1', role: 'user', content: 'Hi' }],
  })
  const { newMessages } = await agent.runAgent()
  expect(newMessages[0]?.content).toMatch(/^You said "Hi"\. .* after its last event\.$/)
  expect(await (await fetch(url)).text()).toContain('<script type="module" src="/page.js">')
})

it.skipIf(chromiumPath === undefined)(
  'examples/ag-ui-hono: its page asks with RunstreamAgent and shows the answer',
  async () => {
    const { url } = await startExample('examples/ag-ui-hono/server.ts')
    await withPage(url, async (page, errors) => {
      await page.waitForFunction(() => document.body.dataset.state === 'idle')
      await page.click('button')
      await page.waitForFunction(
        () =>
          document.body.dataset.state === 'idle' &&
          document.getElementById('log')?.textContent?.includes('after its last event.'),
      )
      expect(await page.textContent('#log')).toMatch(/^user: Hello\nassistant: You said "Hello"\./)
      expect(errors).toEqual([])
    })
  },
)
