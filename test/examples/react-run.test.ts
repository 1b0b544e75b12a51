import { afterEach, expect, it } from 'vitest'
import { stopAll } from '../cli/spawn.js'
import { chromiumPath, requireChromium, withPage } from '../helpers/browser.js'
import { startExample } from './servers.js'

afterEach(stopAll)

requireChromium('react-run example test')

it('examples/react-run serves its page and bundled React app', async () => {
  const { url } = await startExample('examples/react-run/serve.ts')
  expect(await (await fetch(url)).text()).toContain('<script type="module" src="/main.js">')
  const script = await (await fetch(`${url}/main.js`)).text()
  expect(script).toContain('/executions/')
})

it.skipIf(chromiumPath === undefined)(
  'examples/react-run shows the run with useRun in Chromium',
  async () => {
    const { url } = await startExample('examples/react-run/serve.ts')
    await withPage(url, async (page, errors) => {
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'SUCCESS')
      expect(await page.textContent('#output')).toContain('resumes after its last event id.')
      expect(await page.textContent('#tools')).toBe('web_search({"query":"sse"}) ✓')
      expect(await page.textContent('#end')).toMatch(/^done in \d+ ms$/)
      expect(errors).toEqual([])
    })
  },
)
