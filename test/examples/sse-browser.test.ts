import { afterEach, expect, it } from 'vitest'
import { stopAll } from '../cli/spawn.js'
import { chromiumPath, requireChromium, withPage } from '../helpers/browser.js'
import { startExample } from './servers.js'

afterEach(stopAll)

requireChromium('sse-browser example test')

it('examples/sse-browser serves its page and bundled script', async () => {
  const { url } = await startExample('examples/sse-browser/serve.ts')
  expect(await (await fetch(url)).text()).toContain('<script type="module" src="/main.js">')
  const script = await (await fetch(`${url}/main.js`)).text()
  expect(script).toContain('/executions/')
})

it.skipIf(chromiumPath === undefined)(
  'examples/sse-browser shows the streamed text in Chromium',
  async () => {
    const { url } = await startExample('examples/sse-browser/serve.ts')
    await withPage(url, async (page) => {
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'SUCCESS')
      expect(await page.textContent('#output')).toContain('resumes after its last event id.')
    })
  },
)
