import { RunstreamError } from '../core/errors.js'
import { type Refusal, refusal } from './http-errors.js'
import type { IncomingRequest } from './incoming.js'
import type { ResolvedSseOptions } from './settings.js'

/**
 * Asks the `authorize` hook whether the request may `action` (`'watch'`, `'start'`,
 * `'cancel'`) `stream`. `undefined` when it may, or when there is no hook; otherwise what to
 * answer: the hook's own `Response`, a 403 that names the stream, or a 500 that reveals nothing
 * when the hook threw (reported to `onError`). Every route asks here, so that each asks the same
 * way.
 */
export async function checkAuthorized(
  options: ResolvedSseOptions,
  incoming: IncomingRequest,
  stream: string,
  action: 'watch' | 'start' | 'cancel',
): Promise<Response | Refusal | undefined> {
  if (options.authorize === undefined) return undefined
  let verdict: boolean | Response
  try {
    verdict = await options.authorize(incoming.toRequest(), stream)
  } catch (error) {
    options.onError(
      new RunstreamError(
        'handler_failed',
        `The authorize hook threw for stream "${stream}" (${action}): ${error instanceof Error ? error.message : String(error)}. The client got a 500; fix the hook.`,
        { cause: error, details: { hook: 'authorize', stream } },
      ),
    )
    return refusal(500, 'internal_error', 'The server failed to handle this request.')
  }
  if (verdict instanceof Response) return verdict
  if (verdict === true) return undefined
  const what = action === 'watch' ? 'stream' : 'run'
  return refusal(403, 'forbidden', `You may not ${action} ${what} "${stream}".`)
}
