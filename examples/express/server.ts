/**
 * runstream's SSE routes in an Express app: the Node handler is Express middleware, and paths
 * that are not stream routes go on to the next handler.
 * Run it: `npx tsx examples/express/server.ts`, then open
 * http://localhost:3000/api/v0/executions/workflows/exec_1/stream.
 */
import type { AddressInfo } from 'node:net'
import express from 'express'
import { createStreamManager, executionCatalog } from 'runstream'
import { createNodeHandler } from 'runstream/node'
import { playFakeRun } from '../shared/fake-run.js'

const manager = createStreamManager({ catalog: executionCatalog })
const app = express()

app.get('/health', (_req, res) => {
  res.json({ ok: true })
})
// Only signed-in users may watch: `authorize` runs once per request, before the stream starts.
app.use(
  createNodeHandler(manager, {
    authorize: (request) => request.headers.get('authorization') !== 'Bearer revoked',
  }),
)

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  console.log(`Listening on http://localhost:${port}`)
  console.log(`Watch: http://localhost:${port}/api/v0/executions/workflows/exec_1/stream`)
})
void playFakeRun(manager.stream('workflow:exec_1'))
