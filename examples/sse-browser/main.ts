/** The page's script: watch one workflow and append its text as it streams. */
import { executionCatalog } from 'runstream'
import { createStreamClient } from 'runstream/client'

const status = document.getElementById('status') as HTMLElement
const output = document.getElementById('output') as HTMLElement
const client = createStreamClient({ baseUrl: location.origin, catalog: executionCatalog })

const run = client.workflow('exec_1', {
  onOpen: () => {
    status.textContent = 'live'
  },
  onReconnect: ({ attempt }) => {
    status.textContent = `reconnecting (attempt ${attempt})…`
  },
})
for await (const event of run) {
  if (event.type === 'llm_chunk') output.append(event.data.text)
  if (event.type === 'complete' || event.type === 'error') status.textContent = event.data.status
}
