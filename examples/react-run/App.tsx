/** A run view with `useRun`: status and step, the text as it streams, tool calls, and the end. */
import { RunstreamProvider, useRun } from 'runstream/react'

function RunView({ id }: { id: string }) {
  const { run, readyState, error } = useRun('workflow', id)
  return (
    <article>
      <p id="status">{run.status}</p>
      <p id="step">{run.step ?? ''}</p>
      {readyState === 'connecting' && error ? (
        <p id="connection">reconnecting ({error.code})…</p>
      ) : null}
      <p id="output">{run.text}</p>
      <ul id="tools">
        {run.toolCalls.map((call) => (
          <li key={call.id} data-status={call.status}>
            {call.tool_name}({JSON.stringify(call.args)}){' '}
            {call.status === 'running'
              ? '…'
              : call.status === 'done'
                ? '✓'
                : `✗ ${call.error?.message}`}
          </li>
        ))}
      </ul>
      {run.done ? (
        <p id="end">
          {run.error ? `failed: ${run.error.message}` : `done in ${run.durationMs ?? '?'} ms`}
        </p>
      ) : null}
    </article>
  )
}

/** The page: one run, served by the same origin (`baseUrl: ''`). */
export function App() {
  return (
    <RunstreamProvider baseUrl="">
      <RunView id="exec_1" />
    </RunstreamProvider>
  )
}
