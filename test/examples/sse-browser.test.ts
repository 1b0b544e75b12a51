import { execFileSync } from 'node:child_process'
import { chromium } from 'playwright-core'
import { afterEach, expect, it } from 'vitest'
import { stopAll } from '../cli/spawn.js'
import { startExample } from './servers.js'

afterEach(stopAll)

const chromiumPath = (() => {
  try {
    return (
      execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || undefined
    )
  } catch {
    return undefined
  }
})()

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
    const browser = await chromium.launch({
      executablePath: chromiumPath as string,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    })
    try {
      const page = await browser.newPage()
      await page.goto(url)
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'SUCCESS')
      expect(await page.textContent('#output')).toContain('resumes after its last event id.')
    } finally {
      await browser.close()
    }
  },
)
