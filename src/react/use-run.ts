import { createStreamClient, type ExecutionKind, type WatchOptions } from '../client.js'
import { foldRun, initialRunState, type RunState } from '../fold/run.js'
import { type ConnectionState, openView } from './connection.js'
import { keyOf } from './key.js'
import { defined, type RunstreamConfig, useRunstreamConfig } from './provider.js'
import { useConnection } from './use-connection.js'

/**
 * Options of {@link useRun}: where the server is (else the {@link RunstreamProvider}'s, else the
 * page's own origin), and those of a client's watch, without `signal` (the hook owns the
 * connection's life).
 */
export interface UseRunOptions extends RunstreamConfig, Omit<WatchOptions, 'signal'> {}

/** What {@link useRun} returns: the run as {@link foldRun} folds it, and the state of the connection. */
export interface RunView extends ConnectionState {
  /** The run so far: a new object only when an event changed it. */
  readonly run: RunState
}

const CONNECTING: RunView = {
  run: initialRunState,
  readyState: 'connecting',
  error: undefined,
  lastEventId: undefined,
}
const IDLE: RunView = { ...CONNECTING, readyState: 'closed' }

/**
 * Watches a workflow, agent or task run from a React component and returns, as `run`, what a
 * run view shows: its status, current step, the text streamed so far, tool calls, usage, and the
 * final result or error ({@link foldRun} over every event); beside it the connection's
 * `readyState`, `error` and `lastEventId`. It re-renders at most once a frame however fast
 * tokens arrive, follows the run through disconnects (each event folded once), and closes the
 * connection when the last component showing the run unmounts. `id` `null` or `undefined` opens
 * nothing.
 *
 * `run.error` is the run's failure (its `error` event); `error` is the connection's (a drop it
 * recovers from, or the failure that ended it).
 *
 * @param kind - `'workflow'`, `'agent'` or `'task'`: which route of the server
 * @param id - the execution id
 * @param options - the server (else the provider's), and watch options
 * @example
 * ```tsx
 * import { useRun } from 'runstream/react'
 *
 * export function Run({ id }: { id: string }) {
 *   const { run } = useRun('workflow', id)
 *   return (
 *     <section>
 *       <p>{run.status}{run.step ? ` · ${run.step}` : ''}</p>
 *       <p>{run.text}</p>
 *     </section>
 *   )
 * }
 * ```
 * @see docs/react.md
 */
export function useRun(
  kind: ExecutionKind,
  id: string | null | undefined,
  options: UseRunOptions = {},
): RunView {
  if (id != null && (typeof id !== 'string' || id === '')) {
    throw new TypeError(
      `useRun: the ${kind} id must be a non-empty string (got ${JSON.stringify(id)}); pass null to show no run.`,
    )
  }
  const config: UseRunOptions = { ...useRunstreamConfig(), ...defined(options) }
  // baseUrl may be a URL object, made anew each render: compare it as text.
  const key =
    id == null
      ? undefined
      : keyOf('run', kind, id, { ...config, baseUrl: String(config.baseUrl ?? '') })
  return useConnection(
    key,
    config,
    () =>
      openView(
        (
          { headers, fetch, ...callbacks },
          { baseUrl = '', basePath, catalog, headers: _, fetch: __, ...watch },
        ) => {
          const client = createStreamClient({
            baseUrl,
            ...(basePath === undefined ? {} : { basePath }),
            ...(catalog === undefined ? {} : { catalog }),
            headers,
            fetch,
          })
          return client[kind](id as string, { ...watch, ...callbacks })
        },
        runView,
        config.lastEventId,
      ),
    key === undefined ? IDLE : CONNECTING,
  )
}

// The run so far, folded as each event arrives; a snapshot is taken once a frame.
function runView() {
  let run = initialRunState
  return {
    add(event: Parameters<typeof foldRun>[1]) {
      run = foldRun(run, event)
    },
    read: (state: ConnectionState): RunView => ({ ...state, run }),
  }
}
