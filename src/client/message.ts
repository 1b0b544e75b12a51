import type { AnyCatalog, ValidationResult } from '../core/catalog.js'
import { RunstreamError, type RunstreamErrorCode } from '../core/errors.js'
import type { StreamEvent } from './events.js'

/**
 * Reads one SSE message as an event, in either framing (docs/wire-format.md):
 *
 * - **envelope**: `data` is the JSON of an object whose `id` is the SSE id, whose `type` is the
 *   SSE event name, with `stream` and `ts`: that object is the event;
 * - **payload**: anything else. The event is built from the SSE fields (`id` from `id:`, `''`
 *   without one; `type` from `event:`, `'message'` without one; `stream` the one given, if any;
 *   no `ts`), and its `data` is, for now, the parsed object when `data` is a JSON object, else the
 *   text as it came: {@link decodePayload} decides what it is.
 *
 * Whether it is a payload: `event.ts === undefined`.
 */
export function readMessage(
  data: string,
  name: string | undefined,
  id: string | undefined,
  stream: string | undefined,
): StreamEvent {
  const type = name ?? 'message'
  let payload: unknown = data
  // (Never a character read past the end: see parse.ts.)
  if (data.length > 0 && data.charCodeAt(0) === 123) {
    try {
      payload = JSON.parse(data)
    } catch {
      // Not JSON after all: raw text.
    }
    // (typeof, not `payload !== data`: a comparison of an object with a string is a call into
    // the engine per event.) Text that starts with `{` parses to an object or not at all.
    if (typeof payload === 'object') {
      const v = payload as Record<string, unknown>
      const vType = v.type
      if (
        typeof vType === 'string' &&
        // An event name with a lone surrogate reaches the wire as U+FFFD: the same name.
        (vType === type || (vType as { toWellFormed?: () => string }).toWellFormed?.() === type) &&
        (id === undefined ? typeof v.id === 'string' : v.id === id) &&
        typeof v.ts === 'string' &&
        typeof v.stream === 'string'
      ) {
        return v as StreamEvent
      }
    }
  }
  return stream === undefined
    ? { id: id ?? '', type, data: payload }
    : { id: id ?? '', type, data: payload, stream }
}

/**
 * The data of a payload-framed event, validated by `catalog`. Raw text stays text: when the
 * schema accepts the text as it came, or the text is not JSON, it is never `JSON.parse`d, so the
 * tokens `42`, `true`, `null` and `"x"` of a string schema arrive as those characters. Otherwise
 * the JSON value is validated.
 *
 * @param value - what {@link readMessage} left in `data`: a parsed object, or the text
 * @param text - the SSE `data` as it came
 */
export function decodePayload(
  catalog: AnyCatalog,
  type: string,
  value: unknown,
  text: string,
  stream: string | undefined,
): ValidationResult {
  if (typeof value !== 'string') {
    // A JSON object: the usual payload. Its text is tried only when the object is refused.
    const result = catalog.validate(type, value, stream, true)
    if (result.ok) return result
    const raw = catalog.validate(type, text, stream)
    return raw.ok ? raw : result
  }
  const raw = catalog.validate(type, text, stream)
  if (raw.ok) return raw
  const parsed = parseData(text)
  return parsed === text ? raw : catalog.validate(type, parsed, stream, true)
}

/**
 * Whether a message is a runstream control event: a `runstream.`-prefixed name and no id, so
 * that it never moves the cursor.
 */
export function isControl(name: string | undefined, id: string | undefined): boolean {
  return id === undefined && name !== undefined && name.startsWith('runstream.')
}

/**
 * The error a `runstream.gap` control event stands for: the cursor is older than what the
 * server holds (or unknown to it), so events were missed. Not fatal: the stream goes on from
 * the oldest event the server holds.
 */
export function gapError(data: string): RunstreamError {
  const details = Object(parseData(data)) as Record<string, unknown>
  return new RunstreamError(
    'cursor_expired',
    `Events after ${details.lastEventId ?? details.after} are gone (${details.reason}); resuming from ${details.firstId}. Rebuild state from what follows.`,
    { details },
  )
}

/**
 * The error a `runstream.error` control event stands for: the server failed mid-stream and
 * closes the connection; reconnecting with the cursor resumes. The server's code is kept when it
 * is one a runstream server sends (`store_failed`, `subscriber_overflow`, `aborted`).
 *
 * @param then - what the client does next, for the message
 */
export function serverStreamError(data: string, then: string): RunstreamError {
  const details = Object(parseData(data)) as {
    code?: RunstreamErrorCode
    message?: unknown
  }
  const { code } = details
  return new RunstreamError(
    code === 'store_failed' || code === 'subscriber_overflow' || code === 'aborted'
      ? code
      : 'network_error',
    `The server ended the stream: ${details.message} (${details.code}); ${then}`,
    { details },
  )
}

/** JSON-parses `text` when it looks like JSON; otherwise (or when it fails) returns the text. */
export function parseData(text: string): unknown {
  // Only try what can start a JSON value: a throw per plain-text token would be slow.
  if (text.charCodeAt(0) === 123 || /^[["\d\-tfn]/.test(text)) {
    try {
      return JSON.parse(text)
    } catch {
      // Not JSON after all: a plain-text payload.
    }
  }
  return text
}
