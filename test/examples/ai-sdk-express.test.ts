import { DefaultChatTransport, readUIMessageStream } from 'ai'
import { afterEach, expect, it } from 'vitest'
import { start, stopAll } from '../cli/spawn.js'
import { chromiumPath, requireChromium, withPage } from '../helpers/browser.js'
import { startExample } from './servers.js'

afterEach(stopAll)

requireChromium('ai-sdk-express example test')

it("examples/ai-sdk-express answers the AI SDK's DefaultChatTransport", async () => {
  const { url } = await startExample('examples/ai-sdk-express/server.ts')
  const transport = new DefaultChatTransport({ api: `${url}/api/chat` })
  const stream = await transport.sendMessages({
    trigger: 'submit-message',
    chatId: 'smoke',
    messageId: undefined,
    messages: [{ id: 'u1', role: 'user', parts: [{ type: 'text', text: 'Hi' }] }],
    abortSignal: undefined,
  })
  let text = ''
  for await (const message of readUIMessageStream({ stream })) {
    text = message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('')
  }
  expect(text).toMatch(/^Every chunk of this reply .* never runs twice\.$/)
  expect(await (await fetch(url)).text()).toContain('<script type="module" src="/main.js">')
})

it.skipIf(chromiumPath === undefined)(
  'examples/ai-sdk-express: its useChat page sends a message and keeps the reply across a reload',
  async () => {
    // Words 100 ms apart: the reply, 3 s long, is still running when the page reloads.
    const example = start('examples/ai-sdk-express/server.ts', [], {
      PORT: '0',
      EXAMPLE_DELAY_MS: '100',
    })
    const [, url] = (await example.waitFor(/(http:\/\/localhost:\d+)/)) as RegExpMatchArray
    await withPage(url as string, async (page, errors) => {
      await page.waitForFunction(() => document.querySelector('main')?.dataset.status === 'ready')
      await page.click('button[type=submit]')
      await page.waitForFunction(() => document.querySelector('.assistant') !== null)
      await page.reload()
      await page.waitForFunction(() =>
        document.querySelector('.assistant')?.textContent?.endsWith('never runs twice.'),
      )
      expect(errors).toEqual([])
    })
  },
)
