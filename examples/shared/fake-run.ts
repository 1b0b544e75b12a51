/**
 * A made-up agent run for the server examples, so there is something to watch: a workflow
 * starts, an agent streams a sentence word by word, calls a tool, and completes.
 */
import type { executionCatalog, StreamHandle } from 'runstream'

const ANSWER =
  'Server-sent events carry each step of the run to the browser, and a client that drops resumes after its last event id.'

/**
 * Plays the run into `stream`, one event every `delayMs` (the `EXAMPLE_DELAY_MS` environment
 * variable, 150 ms by default). Resolves after `complete`.
 */
export async function playFakeRun(
  stream: StreamHandle<typeof executionCatalog>,
  delayMs = Number(process.env.EXAMPLE_DELAY_MS ?? 150),
): Promise<void> {
  const pause = () => new Promise((resolve) => setTimeout(resolve, delayMs))
  const started = Date.now()
  const executionId = stream.name.slice(stream.name.indexOf(':') + 1)
  stream.emit('workflow_start', { workflow_id: 'example', execution_id: executionId })
  stream.emit('workflow_status', { status: 'RUNNING', step: 'answer' })
  for (const [index, word] of ANSWER.split(' ').entries()) {
    if (index === 6) {
      const call = { tool_name: 'web_search', call_id: 'call_1' }
      stream.emit('tool_call', { ...call, args: { query: 'sse' } })
      stream.emit('tool_result', { ...call, output: ['html.spec.whatwg.org'], duration_ms: 42 })
    }
    stream.emit('llm_chunk', { text: `${word} ` })
    await pause()
  }
  stream.emit('complete', { status: 'SUCCESS', output: ANSWER, duration_ms: Date.now() - started })
}
