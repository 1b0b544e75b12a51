import { afterEach, expect, it } from 'vitest'
import { createStreamManager, executionCatalog } from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'
import { start, stopAll } from '../cli/spawn.js'
import { startServer, type TestServer } from '../helpers/http.js'
import { startExample } from './servers.js'

let server: TestServer | undefined
afterEach(async () => {
  await stopAll()
  await server?.close()
})

it('examples/sse-node prints the streamed text and the final status', async () => {
  const { url } = await startExample('examples/node-http/server.ts')
  const watch = start('examples/sse-node/watch.ts', [
    `${url}/api/v0/executions/workflows/exec_1/stream`,
  ])
  expect(await watch.exited).toBe(0)
  expect(watch.stdout()).toContain('Server-sent events carry each step of')
  expect(watch.stdout()).toContain('[tool] web_search({"query":"sse"})')
  expect(watch.stdout()).toMatch(/\[SUCCESS\] after event \d+\n$/)
})

it('examples/sse-node logs a reconnect when the connection drops, and misses nothing', async () => {
  const manager = createStreamManager({ catalog: executionCatalog })
  const handler = createNodeHandler(manager, { retryMs: 10 })
  server = await startServer((req, res) => void handler(req, res))
  const stream = manager.stream('workflow:w')
  const watch = start('examples/sse-node/watch.ts', [
    `${server.url}/api/v0/executions/workflows/w/stream`,
  ])
  await watch.waitFor(/connected \(resuming after the start\)/)
  stream.emit('llm_chunk', { text: 'one ' })
  await watch.waitFor(/one /)
  server.dropConnections()
  stream.emit('llm_chunk', { text: 'two ' })
  await watch.waitFor(/reconnect #1 in \d+ ms/, { stream: 'stderr' })
  // The cursor: event 1, qualified with the stream's epoch.
  await watch.waitFor(/connected \(resuming after [a-z][0-9a-z]{9}\.1\)/, { stream: 'stderr' })
  stream.emit('complete', { status: 'SUCCESS' })
  expect(await watch.exited).toBe(0)
  expect(watch.stdout()).toBe('one two \n[SUCCESS] after event 3\n')
})
