import type { AnyCatalog } from '../core/catalog.js'
import type { RunstreamError } from '../core/errors.js'
import { END, type Outcome, retry } from './attempt.js'
import type { Cursor } from './cursor.js'
import type { StreamEvent } from './events.js'
import {
  decodePayload,
  gapError,
  isControl,
  parseData,
  readMessage,
  serverStreamError,
} from './message.js'

/** What the per-event pipeline needs. */
export interface DeliveryOptions {
  catalog: AnyCatalog | undefined
  strict: boolean | undefined
  /** The stream's name, for events in payload framing. */
  stream: string | undefined
  isTerminal: (event: StreamEvent) => boolean
  cursor: Cursor
  /** What the client does after a retryable failure, for messages. */
  then: string
  /** Reports a failure that does not end the subscription. */
  report(error: RunstreamError): void
  /** Reports a gap, after the events delivered before it have reached the consumer. */
  gap(error: RunstreamError): void
  /** Hands a delivered event to the subscription's consumers. */
  deliver(event: StreamEvent): void
}

/**
 * The pipeline of one SSE message, in this order: control events (`runstream.gap`,
 * `runstream.error`) and the `[DONE]` sentinel; the event in either framing; the replay check;
 * validation by the catalog; the consumers; the terminal check.
 *
 * Returns `true` when the message moved the cursor (an event with an id the client had not seen,
 * delivered, or invalid and skipped), `false` when it did not (a replay, a control event, an
 * event without an id: nothing proves the client had not seen it), or the outcome that ends the
 * connection. Only `true` makes a connection healthy.
 */
export function createDelivery(
  options: DeliveryOptions,
): (data: string, name: string | undefined, id: string | undefined) => boolean | Outcome {
  const { catalog, strict, stream, isTerminal, cursor, report, deliver } = options
  // Read once: the cursor has a getter, so every cursor object has a map of its own, and a
  // `cursor.take` read per event was a generic property lookup (~95 instructions) in optimized code.
  const take = cursor.take
  return (data, name, id) => {
    if (isControl(name, id)) {
      if (name === 'runstream.gap') {
        const error = gapError(data)
        // The ids that follow (of its stream, on a many-stream connection) restart lower than
        // the cursor; accept them.
        cursor.reset(error.details?.stream as string | undefined)
        options.gap(error)
      } else if (name === 'runstream.error') {
        return retry(serverStreamError(data, options.then), true)
      }
      return false
    }
    // The AI SDK's (and OpenAI's) end of stream: not an event.
    if (name === undefined && data === '[DONE]') return END
    const event = readMessage(data, name, id, stream)
    const eventId = id ?? (event.id || undefined)
    const moved = eventId !== undefined
    if (moved && !take(eventId, event.stream)) return false
    if (catalog) {
      const result =
        event.ts === undefined
          ? decodePayload(catalog, event.type, event.data, data, event.stream)
          : catalog.validate(event.type, event.data, event.stream, true)
      if (!result.ok) {
        // A terminal event is never skipped: the client would never see the end, and reconnect
        // for ever to fetch it again.
        if (strict || isTerminal(event)) return { kind: 'fatal', error: result.error }
        report(result.error)
        return moved
      }
      event.data = result.data
    } else if (event.data === data) {
      event.data = parseData(data)
    }
    deliver(event)
    return isTerminal(event) ? END : moved
  }
}
