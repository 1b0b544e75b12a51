import { createElement } from 'react'
import { renderToString } from 'react-dom/server'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createStreamManager, executionCatalog } from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'
import { connections } from '../../src/react/use-connection.js'
import { RunstreamProvider, useRun, useStream } from '../../src/react.js'
import { startServer, type TestServer } from '../helpers/http.js'

// Server rendering must not fetch: the hooks render their empty state and open nothing. A real
// server holds a run the page would show, and counts the requests it gets.

const manager = createStreamManager({ catalog: executionCatalog })
const handler = createNodeHandler(manager, { heartbeatMs: 1000, onError: () => {} })
let server: TestServer
let requests = 0

beforeAll(async () => {
  server = await startServer((req, res) => {
    requests++
    void handler(req, res)
  })
  const stream = manager.stream('workflow:ssr')
  stream.emit('llm_chunk', { text: 'already there' })
})
afterAll(async () => {
  handler.close()
  await server.close()
  await manager.close()
})

function Run() {
  const { run, readyState } = useRun('workflow', 'ssr')
  const { events, readyState: streamState } = useStream(
    `${server.url}/api/v0/executions/workflows/ssr/stream`,
  )
  return createElement(
    'p',
    null,
    `${run.status}|${run.text}|${readyState}|${events.length}|${streamState}`,
  )
}

describe('server rendering', () => {
  test('renders the hooks empty and connecting, and fetches nothing', () => {
    let fetches = 0
    const fetch = () => {
      fetches++
      return Promise.reject(new Error('no fetch while rendering on the server'))
    }
    const html = renderToString(
      createElement(RunstreamProvider, { baseUrl: server.url, fetch }, createElement(Run)),
    )
    expect(html).toBe('<p>PENDING||connecting|0|connecting</p>')
    // A connection opens synchronously when a hook subscribes; none exists, so none will fetch.
    expect(connections.size).toBe(0)
    expect(fetches).toBe(0)
    expect(requests).toBe(0)
  })
})
