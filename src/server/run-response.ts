import type { AnyCatalog } from '../core/catalog.js'
import { describe } from '../core/check.js'
import type { Run, StreamManager } from '../core/manager.js'
import { isRunKind, type RunKind } from '../core/runs.js'
import { refusal } from './http-errors.js'
import { fetchIncoming } from './incoming.js'
import { readJson } from './json-body.js'
import { checkManager, checkRunStore } from './manager-check.js'
import type { RunRequestOptions, RunStart, SseOptions } from './options.js'
import { guard } from './pipeline.js'
import { resolveRunOptions } from './run-options.js'
import { answerRunStart, type RunStartSpec } from './run-start.js'
import { resolveSseOptions } from './settings.js'
import { answerResponse, refusalResponse } from './sse-response.js'

/** Which run a request starts, and how: the options of a handler's `startRun`. */
export interface RunRouteOptions<C extends AnyCatalog = AnyCatalog> {
  /** The run's kind: its stream is `<kind>:<id>` (`'agent'`, `'chat'`, …). */
  kind: RunKind
  /**
   * The run's id, when the caller chooses it (such as AG-UI's `runId`). One that is not a valid
   * id gets a `400`; one whose stream exists, a `409` (`run_exists`).
   * @defaultValue a fresh random id
   */
  id?: string
  /**
   * The URL of the `GET` route that serves the run's stream (with `handler.respond` or
   * `createSseResponse`), sent as `Location` and `Content-Location`: a function of the started
   * run, or the URL itself when the id is known.
   * @example
   * ```ts
   * location: (run) => `/api/chat/${run.id}/stream`
   * ```
   */
  location: string | URL | ((run: Run<C>) => string | URL)
  /**
   * The run's input, when the caller read the body already (to validate it, say, with
   * {@link readJsonBody}). Left out, the request's body is read as JSON: `400 invalid_body` when
   * it is not JSON, `413 body_too_large` over `maxBodyBytes`.
   */
  input?: unknown
  /**
   * Starts the run's work, emitting into `run.stream` and stopping when `run.signal` aborts. It
   * is not awaited to its end: the response streams the run from its first event. A throw, or a
   * rejection before the first event, gets a `500` that reveals nothing and is reported to
   * `onError`; a rejection later is reported and cancels the run.
   */
  start(run: RunStart<C>): unknown
}

/** Options of {@link createRunResponse}. */
export interface RunResponseOptions<C extends AnyCatalog = AnyCatalog>
  extends SseOptions,
    RunRequestOptions,
    RunRouteOptions<C> {}

/**
 * Starts a run from a request and answers with its stream: what a handler's `start` route does,
 * for routes of your own (an AG-UI endpoint, an AI SDK chat route). In order: `authorize` with the
 * new run's stream name, the JSON body (unless `input` is given), `manager.startRun(kind, { id })`,
 * then `start(run)`; the response is the run's SSE stream from its first event, with `Location`
 * and `Content-Location` set to `location`, where runstream's client resumes with `GET` after a
 * drop, never sending the body again. A disconnect does not cancel the run unless
 * `cancelOnDisconnect` is set.
 *
 * @param manager - the manager that runs it; its store must support runs (both built-in stores do)
 * @param request - the request that starts the run; its `signal` ends the response (not the run)
 * @example
 * ```ts
 * app.post('/api/agent', (c) =>
 *   createRunResponse(manager, c.req.raw, {
 *     kind: 'agent',
 *     location: (run) => `/api/agent/runs/${run.id}`,
 *     start: async ({ stream, signal, input }) => {
 *       for await (const text of model.stream(input, { signal })) stream.emit('llm_chunk', { text })
 *       stream.emit('complete', { status: 'SUCCESS' })
 *     },
 *   }),
 * )
 * app.get('/api/agent/runs/:id', (c) => handler.respond(c.req.raw, `agent:${c.req.param('id')}`))
 * ```
 * @see docs/runs.md
 */
export async function createRunResponse<C extends AnyCatalog>(
  manager: StreamManager<C>,
  request: Request,
  options: RunResponseOptions<C>,
): Promise<Response> {
  const where = 'createRunResponse'
  checkManager(where, manager)
  const resolved = resolveSseOptions(where, options, manager.onError)
  const runs = resolveRunOptions(where, options)
  const spec = resolveRunRoute(where, manager as StreamManager, options as RunRouteOptions)
  return answerResponse(
    await guard(resolved, () =>
      answerRunStart(manager as StreamManager, resolved, undefined, fetchIncoming(request), {
        ...spec,
        runs,
      }),
    ),
    request,
  )
}

/**
 * Checks the options of a request that starts a run (`createRunResponse`, a handler's
 * `startRun`), and that the manager's store supports runs: a `TypeError` says what to fix.
 */
export function resolveRunRoute(
  where: string,
  manager: StreamManager,
  options: RunRouteOptions,
): Omit<RunStartSpec, 'runs'> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where}: pass options such as { kind: 'agent', location, start }.`)
  }
  const { kind, id, location, start } = options
  if (!isRunKind(kind)) {
    throw new TypeError(
      `${where}: \`kind\` must be a name of letters, digits, _ and - (starting with a letter), such as 'agent' or 'chat'; got ${describe(kind)}.`,
    )
  }
  if (id !== undefined && typeof id !== 'string') {
    throw new TypeError(`${where}: \`id\` must be a string; got ${describe(id)}.`)
  }
  if (typeof start !== 'function') {
    throw new TypeError(
      `${where}: \`start\` must be a function of the run; got ${describe(start)}.`,
    )
  }
  const locate = checkLocation(where, location)
  checkRunStore(where, manager)
  return {
    kind,
    id,
    location: locate,
    input: Object.hasOwn(options, 'input') ? { value: options.input } : undefined,
    start,
  }
}

/** What {@link readJsonBody} found: the body's value, or the error response to send. */
export type JsonBody =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly response: Response }

/**
 * Reads a request's body as JSON, up to `maxBodyBytes`, answering as the run routes do: a JSON
 * `400 invalid_body` when it is not JSON, `413 body_too_large` when it is too large. For a route
 * that validates its input before {@link createRunResponse} (pass the value as `input`).
 *
 * @example
 * ```ts
 * const body = await readJsonBody(request)
 * if (!body.ok) return body.response
 * const input = RunAgentInputSchema.safeParse(body.value)
 * ```
 */
export async function readJsonBody(
  request: Request,
  options?: Pick<RunRequestOptions, 'maxBodyBytes'>,
): Promise<JsonBody> {
  const { maxBodyBytes } = resolveRunOptions('readJsonBody', options)
  const read = await readJson(fetchIncoming(request), maxBodyBytes)
  if ('value' in read) return { ok: true, value: read.value }
  if ('status' in read) return { ok: false, response: refusalResponse(read) }
  // The client went away: nobody reads this answer.
  return {
    ok: false,
    response: refusalResponse(
      refusal(400, 'invalid_body', 'The body could not be read: the client went away.'),
    ),
  }
}

function checkLocation(where: string, location: RunRouteOptions['location']): (run: Run) => string {
  const text = (value: unknown): string => {
    if (value instanceof URL) return value.href
    if (typeof value === 'string' && value !== '' && !/[\u0000-\u001f\u007f]/.test(value)) {
      return value
    }
    throw new TypeError(
      `${where}: \`location\` must be the URL of the run's GET route (a string or URL without control characters), or a function of the run that returns it; got ${describe(value)}.`,
    )
  }
  if (typeof location === 'function') return (run) => text(location(run))
  const fixed = text(location)
  return () => fixed
}
