/**
 * runstream's SSE routes in a Fastify app: one wildcard route hands the raw request and response
 * to the Node handler, after `reply.hijack()` tells Fastify that the handler answers.
 * Run it: `npx tsx examples/fastify/server.ts`, then open
 * http://localhost:3000/api/v0/executions/workflows/exec_1/stream.
 */
import Fastify from 'fastify'
import { createStreamManager, executionCatalog } from 'runstream'
import { createNodeHandler } from 'runstream/node'
import { playFakeRun } from '../shared/fake-run.js'

const manager = createStreamManager({ catalog: executionCatalog })
const handler = createNodeHandler(manager, {
  // Only signed-in users may watch: `authorize` runs once per request, before the stream starts.
  authorize: (request) => request.headers.get('authorization') !== 'Bearer revoked',
})
const app = Fastify()

app.get('/health', async () => ({ ok: true }))
app.get('/api/v0/executions/*', (request, reply) => {
  // From here the handler owns the response: Fastify neither serializes nor ends it.
  reply.hijack()
  return handler(request.raw, reply.raw)
})
// Streams end with runstream.error (aborted) on shutdown, so clients resume elsewhere.
app.addHook('onClose', async () => handler.close())

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' })
const { port } = new URL(address)
console.log(`Listening on http://localhost:${port}`)
console.log(`Watch: http://localhost:${port}/api/v0/executions/workflows/exec_1/stream`)
void playFakeRun(manager.stream('workflow:exec_1'))
