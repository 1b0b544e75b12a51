// Tests wait on conditions, never on fixed sleeps: a sleep long enough on a quiet machine is too
// short on a loaded one, and a test must pass while another process keeps a core busy.

// Taken before any test can install fake timers, so that waiting still works under them.
const realSetTimeout = globalThis.setTimeout
const realNow = Date.now

/** How {@link waitFor} waits. */
export interface WaitOptions {
  /** How long to wait before failing, in ms. @defaultValue 10_000 */
  timeoutMs?: number
  /** What is awaited, for the failure message ("the connection to be released"). */
  what?: string
  /** How often the condition is polled, in ms. @defaultValue 5 */
  intervalMs?: number
}

/**
 * Waits until `condition` holds, polling it; fails after `timeoutMs` with a message that names
 * what it waited for. The timeout is a limit on failure, never what makes a test pass.
 *
 * The second argument may also be the timeout in ms, then `what`: `waitFor(check, 5000, 'x')`.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  options: WaitOptions | number = {},
  what?: string,
): Promise<void> {
  const settings: WaitOptions =
    typeof options === 'number'
      ? { timeoutMs: options, ...(what === undefined ? {} : { what }) }
      : options
  const timeoutMs = settings.timeoutMs ?? 10_000
  const intervalMs = settings.intervalMs ?? 5
  const deadline = realNow() + timeoutMs
  while (!(await condition())) {
    if (realNow() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${settings.what ?? 'condition'}`)
    }
    await pause(intervalMs)
  }
}

/**
 * Waits `ms` of real time. Only for what a test deliberately creates (a producer's pace, an
 * outage of a chosen length, a quiet period the code under test must live through), never to
 * give something time to happen: wait for that with {@link waitFor}.
 */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => realSetTimeout(resolve, ms))
}
