import { isRunstreamError, RunstreamError } from '../core/errors.js'
import type { Run, StreamManager } from '../core/manager.js'
import { freshRunId, isRunId } from '../core/runs.js'
import type { Unlisten } from '../core/store.js'
import { checkAuthorized } from './authorize.js'
import { corsHeadersWithLocation } from './cors.js'
import { type Refusal, refusal } from './http-errors.js'
import type { IncomingRequest } from './incoming.js'
import { readJson } from './json-body.js'
import type { Slot } from './limits.js'
import type { RunStart } from './options.js'
import { sseHeaders } from './prepare.js'
import type { Registry } from './registry.js'
import type { ResolvedRunOptions } from './run-options.js'
import type { ResolvedSseOptions } from './settings.js'
import { type Answer, refuse, shuttingDown, streamAnswer, withCors } from './stream-answer.js'

/** A request that starts a run: which run, where its stream is served, and what starts it. */
export interface RunStartSpec {
  /** The run's kind: its stream is `<kind>:<id>`. */
  readonly kind: string
  /** The id the caller chose; a fresh one when `undefined`. */
  readonly id: string | undefined
  /** The URL of the `GET` route of the run's stream, sent as `Location` and `Content-Location`. */
  location(run: Run): string
  /** The run's input when the caller has it; `undefined`: the request's JSON body. */
  readonly input: { readonly value: unknown } | undefined
  /** Starts the run's work; not awaited to its end. */
  start(run: RunStart): unknown
  readonly runs: ResolvedRunOptions
}

/**
 * Answers a request that starts a run, for the handlers' `POST {basePath}/executions/{kind}s` and
 * `createRunResponse`: the caps, `authorize` (with the new run's stream name), the JSON body
 * (400, 413), the run's claim, then `start`, whose first event (or end) the answer waits for, so
 * that a `start` failing before it gets a 500. The stream answered is the run's, from its first
 * event, with `Location` and `Content-Location`.
 */
export async function answerRunStart(
  manager: StreamManager,
  options: ResolvedSseOptions,
  registry: Registry | undefined,
  incoming: IncomingRequest,
  spec: RunStartSpec,
): Promise<Answer> {
  const closed = () => registry?.closed === true
  if (closed()) return refuse(shuttingDown())
  const cors = corsHeadersWithLocation(options.cors, incoming.header('origin'))
  const refuseWith = (r: Refusal): Answer =>
    refuse(cors === undefined ? r : { ...r, headers: { ...r.headers, ...cors } })
  const id = spec.id ?? freshRunId()
  if (!isRunId(id)) {
    return refuseWith(
      refusal(
        400,
        'invalid_stream_id',
        'Invalid run id: use 1 to 128 characters among letters, digits and _ . : @ ~ + = -, not starting with a dot and without "..".',
      ),
    )
  }
  const name = `${spec.kind}:${id}`
  const admitted = registry === undefined ? undefined : await registry.limiter.admit(incoming)
  if (admitted !== undefined && 'status' in admitted) {
    return refuse(withCors(admitted, incoming, options))
  }
  let slot: Slot | undefined = admitted
  try {
    const answer = await begin()
    return answer
  } finally {
    // Held by the stream answer from here, or given back.
    slot?.release()
  }

  async function begin(): Promise<Answer> {
    const denied = await checkAuthorized(options, incoming, name, 'start')
    if (denied instanceof Response) return { kind: 'response', response: denied }
    if (denied !== undefined) return refuseWith(denied)
    const input = spec.input ?? (await readJson(incoming, spec.runs.maxBodyBytes))
    if ('status' in input) return refuseWith(input)
    if ('gone' in input) return { kind: 'gone' }
    let run: Run
    try {
      run = await manager.startRun(spec.kind, { id })
    } catch (error) {
      if (isRunstreamError(error, 'run_exists')) {
        return refuseWith(
          refusal(409, 'run_exists', `Run "${name}" exists already: start it under another id.`),
        )
      }
      options.onError(
        isRunstreamError(error)
          ? error
          : new RunstreamError('store_failed', `Run "${name}" could not be started.`, {
              cause: error,
              details: { stream: name },
            }),
      )
      return refuseWith(
        refusal(503, 'store_failed', 'The event store is unavailable. Retry later.', undefined, {
          'retry-after': '5',
        }),
      )
    }
    const started = await launch(manager, options, spec, run, input.value, incoming)
    if (!started) return refuseWith(internalError())
    const location = spec.location(run)
    const onRelease = spec.runs.cancelOnDisconnect
      ? () => cancelIfRunning(manager, options, registry, run)
      : undefined
    if (incoming.gone()) {
      onRelease?.()
      return { kind: 'gone' }
    }
    const headers: Record<string, string> = {
      ...sseHeaders(options.protocol),
      ...cors,
      location,
      'content-location': location,
    }
    const plan = { stream: name, lastEventId: undefined, format: 'sse', filter: undefined } as const
    // After close(), the answer still starts: it ends at once with `aborted`, and the client
    // resumes at the Location elsewhere, the run going on.
    const answer = streamAnswer(manager, options, registry, plan, headers, slot, onRelease)
    slot = undefined
    return answer
  }
}

