import type { EventRecord } from '../core/envelope.js'
import type { GapInfo } from '../core/subscription.js'
import { encodeSse } from './encoder.js'

// Each record is encoded once for all its subscribers: the records are shared, so are the bytes.
// Weak keys, so a frame lives exactly as long as its record.
const sseFrames = new WeakMap<EventRecord, Uint8Array>()
const textChunks = new WeakMap<EventRecord, Uint8Array>()
const utf8 = /* @__PURE__ */ new TextEncoder()
const EMPTY = /* @__PURE__ */ new Uint8Array(0)

/**
 * The SSE frame of a record: `id: <id>\nevent: <type>\ndata: <envelope JSON>\n\n`, as bytes,
 * produced once per record.
 */
export function recordFrame(record: EventRecord): Uint8Array {
  let frame = sseFrames.get(record)
  if (frame === undefined) {
    const { id, type } = record.envelope
    frame = encodeSse({ id, event: type, data: record.json })
    sseFrames.set(record, frame)
  }
  return frame
}

/**
 * The text-mode bytes of a record: the `text` of an `llm_chunk`, and nothing for any other event.
 */
export function recordText(record: EventRecord): Uint8Array {
  let chunk = textChunks.get(record)
  if (chunk === undefined) {
    const data = record.envelope.data as { text?: unknown } | undefined
    chunk =
      record.envelope.type === 'llm_chunk' && typeof data?.text === 'string'
        ? utf8.encode(data.text)
        : EMPTY
    textChunks.set(record, chunk)
  }
  return chunk
}

/** The first bytes of every stream: the reconnection delay and a comment, so it visibly starts. */
export function openingFrame(retryMs: number): Uint8Array {
  return encodeSse({ retry: retryMs, comment: 'ok' })
}

let heartbeat: Uint8Array | undefined

/** A heartbeat: a comment line, ignored by clients, that keeps proxies and watchdogs content. */
export function heartbeatFrame(): Uint8Array {
  heartbeat ??= utf8.encode(': ping\n\n')
  return heartbeat
}

/** The `runstream.gap` control event: the cursor is older than the store holds, or unknown to it. */
export function gapFrame(gap: GapInfo): Uint8Array {
  const data = JSON.stringify({
    reason: gap.reason,
    after: gap.lastEventId,
    firstId: gap.firstId ?? null,
    lastId: gap.lastId ?? null,
  })
  return encodeSse({ event: 'runstream.gap', data })
}

/** What a `runstream.error` control event may say: the failure kinds a client can act on. */
export type StreamFailureCode = 'store_failed' | 'subscriber_overflow' | 'aborted'

const FAILURE_MESSAGES: Record<StreamFailureCode, string> = {
  store_failed: 'The event store failed while streaming. Reconnect with Last-Event-ID to resume.',
  subscriber_overflow:
    'The client fell too far behind and was disconnected. Reconnect with Last-Event-ID to resume from the store.',
  aborted: 'The server is closing this stream. Reconnect with Last-Event-ID to resume.',
}

/**
 * The `runstream.error` control event: the server failed mid-stream and closes right after it.
 * Its message is fixed per code, so internal error messages never reach the client.
 */
export function errorFrame(code: StreamFailureCode): Uint8Array {
  return encodeSse({
    event: 'runstream.error',
    data: JSON.stringify({ code, message: FAILURE_MESSAGES[code] }),
  })
}
