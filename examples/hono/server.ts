/**
 * runstream's SSE routes in a Hono app, through the Fetch handler: the same code runs on Bun,
 * Deno and Workers; here `@hono/node-server` runs it on Node.
 * Run it: `npx tsx examples/hono/server.ts`, then open
 * http://localhost:3000/api/v0/executions/workflows/exec_1/stream.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createStreamManager, executionCatalog } from 'runstream'
import { createFetchHandler } from 'runstream/server'
import { playFakeRun } from '../shared/fake-run.js'

const manager = createStreamManager({ catalog: executionCatalog })
const streams = createFetchHandler(manager)

const app = new Hono()
app.get('/', (c) => c.text('Watch /api/v0/executions/workflows/exec_1/stream'))
app.get('/api/v0/executions/*', (c) => streams(c.req.raw))

serve(
  { fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' },
  (info) => {
    console.log(`Listening on http://localhost:${info.port}`)
    console.log(`Watch: http://localhost:${info.port}/api/v0/executions/workflows/exec_1/stream`)
  },
)
void playFakeRun(manager.stream('workflow:exec_1'))
