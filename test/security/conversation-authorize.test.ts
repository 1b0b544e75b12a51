import { describe, expect, it } from 'vitest'
import { agUiCatalog, createAgUiHandler } from '../../src/ag-ui.js'
import { createChatHandler, uiMessageCatalog } from '../../src/ai-sdk.js'
import { createStreamManager } from '../../src/index.js'

// The adapters' routes that name only a conversation (an AI SDK chat, an AG-UI thread) answer
// 204 or 404 when it has no run. `authorize` is asked about the conversation first, so a caller
// who may not see it cannot learn from that answer whether it has a run.

const asked: string[] = []
const authorize = (request: Request, stream: string) => {
  asked.push(stream)
  return request.headers.get('authorization') === 'Bearer ok'
}
const allowed = { authorization: 'Bearer ok' }

function chatHandler() {
  const manager = createStreamManager({ catalog: uiMessageCatalog, onError: () => undefined })
  return createChatHandler(manager, { run: async function* () {}, authorize })
}

function agentHandler() {
  const manager = createStreamManager({ catalog: agUiCatalog, onError: () => undefined })
  return createAgUiHandler(manager, { run: async function* () {}, authorize })
}

describe('authorize on the routes that name a conversation', () => {
  it('the AI SDK resume route asks about the chat before it says the chat has no reply', async () => {
    const handler = chatHandler()
    asked.length = 0
    const refused = await handler(new Request('http://x.test/api/chat/secret/stream'))
    expect(refused.status).toBe(403)
    expect(asked).toEqual(['chat-run:secret'])
    const answered = await handler(
      new Request('http://x.test/api/chat/secret/stream', { headers: allowed }),
    )
    expect(answered.status).toBe(204)
  })

  it('the AI SDK cancel route asks about the chat before it says the chat is unknown', async () => {
    const handler = chatHandler()
    const refused = await handler(
      new Request('http://x.test/api/chat/secret/cancel', { method: 'POST' }),
    )
    expect(refused.status).toBe(403)
    const answered = await handler(
      new Request('http://x.test/api/chat/secret/cancel', { method: 'POST', headers: allowed }),
    )
    expect(answered.status).toBe(404)
  })

  it("AG-UI's thread routes ask about the thread before they say it has no run", async () => {
    const handler = agentHandler()
    asked.length = 0
    const refused = await handler(new Request('http://x.test/agent/threads/secret/stream'))
    expect(refused.status).toBe(403)
    expect(asked).toEqual(['agent-thread:secret'])
    const cancel = await handler(
      new Request('http://x.test/agent/threads/secret/cancel', { method: 'POST' }),
    )
    expect(cancel.status).toBe(403)
    const answered = await handler(
      new Request('http://x.test/agent/threads/secret/stream', { headers: allowed }),
    )
    expect(answered.status).toBe(204)
  })
})
