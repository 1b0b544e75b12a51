// The page: RunstreamAgent sends the user's message and shows the answer as it streams. The
// thread id is kept in sessionStorage, so a reload attaches to the thread's running run.
import { RunstreamAgent } from 'runstream/ag-ui'

const threadId = sessionStorage.getItem('threadId') ?? crypto.randomUUID()
sessionStorage.setItem('threadId', threadId)

const agent = new RunstreamAgent({ url: '/api/agent', threadId })
const log = document.getElementById('log') as HTMLElement
const form = document.getElementById('ask') as HTMLFormElement
const input = form.elements.namedItem('message') as HTMLInputElement

agent.subscribe({
  onMessagesChanged({ messages }) {
    log.textContent = messages
      .map((m) => `${m.role}: ${typeof m.content === 'string' ? m.content : ''}`)
      .join('\n')
  },
  onRunFinalized() {
    document.body.dataset.state = 'idle'
  },
})

form.addEventListener('submit', (event) => {
  event.preventDefault()
  agent.addMessage({ id: crypto.randomUUID(), role: 'user', content: input.value })
  input.value = ''
  document.body.dataset.state = 'running'
  void agent.runAgent()
})

// After a reload: attach to the thread's running run, if any, and replay it.
document.body.dataset.state = 'attaching'
void agent.connectAgent().then(() => {
  document.body.dataset.state = 'idle'
})
