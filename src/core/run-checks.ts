/**
 * The checks and names of runs: what a kind, an id and a reason may be, fresh ids, and the
 * errors the runs engine raises.
 */
import { describe } from './check.js'
import { isRunstreamError, RunstreamError } from './errors.js'

/** The longest cancellation reason kept; a longer one is cut. */
export const MAX_REASON_LENGTH = 1000
/** The reason of a cancellation that gives none. */
export const DEFAULT_REASON = 'The run was canceled.'

const KIND = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/
/** The longest run id accepted: what a route's path carries. */
export const MAX_RUN_ID_LENGTH = 128
// What a route's path can carry: no slash, dot segment, percent, whitespace or control character.
const RUN_ID = /^[A-Za-z0-9_:@~+=-][A-Za-z0-9_.:@~+=-]*$/

/** Whether `kind` is a valid run kind: letters, digits, `_` and `-`, starting with a letter. */
export function isRunKind(kind: unknown): kind is string {
  return typeof kind === 'string' && KIND.test(kind)
}

/** Whether `id` is a valid run id (the same set as the routes' ids). */
export function isRunId(id: unknown): id is string {
  return (
    typeof id === 'string' &&
    id.length <= MAX_RUN_ID_LENGTH &&
    RUN_ID.test(id) &&
    !id.includes('..')
  )
}

/** Checks the arguments of `startRun`; returns the id given, if any. */
export function checkStart(
  kind: unknown,
  options: { id?: string } | undefined,
): string | undefined {
  if (typeof kind !== 'string' || !KIND.test(kind)) {
    throw new TypeError(
      `startRun: \`kind\` must be a name of letters, digits, _ and - (starting with a letter, up to 64), such as 'workflow', 'agent' or 'task'; got ${describe(kind)}.`,
    )
  }
  if (options === undefined) return undefined
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(
      `startRun: pass an options object such as { id: 'exec_42' }; got ${describe(options)}.`,
    )
  }
  const { id } = options
  if (id !== undefined && !isRunId(id)) {
    throw new TypeError(
      `startRun: \`id\` must be 1 to ${MAX_RUN_ID_LENGTH} characters among letters, digits and _ . : @ ~ + = -, not starting with a dot and without "..", such as "exec_42"; got ${describe(id)}.`,
    )
  }
  return id
}

const STREAM_NAME = /^[^\u0000-\u001f\u007f]{1,512}$/

/** Checks a run's stream name. */
export function checkName(where: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || !STREAM_NAME.test(name)) {
    throw new TypeError(
      `${where}: the run's stream name must be 1 to 512 characters without control characters, such as "workflow:exec_42" (run.name); got ${describe(name)}.`,
    )
  }
}

/** Checks a cancellation's reason, cut to {@link MAX_REASON_LENGTH}. */
export function checkReason(reason: unknown): string {
  if (reason === undefined) return DEFAULT_REASON
  if (typeof reason !== 'string') {
    throw new TypeError(
      `cancelRun: \`reason\` must be a string such as 'Stopped by the user.'; got ${describe(reason)}.`,
    )
  }
  return reason.length > MAX_REASON_LENGTH ? reason.slice(0, MAX_REASON_LENGTH) : reason
}

/** A fresh run id: 16 random bytes in base64url, 22 characters. */
export function freshRunId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** The refusal of a run whose stream exists. */
export function existsError(name: string): RunstreamError {
  return new RunstreamError(
    'run_exists',
    `Cannot start run "${name}": its stream already exists (it holds events, or a run was started under this id). Choose another id, or leave \`id\` out for a fresh one.`,
    { details: { stream: name } },
  )
}

/** The refusal of a run started after `manager.close()`. */
export function closedError(): RunstreamError {
  return new RunstreamError(
    'aborted',
    'startRun was called after manager.close(); create a new manager to start runs.',
  )
}

/** A store failure, as `store_failed` unless it is a runstream error already. */
export function storeError(
  what: string,
  error: unknown,
  stream: string | undefined,
): RunstreamError {
  if (isRunstreamError(error)) return error
  return new RunstreamError(
    'store_failed',
    `The event store could not ${what}: ${error instanceof Error ? error.message : String(error)}.`,
    { cause: error, details: stream === undefined ? {} : { stream } },
  )
}
