/**
 * The chat page: Send starts a reply with POST and streams it; a reload re-attaches to the reply
 * in progress with a GET at its Location (kept in sessionStorage), which replays it from the
 * start; Stop cancels it.
 */
import { executionCatalog } from 'runstream'
import { connect } from 'runstream/client'

const form = document.getElementById('ask') as HTMLFormElement
const message = document.getElementById('message') as HTMLInputElement
const stop = document.getElementById('stop') as HTMLButtonElement
const status = document.getElementById('status') as HTMLElement
const reply = document.getElementById('reply') as HTMLElement
// The run in progress: its stream route, from the Location of the POST's answer.
const KEY = 'chat.run'

form.addEventListener('submit', (event) => {
  event.preventDefault()
  void follow(
    connect('/api/v0/executions/agents', {
      method: 'POST',
      body: JSON.stringify({ message: message.value }),
      headers: { 'content-type': 'application/json' },
      catalog: executionCatalog,
      onOpen: (response) => remember(response),
    }),
  )
})

stop.addEventListener('click', () => {
  const location = sessionStorage.getItem(KEY)
  // …/agents/<id>/stream → …/agents/<id>/cancel
  if (location) void fetch(location.replace(/\/stream$/, '/cancel'), { method: 'POST' })
})

// A reload while a reply runs: follow it again from its start.
const running = sessionStorage.getItem(KEY)
if (running) void follow(connect(running, { catalog: executionCatalog }))

function remember(response: Response): void {
  const location = response.headers.get('location')
  if (location) sessionStorage.setItem(KEY, location)
}

async function follow(run: ReturnType<typeof connect<typeof executionCatalog>>): Promise<void> {
  reply.textContent = ''
  status.textContent = 'streaming…'
  stop.disabled = false
  try {
    for await (const event of run) {
      if (event.type === 'llm_chunk') reply.append(event.data.text)
      if (event.type === 'complete') status.textContent = 'done'
      if (event.type === 'error') {
        status.textContent = event.data.status === 'CANCELED' ? 'stopped' : 'failed'
      }
    }
  } catch (error) {
    status.textContent = `failed: ${(error as Error).message}`
  }
  sessionStorage.removeItem(KEY)
  stop.disabled = true
}
