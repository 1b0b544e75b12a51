/**
 * An AG-UI agent on Hono whose runs survive dropped connections and reloads: createAgUiHandler is
 * the URL any AG-UI client (HttpAgent, CopilotKit, RunstreamAgent) is pointed at. The page
 * (page.ts, bundled with esbuild) talks to it with RunstreamAgent. The agent is made up, so it
 * runs without a model key: swap `fakeAgent` for your model's stream.
 * Run it: `npx tsx examples/ag-ui-hono/server.ts`, then open http://localhost:3000.
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createStreamManager } from 'runstream'
import { type AgUiRun, agUiCatalog, createAgUiHandler } from 'runstream/ag-ui'
import { loadPage } from '../shared/page.js'

const delayMs = Number(process.env.EXAMPLE_DELAY_MS ?? 60)

/** A made-up agent: it answers the last user message word by word, as a model streams tokens. */
const fakeAgent: AgUiRun = async function* (input, { signal }) {
  const last = input.messages.at(-1)
  const question = typeof last?.content === 'string' ? last.content : 'nothing'
  const answer = `You said "${question}". Each word is an event in runstream's store: close the tab or cut the network, and the agent picks up after its last event.`
  const messageId = `answer-${input.runId}`
  yield { type: 'TEXT_MESSAGE_START', messageId, role: 'assistant' }
  for (const word of answer.split(/(?<= )/)) {
    if (signal.aborted) return
    await new Promise((resolve) => setTimeout(resolve, delayMs))
    yield { type: 'TEXT_MESSAGE_CONTENT', messageId, delta: word }
  }
  yield { type: 'TEXT_MESSAGE_END', messageId }
}

const manager = createStreamManager({ catalog: agUiCatalog })
const agent = createAgUiHandler(manager, { run: fakeAgent })

const { html, script } = await loadPage(new URL('page.ts', import.meta.url))

const app = new Hono()
app.get('/', (c) => c.html(html))
app.get('/page.js', (c) => c.body(script, 200, { 'content-type': 'text/javascript' }))
// POST /api/agent starts a run; GET /api/agent/runs/:id/stream resumes one;
// GET /api/agent/threads/:id/stream attaches to a thread's running run.
app.all('/api/agent', (c) => agent(c.req.raw))
app.all('/api/agent/*', (c) => agent(c.req.raw))

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' }, (info) =>
  console.log(`Open http://localhost:${info.port}`),
)
