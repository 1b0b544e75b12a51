import { describe, expect, it } from 'vitest'
import { agUiCatalog, createAgUiHandler } from '../../src/ag-ui.js'
import { createChatHandler, ResumableChatTransport, uiMessageCatalog } from '../../src/ai-sdk.js'
import { createStreamManager, executionCatalog } from '../../src/index.js'
import { toNodeHandler } from '../../src/node.js'
import { createFetchHandler } from '../../src/server.js'

// Misuse of the adapters' options throws a TypeError that says the fix, where it is given.

describe('adapter options', () => {
  const chatManager = createStreamManager({ catalog: uiMessageCatalog })
  const run = () => (async function* () {})()

  it('createChatHandler: a run, the chunk catalog, a chat route', () => {
    expect(() => createChatHandler(chatManager, {} as never)).toThrowError(/pass \{ run \}/)
    const other = createStreamManager({ catalog: executionCatalog })
    expect(() => createChatHandler(other as never, { run })).toThrowError(/uiMessageCatalog/)
    for (const api of ['api/chat', '/', '/api/../chat', '/api/chat?x=1']) {
      expect(() => createChatHandler(chatManager, { run, api })).toThrowError(/`api` must be/)
    }
    expect(() => createChatHandler(chatManager, { run, heartbeatMs: 0 })).toThrowError(
      /heartbeatMs/,
    )
  })

  it('createAgUiHandler: a run and agUiCatalog', () => {
    const manager = createStreamManager({ catalog: agUiCatalog })
    expect(() => createAgUiHandler(manager, {} as never)).toThrowError(/pass \{ run \}/)
    expect(() => createAgUiHandler(chatManager as never, { run })).toThrowError(/agUiCatalog/)
  })

  it("toNodeHandler takes only the adapters' handlers; the transport needs an api", () => {
    const streams = createFetchHandler(createStreamManager({ catalog: executionCatalog }))
    expect(() => toNodeHandler(streams as never)).toThrowError(/createNodeHandler/)
    expect(() => new ResumableChatTransport({ api: '' })).toThrowError(/`api` must be/)
  })
})
