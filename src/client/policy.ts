import { checkOptions, MAX_TIMER_MS, misuse, show } from './checks.js'

/**
 * When and how often a subscription reconnects. The wait before attempt `n` (1-based) is the
 * floor (the server's `retry:` field or its `Retry-After` header, the larger; 0 without either)
 * plus a random time in `[0, min(maxDelayMs, initialDelayMs × factor^(n-1)))` ("full jitter",
 * so that many clients dropped at once do not come back at once).
 *
 * @see docs/reconnect-and-errors.md
 */
export interface ReconnectPolicy {
  /**
   * The ceiling of the first wait.
   * @defaultValue 1000
   */
  initialDelayMs?: number
  /**
   * The largest ceiling a wait can grow to (the server's `retry:` and `Retry-After` may ask for more,
   * up to 10 minutes).
   * @defaultValue 30_000, or `initialDelayMs` when that is larger
   */
  maxDelayMs?: number
  /**
   * How much the ceiling grows after each failed attempt (1 to 10).
   * @defaultValue 2
   */
  factor?: number
  /**
   * How many attempts in a row may fail before the subscription gives up with a fatal
   * `retries_exhausted` error (its `cause` is the last failure). `Infinity` never gives up.
   * @defaultValue 20
   */
  maxRetries?: number
  /**
   * Randomize each wait within its ceiling, above the floor. Off, the wait is the larger of the
   * ceiling and the floor. Turn off only for tests or a single client.
   * @defaultValue true
   */
  jitter?: boolean
  /**
   * A connection that delivers an event the client had not seen, or stays open this long, is
   * healthy: the next failure starts again from `initialDelayMs` and counts as the first of
   * `maxRetries`. (Events replayed again, or none at all, do not count: a server that closes
   * every connection at once, or re-sends what was delivered, runs out of retries.)
   * @defaultValue 5000
   */
  healthyAfterMs?: number
  /**
   * The random source of the jitter, returning a number in `[0, 1)`; for tests.
   * @defaultValue `Math.random`
   */
  random?: () => number
}

/** A {@link ReconnectPolicy} with every default filled in and checked. */
export interface ResolvedPolicy {
  readonly initialDelayMs: number
  readonly maxDelayMs: number
  readonly factor: number
  readonly maxRetries: number
  readonly jitter: boolean
  readonly healthyAfterMs: number
  readonly random: () => number
}

/** What a server may ask for with `retry:` or `Retry-After` is bounded, so a typo cannot park a client for days. */
export const MAX_SERVER_DELAY_MS = 600_000

/**
 * Fills in and checks a policy. `false` means never reconnect (every failure is fatal).
 * Throws a `TypeError` that names the option and what to pass, on any value out of range.
 */
export function resolvePolicy(policy: ReconnectPolicy | false = {}): ResolvedPolicy {
  if (policy === false) return { ...DEFAULTS, maxRetries: 0 }
  if (typeof policy !== 'object' || policy === null) {
    misuse('connect', 'reconnect', `must be a policy object or false, not ${show(policy)}.`)
  }
  const { initialDelayMs, maxDelayMs } = policy
  checkOptions('connect: reconnect', policy, {
    initialDelayMs: [0, MAX_SERVER_DELAY_MS],
    maxDelayMs: [initialDelayMs ?? 0, MAX_SERVER_DELAY_MS],
    factor: [1, 10, 1],
    maxRetries: [0, Infinity],
    jitter: 'boolean',
    healthyAfterMs: [0, MAX_TIMER_MS],
    random: 'function',
  })
  const resolved: Record<string, unknown> = { ...DEFAULTS }
  // `{ maxDelayMs: undefined }` means "the default", not "no value".
  for (const [key, value] of Object.entries(policy)) if (value !== undefined) resolved[key] = value
  // A large initialDelayMs alone raises the default ceiling rather than being refused.
  resolved.maxDelayMs = maxDelayMs ?? Math.max(DEFAULTS.maxDelayMs, initialDelayMs ?? 0)
  return resolved as unknown as ResolvedPolicy
}

/**
 * The wait before reconnect attempt `attempt` (1 for the first retry after a failure): with
 * jitter, the floor plus a random share of the exponential ceiling; without, the larger of the
 * two.
 *
 * @param serverRetryMs - the last `retry:` the server sent, if any: a floor
 * @param retryAfterMs - the failed response's `Retry-After`, if any: a floor
 */
export function backoffDelay(
  policy: ResolvedPolicy,
  attempt: number,
  serverRetryMs: number | undefined,
  retryAfterMs: number | undefined,
): number {
  const ceiling = Math.min(
    policy.maxDelayMs,
    policy.initialDelayMs * policy.factor ** Math.max(0, attempt - 1),
  )
  const delay = policy.jitter ? Math.floor(policy.random() * ceiling) : ceiling
  const floor = Math.min(MAX_SERVER_DELAY_MS, Math.max(serverRetryMs ?? 0, retryAfterMs ?? 0))
  // With jitter the wait is spread above the floor, not clamped to it: clients dropped together
  // (a server restart, a 503 with Retry-After) would otherwise all come back at the same moment.
  return policy.jitter ? floor + delay : Math.max(delay, floor)
}

const DEFAULTS: ResolvedPolicy = {
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  factor: 2,
  maxRetries: 20,
  jitter: true,
  healthyAfterMs: 5000,
  random: Math.random,
}
