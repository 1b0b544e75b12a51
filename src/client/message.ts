import type { EventSourceMessage } from 'eventsource-parser'
import { isEnvelope } from '../core/envelope.js'
import { RunstreamError, type RunstreamErrorCode } from '../core/errors.js'
import type { StreamEvent } from './events.js'

/**
 * Reads one SSE message as an event. A runstream envelope in `data` is the event itself; any
 * other `data` (a payload-only server) becomes `{ id, type, data }` from the SSE fields, with
 * `data` JSON-parsed when it parses and the raw text otherwise.
 */
export function readMessage(message: EventSourceMessage): StreamEvent {
  const data = parseData(message.data)
  return isEnvelope(data)
    ? (data as StreamEvent)
    : { id: message.id ?? '', type: message.event ?? 'message', data }
}

/**
 * Whether a message is a runstream control event: a `runstream.`-prefixed name and no id, so
 * that it never moves the cursor.
 */
export function isControl(message: EventSourceMessage): boolean {
  return message.id === undefined && !!message.event?.startsWith('runstream.')
}

/**
 * The error a `runstream.gap` control event stands for: the cursor is older than what the
 * server holds (or unknown to it), so events were missed. Not fatal: the stream goes on from
 * the oldest event the server holds.
 */
export function gapError(message: EventSourceMessage): RunstreamError {
  const details = Object(parseData(message.data)) as Record<string, unknown>
  return new RunstreamError(
    'cursor_expired',
    `Events after ${details.after} are gone (${details.reason}); resuming from ${details.firstId}. Rebuild state from what follows.`,
    { details },
  )
}

/**
 * The error a `runstream.error` control event stands for: the server failed mid-stream and
 * closes the connection; reconnecting with the cursor resumes. The server's code is kept when it
 * is one a runstream server sends (`store_failed`, `subscriber_overflow`, `aborted`).
 */
export function serverStreamError(message: EventSourceMessage): RunstreamError {
  const details = Object(parseData(message.data)) as {
    code?: RunstreamErrorCode
    message?: unknown
  }
  const { code } = details
  return new RunstreamError(
    code === 'store_failed' || code === 'subscriber_overflow' || code === 'aborted'
      ? code
      : 'network_error',
    `The server ended the stream: ${details.message} (${details.code}); reconnecting.`,
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
