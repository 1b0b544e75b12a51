/**
 * A Node consumer of a workflow stream that logs every reconnect.
 * Start a server example first (`npx tsx examples/node-http/server.ts`), then run:
 * `npx tsx examples/sse-node/watch.ts [stream URL]`.
 */
import { executionCatalog } from 'runstream'
import { connect } from 'runstream/client'

const url = process.argv[2] ?? 'http://localhost:3000/api/v0/executions/workflows/exec_1/stream'

const subscription = connect(url, {
  catalog: executionCatalog,
  onOpen: () =>
    console.error(`connected (resuming after ${subscription.lastEventId ?? 'the start'})`),
  onReconnect: ({ attempt, delayMs, error }) =>
    console.error(`reconnect #${attempt} in ${delayMs} ms: ${error.message}`),
})

// The loop ends after the terminal event (`complete` or `error`); the client never reconnects then.
for await (const event of subscription) {
  switch (event.type) {
    case 'llm_chunk':
      process.stdout.write(event.data.text)
      break
    case 'tool_call':
      console.log(`\n[tool] ${event.data.tool_name}(${JSON.stringify(event.data.args)})`)
      break
    case 'complete':
      console.log(`\n[${event.data.status}] after event ${event.id}`)
      break
    case 'error':
      console.log(`\n[${event.data.status}] ${event.data.error.message}`)
      process.exitCode = 1
      break
  }
}
