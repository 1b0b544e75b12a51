/**
 * A small agent loop (plan, run tasks, reflect) that prints every event as one JSON line on
 * stdout. Run it: `npx tsx examples/orchestrator.ts` (add `| jq .` to read it).
 */
import {
  createStreamManager,
  executionCatalog,
  mergeCatalogs,
  orchestrationCatalog,
} from 'runstream'
import { stdoutTransport } from 'runstream/node'

// The agent loop's own events, plus `complete` and `error` so the stream has an end.
const catalog = mergeCatalogs(executionCatalog, orchestrationCatalog)
const manager = createStreamManager({
  catalog,
  transports: [stdoutTransport()],
  onError: (error) => console.error(`runstream: ${error.message}`),
})

const executionId = `exec_${Date.now().toString(36)}`
const stream = manager.stream(`workflow:${executionId}`)
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const delay = Number(process.env.ORCHESTRATOR_DELAY_MS ?? 40)

async function runTask(taskId: string, description: string): Promise<string> {
  stream.emit('task_started', { task_id: taskId, description })
  stream.emit('thought', { text: `Working on: ${description}` })
  await pause(delay)
  const output = `${description}: 3 findings`
  stream.emit('task_completed', { task_id: taskId, success: true, output })
  return output
}

const started = Date.now()
stream.emit('workflow_start', { workflow_id: 'research', execution_id: executionId })
stream.emit('workflow_status', { status: 'RUNNING', step: 'plan' })
let queue = ['Collect sources on server-sent events', 'Compare client libraries']
let round = 0
const findings: string[] = []
while (queue.length > 0 && round < 3) {
  round++
  for (const [index, description] of queue.entries()) {
    findings.push(await runTask(`r${round}_t${index + 1}`, description))
  }
  // Reflect: the first round finds a gap and plans one more task; the second is satisfied.
  const done = round >= 2
  const newTasks = done ? [] : ['Measure reconnect behaviour']
  stream.emit('reflection', {
    done,
    gaps: done ? [] : ['no numbers on reconnects'],
    new_tasks: newTasks,
  })
  queue = newTasks
}
stream.emit('complete', {
  status: 'SUCCESS',
  output: findings.join('\n'),
  duration_ms: Date.now() - started,
})
await manager.close()