/**
 * Calls `start` with the run and resolves, true, once the run's first event is stored (whatever
 * handle emitted it), once `start` returned or resolved, or after `heartbeatMs` at most; false
 * when it threw or rejected before that (reported, and the run cancelled). A rejection later is
 * reported and cancels the run.
 */
async function launch(
  manager: StreamManager,
  options: ResolvedSseOptions,
  spec: RunStartSpec,
  run: Run,
  input: unknown,
  incoming: IncomingRequest,
): Promise<boolean> {
  let stored = false
  let first: (() => void) | undefined
  // Listening before start is called: its first event either arrives here or never happened.
  let unlisten: Unlisten | undefined
  try {
    unlisten = await manager.store.listen(run.name, {
      event() {
        stored = true
        first?.()
      },
    })
  } catch {
    // The store cannot follow the stream now: the answer waits for start, or heartbeatMs.
  }
  const context: RunStart = { ...run, input, request: incoming.toRequest() }
  let result: unknown
  try {
    result = spec.start(context)
  } catch (error) {
    unlisten?.()
    failed(manager, options, run, error, false)
    return false
  }
  if (!isPromiseLike(result)) {
    unlisten?.()
    return true
  }
  return new Promise<boolean>((resolve) => {
    let decided = false
    const decide = (ok: boolean) => {
      if (decided) return
      decided = true
      clearTimeout(timer)
      first = undefined
      unlisten?.()
      resolve(ok)
    }
    // A start that takes long to emit still gets its answer: its stream opens empty.
    const timer = setTimeout(() => decide(true), options.heartbeatMs)
    first = () => decide(true)
    if (stored) decide(true)
    result.then(
      () => decide(true),
      (error: unknown) => {
        failed(manager, options, run, error, decided)
        decide(false)
      },
    )
  })
}

/** Reports a failed `start` and cancels its run, so that its stream ends. */
function failed(
  manager: StreamManager,
  options: ResolvedSseOptions,
  run: Run,
  error: unknown,
  answered: boolean,
): void {
  options.onError(
    hookFailure(
      'start',
      run.name,
      error,
      answered
        ? 'The run had begun streaming; it was cancelled. End runs with a terminal event, or catch the failure in start.'
        : 'The client got a 500 and the run was cancelled; fix the start function.',
    ),
  )
  cancelReporting(manager, options, run.name, 'The run failed.')
}

/** `cancelOnDisconnect`: the starting request's client left before the run ended. */
function cancelIfRunning(
  manager: StreamManager,
  options: ResolvedSseOptions,
  registry: Registry | undefined,
  run: Run,
): void {
  // A server shutting down is no client leaving: the client resumes elsewhere.
  if (registry?.closed === true || run.stream.finished || manager.stream(run.name).finished) return
  cancelReporting(manager, options, run.name, 'The client disconnected.')
}

/** Cancels the run `name` in the background; a store that fails to is reported, not thrown. */
function cancelReporting(
  manager: StreamManager,
  options: ResolvedSseOptions,
  name: string,
  reason: string,
): void {
  manager.cancelRun(name, reason).catch((error: unknown) => {
    options.onError(
      isRunstreamError(error)
        ? error
        : new RunstreamError('store_failed', `Run "${name}" could not be cancelled.`, {
            cause: error,
            details: { stream: name },
          }),
    )
  })
}

function internalError(): Refusal {
  return refusal(500, 'internal_error', 'The server failed to handle this request.')
}

function hookFailure(hook: string, stream: string, error: unknown, then: string): RunstreamError {
  return new RunstreamError(
    'handler_failed',
    `The ${hook} ${hook === 'start' ? 'function' : 'hook'} threw for run "${stream}": ${error instanceof Error ? error.message : String(error)}. ${then}`,
    { cause: error, details: { hook, stream } },
  )
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function'
}
