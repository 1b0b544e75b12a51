/**
 * runstream's SSE routes on a plain `node:http` server.
 * Run it: `npx tsx examples/node-http/server.ts`, then watch the run it plays:
 * `curl -N http://localhost:3000/api/v0/executions/workflows/exec_1/stream`.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createStreamManager, executionCatalog } from 'runstream'
import { createNodeHandler } from 'runstream/node'
import { playFakeRun } from '../shared/fake-run.js'

const manager = createStreamManager({ catalog: executionCatalog })
const handler = createNodeHandler(manager)
const server = createServer((req, res) => void handler(req, res))

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  console.log(`Listening on http://localhost:${port}`)
  console.log(`Watch: http://localhost:${port}/api/v0/executions/workflows/exec_1/stream`)
})
void playFakeRun(manager.stream('workflow:exec_1'))

// On Ctrl-C, end the open streams with a `runstream.error` so clients resume elsewhere.
process.once('SIGINT', () => {
  handler.close()
  server.close()
  void manager.close()
})
