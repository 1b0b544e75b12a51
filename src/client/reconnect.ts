import { RunstreamError } from '../core/errors.js'
import type { Outcome } from './attempt.js'
import type { ReconnectInfo } from './options.js'
import { backoffDelay, type ResolvedPolicy } from './policy.js'

/** What the reconnect loop drives, and tells. */
export interface ReconnectLoopHooks {
  /** Starts one attempt: the first sends the first request's method and body. */
  attempt(first: boolean): Promise<Outcome>
  /** Whether the subscription was closed meanwhile. */
  closed(): boolean
  /** Ends the subscription: quietly, or with its fatal error. */
  finish(error?: RunstreamError): void
  /** A failure the loop reconnects after, with the wait it chose. */
  retrying(info: ReconnectInfo): void
  /** Whether a reconnect can resume: a GET, a `Location` to go to, or ids to resume after. */
  resumable(): boolean
  /** The cursor now. */
  lastEventId(): string | undefined
  /** The last `retry:` the server sent, in ms. */
  serverRetryMs(): number | undefined
}

/** The reconnect loop of a subscription: see {@link createReconnectLoop}. */
export interface ReconnectLoop {
  /** Runs attempts until the subscription ends. Never rejects. */
  run(): Promise<void>
  /** Cuts a backoff wait short (`close()`). */
  wake(): void
}

/**
 * Runs attempts one after another: a terminal event, a 204 or a fatal error ends the
 * subscription; a retryable failure waits (backoff with jitter, above the server's `retry:` and
 * `Retry-After`) and tries again, until `maxRetries` failures in a row. An attempt that delivered
 * events the client had not seen, or stayed open `healthyAfterMs`, starts the count again.
 *
 * @param shownUrl - the URL as errors show it
 */
export function createReconnectLoop(
  policy: ResolvedPolicy,
  shownUrl: string,
  hooks: ReconnectLoopHooks,
): ReconnectLoop {
  let wake: (() => void) | undefined

  async function run(): Promise<void> {
    let failures = 0
    let first = true
    while (!hooks.closed()) {
      const outcome = await hooks.attempt(first)
      first = false
      if (hooks.closed()) return
      if (outcome.kind === 'end') return hooks.finish()
      if (outcome.kind === 'restart') continue
      const error = outcome.error
      // Without reconnects (`reconnect: false`) a failure is fatal as itself.
      if (outcome.kind === 'fatal' || policy.maxRetries === 0) return hooks.finish(error)
      if (!hooks.resumable()) {
        return hooks.finish(
          new RunstreamError(
            'not_resumable',
            `${shownUrl}: cannot resume (${error.code}): the server sent no event ids and no Location. Start the stream again.`,
            { cause: error, details: { lastCode: error.code } },
          ),
        )
      }
      failures = outcome.healthy ? 1 : failures + 1
      const lastEventId = hooks.lastEventId()
      if (failures > policy.maxRetries) {
        return hooks.finish(
          new RunstreamError(
            'retries_exhausted',
            `${shownUrl}: ${policy.maxRetries} failed attempts in a row; raise reconnect.maxRetries or resume later with lastEventId.`,
            { cause: error, details: { lastEventId, lastCode: error.code } },
          ),
        )
      }
      const delayMs = backoffDelay(policy, failures, hooks.serverRetryMs(), outcome.retryAfterMs)
      hooks.retrying({ attempt: failures, delayMs, error, lastEventId })
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs)
        wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      wake = undefined
    }
  }

  return {
    run: () =>
      run().catch((unexpected: unknown) => {
        // A bug of ours must end the subscription loudly, never leave it hanging.
        hooks.finish(
          new RunstreamError(
            'network_error',
            `${shownUrl}: client failure: ${String(unexpected)}`,
            {
              cause: unexpected,
            },
          ),
        )
      }),
    wake() {
      wake?.()
    },
  }
}
