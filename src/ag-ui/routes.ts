import { isRunId } from '../core/runs.js'

/**
 * A request to an AG-UI handler, by its path. The handler answers wherever it is mounted: the
 * run and thread routes are recognised by their ending, and any other path is where runs start.
 *
 * | path | route |
 * | --- | --- |
 * | `{mount}` | `POST`: start a run |
 * | `{mount}/runs/{runId}/stream` | `GET`: the run's stream (resume with `Last-Event-ID`) |
 * | `{mount}/runs/{runId}/cancel` | `POST`: cancel the run |
 * | `{mount}/threads/{threadId}/stream` | `GET`: the thread's running run, or 204 |
 * | `{mount}/threads/{threadId}/cancel` | `POST`: cancel the thread's running run |
 */
export type AgUiRoute =
  | { readonly kind: 'start'; readonly mount: string }
  | {
      readonly kind: 'run' | 'thread'
      readonly action: 'stream' | 'cancel'
      readonly mount: string
      /** The run id or the thread id, decoded once. */
      readonly id: string
    }
  | { readonly kind: 'invalid'; readonly what: 'run' | 'thread' }

const ROUTE = /^(.*)\/(runs|threads)\/([^/]+)\/(stream|cancel)$/

/** The longest thread id served: what a stream name can carry with its prefix. */
export const MAX_THREAD_ID_LENGTH = 256

/** Matches a path (as the URL gives it, still percent-encoded) to an AG-UI route. */
export function matchAgUiRoute(pathname: string): AgUiRoute {
  const match = ROUTE.exec(pathname)
  if (match === null) return { kind: 'start', mount: trimSlash(pathname) }
  const [, mount = '', collection, raw = '', action] = match
  const what = collection === 'runs' ? 'run' : 'thread'
  let id: string
  try {
    id = decodeURIComponent(raw)
  } catch {
    return { kind: 'invalid', what }
  }
  const valid = what === 'run' ? isRunId(id) : isThreadId(id)
  if (!valid) return { kind: 'invalid', what }
  return { kind: what, action: action as 'stream' | 'cancel', mount, id }
}

/** Whether `id` can be a thread id on the routes: 1 to 256 characters, no control character. */
export function isThreadId(id: unknown): id is string {
  return (
    typeof id === 'string' &&
    id.length > 0 &&
    id.length <= MAX_THREAD_ID_LENGTH &&
    !/[\u0000-\u001f\u007f]/.test(id)
  )
}

/** The path of a run's stream under `mount`. */
export function runStreamPath(mount: string, runId: string): string {
  return `${mount}/runs/${encodeURIComponent(runId)}/stream`
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}
