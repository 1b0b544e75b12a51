/**
 * Every failure runstream reports has one of these codes. Recognise errors by `code`
 * (see {@link isRunstreamError}); `instanceof` breaks when two copies of the package are loaded.
 */
export type RunstreamErrorCode =
  /** An event's payload did not pass its zod schema. */
  | 'validation_failed'
  /** An event type that the catalog does not define. */
  | 'unknown_event'
  /** An emit after the stream's terminal event. */
  | 'stream_finished'
  /** The payload could not be turned into JSON (BigInt, cycle, …). */
  | 'serialization_failed'
  /** An event larger than `maxEventBytes`. */
  | 'event_too_large'
  /** A transport threw or rejected while sending an event. */
  | 'transport_failed'
  /** A transport's own bounded queue was full and an event was dropped from it. */
  | 'transport_overflow'
  /**
   * The event store failed (Redis down, …). For an emit: the event was not stored, and emitting
   * it again makes no duplicate.
   */
  | 'store_failed'
  /**
   * An emit whose outcome the store could not learn (a command timed out, or its connection was
   * lost after sending it): the event may have been stored. Emitting it again may make a
   * duplicate; see docs/reliability.md.
   */
  | 'store_unknown'
  /** A cursor (Last-Event-ID) older than what the store still holds, or unknown to it. */
  | 'cursor_expired'
  /** A cursor that is not a decimal event id. */
  | 'invalid_cursor'
  /** A subscriber fell more than its queue bound behind and was ended. */
  | 'subscriber_overflow'
  /** An HTTP response that is not an event stream (client side). */
  | 'http_error'
  /** The connection failed or dropped (client side). */
  | 'network_error'
  /** No bytes arrived for `idleTimeoutMs` (client side). */
  | 'idle_timeout'
  /** An incoming event could not be parsed, or was too large (client side). */
  | 'parse_error'
  /** The reconnect policy gave up. */
  | 'retries_exhausted'
  /**
   * A stream that broke and cannot be resumed (client side): it was started with a method such
   * as POST, and the server sent no event ids and no `Location` to reconnect to.
   */
  | 'not_resumable'
  /** The operation was aborted by its signal or by `close()`. */
  | 'aborted'
  /** A server hook (`authorize`, `streamExists`) threw; the client got a 500 that reveals nothing. */
  | 'handler_failed'
  /** `startRun` was given the id of a stream that already exists (held events, or a live run). */
  | 'run_exists'
  /**
   * A run was cancelled (`cancelRun`, from any process): the reason of its `signal`, and what is
   * reported when runstream could not end a cancelled run's stream for it.
   */
  | 'run_canceled'

/** Options shared by every {@link RunstreamError}. */
export interface RunstreamErrorOptions {
  /** The underlying error, kept as the standard `cause`. */
  cause?: unknown
  /** Structured, JSON-safe facts about the failure. */
  details?: Record<string, unknown>
}

/**
 * The one base class of runstream's errors. `code` says what kind of failure it is,
 * `details` carries structured facts, and the message says how to fix it.
 *
 * @example
 * ```ts
 * if (isRunstreamError(err, 'cursor_expired')) resumeFromScratch()
 * ```
 */
export class RunstreamError extends Error {
  /** The kind of failure: a string literal, stable across versions. */
  declare readonly code: RunstreamErrorCode
  /** Structured facts about the failure (never secrets, always JSON-safe). */
  declare readonly details: Record<string, unknown> | undefined

  constructor(code: RunstreamErrorCode, message: string, options: RunstreamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'RunstreamError'
    this.code = code
    this.details = options.details
  }
}

/** One problem zod found in a payload, in a JSON-safe shape. */
export interface ValidationIssue {
  /** Where in the payload, as a list of keys and indexes. */
  path: (string | number)[]
  /** What zod said about it. */
  message: string
  /** zod's issue code, such as `invalid_type`. */
  code: string
}

/**
 * An event that its catalog refuses: an unknown type (`code: 'unknown_event'`) or a payload
 * that fails its schema (`code: 'validation_failed'`). Nothing is sent for such an event.
 */
export class EventValidationError extends RunstreamError {
  /** The event type that was emitted or received. */
  readonly eventType: string
  /** The stream it was meant for, when known. */
  readonly stream: string | undefined
  /** What the schema found wrong; empty for an unknown type. */
  readonly issues: ValidationIssue[]

  constructor(
    code: 'unknown_event' | 'validation_failed',
    message: string,
    fields: { eventType: string; stream?: string | undefined; issues?: ValidationIssue[] },
  ) {
    const issues = fields.issues ?? []
    super(code, message, {
      details: { eventType: fields.eventType, stream: fields.stream, issues },
    })
    this.name = 'EventValidationError'
    this.eventType = fields.eventType
    this.stream = fields.stream
    this.issues = issues
  }
}

/**
 * Tells whether `value` is a runstream error, optionally of one `code`. Works across copies of
 * the package because it looks at the shape, not the class.
 */
export function isRunstreamError<C extends RunstreamErrorCode>(
  value: unknown,
  code?: C,
): value is RunstreamError & { code: C } {
  if (!(value instanceof Error)) return false
  const found = (value as { code?: unknown }).code
  if (typeof found !== 'string' || !Object.hasOwn(KNOWN_CODES, found)) return false
  return code === undefined || found === code
}

// A record, not an array, so that adding a code to the union without listing it here fails to compile.
const KNOWN_CODES: Record<RunstreamErrorCode, true> = {
  validation_failed: true,
  unknown_event: true,
  stream_finished: true,
  serialization_failed: true,
  event_too_large: true,
  transport_failed: true,
  transport_overflow: true,
  store_failed: true,
  store_unknown: true,
  cursor_expired: true,
  invalid_cursor: true,
  subscriber_overflow: true,
  http_error: true,
  network_error: true,
  idle_timeout: true,
  parse_error: true,
  retries_exhausted: true,
  not_resumable: true,
  aborted: true,
  handler_failed: true,
  run_exists: true,
  run_canceled: true,
}
