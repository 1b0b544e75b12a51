/**
 * A chat-style app on Express with runstream's runs: `POST /api/v0/executions/agents` starts a
 * reply and streams it, the page resumes it after a drop or a reload (a `GET` at the run's
 * `Location`), and its stop button cancels it (`POST …/agents/:id/cancel`) from any process.
 * Run it: `npx tsx examples/chat-express/server.ts`, then open http://localhost:3000.
 */
import type { AddressInfo } from 'node:net'
import { build } from 'esbuild'
import express from 'express'
import { createStreamManager, executionCatalog } from 'runstream'
import { createNodeHandler } from 'runstream/node'
import { replyTo } from './model.js'

const here = (file: string) => new URL(file, import.meta.url).pathname
const bundle = await build({ entryPoints: [here('main.ts')], bundle: true, write: false })
const script = bundle.outputFiles[0]?.text ?? ''

const manager = createStreamManager({ catalog: executionCatalog })
const app = express()
// runstream takes a body that express.json() parsed, or reads it itself (up to maxBodyBytes).
app.use(express.json({ limit: '64kb' }))

app.use(
  createNodeHandler(manager, {
    // POST /api/v0/executions/agents: one reply per request. Not awaited to its end: the response
    // streams the run from its first event, and a closed tab does not stop it.
    async start({ id, stream, signal, input }) {
      const { message } = input as { message?: unknown }
      stream.emit('agent_status', { status: 'RUNNING' })
      try {
        for await (const text of replyTo(String(message ?? ''), signal)) {
          stream.emit('llm_chunk', { text })
        }
      } catch (error) {
        if (!signal.aborted) throw error
      }
      if (signal.aborted) {
        // Stopped (by the stop button, from any process): end the run at once, in its own words.
        stream.emit('error', {
          status: 'CANCELED',
          error: { message: 'Stopped.', code: 'canceled' },
        })
        return
      }
      stream.emit('complete', { status: 'SUCCESS', result: { run: id } })
    },
  }),
)

app.get('/', (_req, res) => {
  res.type('html').send(PAGE)
})
app.get('/main.js', (_req, res) => {
  res.type('text/javascript').send(script)
})

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`Open http://localhost:${(server.address() as AddressInfo).port}`)
})

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>runstream · chat</title>
    <script type="module" src="/main.js"></script>
    <style>
      body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; }
      #status { color: #667085; }
      #reply { white-space: pre-wrap; min-height: 3rem; }
    </style>
  </head>
  <body>
    <form id="ask">
      <input id="message" value="Tell me about server-sent events" size="40" />
      <button id="send">Send</button>
      <button id="stop" type="button" disabled>Stop</button>
    </form>
    <p id="status">ready</p>
    <p id="reply"></p>
  </body>
</html>`
