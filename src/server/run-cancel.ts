import { isRunstreamError, RunstreamError } from '../core/errors.js'
import type { StreamManager } from '../core/manager.js'
import { checkAuthorized } from './authorize.js'
import { corsHeaders } from './cors.js'
import { type Refusal, refusal } from './http-errors.js'
import type { IncomingRequest } from './incoming.js'
import type { ResolvedSseOptions } from './settings.js'
import { type Answer, refuse } from './stream-answer.js'

/** The reason a cancel route gives `manager.cancelRun`. */
export const CANCEL_ROUTE_REASON = 'Canceled by request.'

/**
 * Answers `POST {basePath}/executions/{kind}s/:id/cancel`: `authorize` (with the run's stream
 * name), then `manager.cancelRun`, which reaches the producer in whatever process shares the
 * store. `202 { status, stream, outcome }` for a run that was running (`canceled`) or had
 * finished (`finished`), `404 run_not_found` for one the store does not know. Cancelling twice is
 * harmless. The body, if any, is not read.
 */
export async function answerRunCancel(
  manager: StreamManager,
  options: ResolvedSseOptions,
  incoming: IncomingRequest,
  stream: string,
): Promise<Answer> {
  const cors = corsHeaders(options.cors, incoming.header('origin'))
  const refuseWith = (r: Refusal): Answer =>
    refuse(cors === undefined ? r : { ...r, headers: { ...r.headers, ...cors } })
  const denied = await checkAuthorized(options, incoming, stream, 'cancel')
  if (denied instanceof Response) return { kind: 'response', response: denied }
  if (denied !== undefined) return refuseWith(denied)
  let outcome: Awaited<ReturnType<StreamManager['cancelRun']>>
  try {
    outcome = await manager.cancelRun(stream, CANCEL_ROUTE_REASON)
  } catch (error) {
    options.onError(
      isRunstreamError(error)
        ? error
        : new RunstreamError('store_failed', `Run "${stream}" could not be cancelled.`, {
            cause: error,
            details: { stream },
          }),
    )
    return refuseWith(
      refusal(503, 'store_failed', 'The event store is unavailable. Retry later.', undefined, {
        'retry-after': '5',
      }),
    )
  }
  if (outcome === 'unknown') {
    return refuseWith(refusal(404, 'run_not_found', `No run "${stream}" is known.`))
  }
  return {
    kind: 'json',
    status: 202,
    body: { status: 202, stream, outcome },
    headers: { ...cors },
  }
}
