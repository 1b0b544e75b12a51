import type { EventRecord } from '../core/envelope.js'
import { formatCursor } from '../core/event-id.js'
import { recordId, recordType } from '../core/stored-record.js'
import type { GapInfo } from '../core/subscription.js'
import { encodeSse } from './encoder.js'
import type { SseFraming, SseProtocol } from './options.js'

/**
 * A small cache of the bytes of recent records, one slot per id modulo its size: the subscribers
 * of a record frame it within moments of each other, so it is encoded once for all of them, and
 * what the cache holds is bounded. (Keeping each frame as long as its record, as a WeakMap did,
 * doubled what every stored event holds, and its thousands of entries and buffers were work for
 * every garbage collection: the latency tail.)
 *
 * A slot is keyed by the record's JSON, not the record: a record's frames follow from its JSON
 * alone, the store's compact copy of a record shares its JSON string (see StoredRecord), and a
 * slot that held the record kept its envelope and the producer's data alive as long as the slot.
 * The same string is one pointer comparison; another one of the same length is compared until
 * they differ, within the first few characters (the id).
 */
interface FrameCache {
  readonly keys: (string | undefined)[]
  readonly bytes: (Uint8Array | undefined)[]
}

// Connections that take a burst whole share its joined bytes (burstFrame, as long as the burst
// lives); this cache serves the ones framing records one by one, moments apart. Each frame it
// holds outlives young-generation collections, which copy it: 4096 slots held ~0.75 MB of frames
// at 1000 events/s, more than half of what every scavenge copied (bench/latency.ts --gc), while
// bench/fanout.ts encodes each event once with 256 as with 4096.
const CACHE_SLOTS = 256

function frameCache(): FrameCache {
  return {
    keys: new Array<string | undefined>(CACHE_SLOTS).fill(undefined),
    bytes: new Array<Uint8Array | undefined>(CACHE_SLOTS).fill(undefined),
  }
}

function cached(
  cache: FrameCache,
  record: EventRecord,
  make: (record: EventRecord) => Uint8Array,
): Uint8Array {
  // Ids are decimal integers; a foreign one that is not still gets a slot, just not a spread one.
  const slot = (Number(recordId(record)) | 0) & (CACHE_SLOTS - 1)
  if (cache.keys[slot] === record.json) return cache.bytes[slot] as Uint8Array
  const bytes = make(record)
  cache.keys[slot] = record.json
  cache.bytes[slot] = bytes
  return bytes
}

const envelopeFrames = /* @__PURE__ */ frameCache()
const payloadFrames = /* @__PURE__ */ frameCache()
const textChunks = /* @__PURE__ */ frameCache()
const utf8 = /* @__PURE__ */ new TextEncoder()
const EMPTY = /* @__PURE__ */ new Uint8Array(0)

/**
 * The SSE frame of a record in `framing`, as bytes, produced once per record and framing.
 *
 * @throws TypeError when the record's id or type contains CR, LF or NUL (see `formatSse`).
 */
export function recordFrame(record: EventRecord, framing: SseFraming): Uint8Array {
  return framing === 'payload' ? payloadFrame(record) : envelopeFrame(record)
}

/** `id: <id>\nevent: <type>\ndata: <envelope JSON>\n\n`. */
function envelopeFrame(record: EventRecord): Uint8Array {
  return cached(envelopeFrames, record, encodeEnvelope)
}

function encodeEnvelope(record: EventRecord): Uint8Array {
  return encodeSse({ id: recordId(record), event: recordType(record), data: record.json })
}

/**
 * `id: <id>\nevent: <type>\n`, then the payload: a string as its raw text, one `data:` line per
 * line (CR, LF and CRLF all end a line), anything else as its JSON on one `data:` line. A payload
 * left out (`undefined`) is one empty `data:` line, so that `EventSource` still dispatches it.
 */
function payloadFrame(record: EventRecord): Uint8Array {
  return cached(payloadFrames, record, encodePayload)
}

function encodePayload(record: EventRecord): Uint8Array {
  const { id, type, data } = record.envelope
  const payload = typeof data === 'string' ? data : (JSON.stringify(data) ?? '')
  return encodeSse({ id, event: type, data: payload })
}

// The joined frames of a burst, per framing, keyed by the burst's array: a live burst is one
// array shared by every subscriber that took it whole, so its frames are joined once for all.
// `null`: the burst cannot be sent as one block (mixed epochs, or a record that cannot be framed).
const envelopeBursts = new WeakMap<readonly EventRecord[], Uint8Array | null>()
const payloadBursts = new WeakMap<readonly EventRecord[], Uint8Array | null>()

/**
 * The frames of `records` in `framing`, joined into one buffer, produced once per burst and
 * framing; `undefined` when the records are of more than one epoch (an epoch frame would go
 * between them), when one cannot be framed, or when together they exceed `maxBytes` (the caller
 * then sends them one by one, minding its bound).
 */
export function burstFrame(
  records: readonly EventRecord[],
  framing: SseFraming,
  maxBytes: number,
): Uint8Array | undefined {
  const cache = framing === 'payload' ? payloadBursts : envelopeBursts
  let joined = cache.get(records)
  if (joined === undefined) {
    joined = joinFrames(records, framing, maxBytes)
    // Too large for this caller is not too large for every one: only a definite answer is kept.
    if (joined !== undefined) cache.set(records, joined)
  }
  return joined === undefined || joined === null || joined.length > maxBytes ? undefined : joined
}

function joinFrames(
  records: readonly EventRecord[],
  framing: SseFraming,
  maxBytes: number,
): Uint8Array | null | undefined {
  const first = records[0] as EventRecord
  if (records.length === 1) {
    // One event (a producer's usual turn): its frame is the block; a copy would be garbage.
    let frame: Uint8Array
    try {
      frame = recordFrame(first, framing)
    } catch {
      return null
    }
    return frame.length > maxBytes ? undefined : frame
  }
  const epoch = first.epoch
  const frames: Uint8Array[] = []
  let size = 0
  for (const record of records) {
    if (record.epoch !== epoch) return null
    let frame: Uint8Array
    try {
      frame = recordFrame(record, framing)
    } catch {
      return null
    }
    size += frame.length
    if (size > maxBytes) return undefined
    frames.push(frame)
  }
  const joined = new Uint8Array(size)
  let offset = 0
  for (const frame of frames) {
    joined.set(frame, offset)
    offset += frame.length
  }
  return joined
}

/**
 * The text-mode bytes of a record: the text of an `llm_chunk` (its `text`, or the payload itself
 * when it is a string), and nothing for any other event.
 */
export function recordText(record: EventRecord): Uint8Array {
  return cached(textChunks, record, encodeText)
}

function encodeText(record: EventRecord): Uint8Array {
  // The type first: a stored record's payload is parsed only for the events that have text.
  if (recordType(record) !== 'llm_chunk') return EMPTY
  const data = record.envelope.data as { text?: unknown } | string | undefined
  const text = typeof data === 'string' ? data : data?.text
  return typeof text === 'string' ? utf8.encode(text) : EMPTY
}

/** The first bytes of every stream: the reconnection delay and a comment, so it visibly starts. */
export function openingFrame(retryMs: number): Uint8Array {
  if (retryMs !== openingRetry) {
    opening = encodeSse({ retry: retryMs, comment: 'ok' })
    openingRetry = retryMs
  }
  return opening
}

let openingRetry = -1
let opening: Uint8Array = EMPTY

let heartbeat: Uint8Array | undefined

/** A heartbeat: a comment line, ignored by clients, that keeps proxies and watchdogs content. */
export function heartbeatFrame(): Uint8Array {
  heartbeat ??= utf8.encode(': ping\n\n')
  return heartbeat
}

/**
 * The epoch frame: an `id:` line alone, `id: <epoch>.<id before the record>`, sent before the first
 * record of a connection and before the first record of a new incarnation. It dispatches no
 * event: it sets the client's last event id to a cursor qualified with the stream's epoch, which
 * the event ids that follow continue, so the client resumes in the right incarnation.
 */
export function epochFrame(record: EventRecord): Uint8Array {
  // The connections that start together frame the same record: the same bytes, so that a sink
  // joining them with the burst that follows finds the very same chunks for every connection.
  if (record === lastEpochRecord) return lastEpochFrame
  const before = String(Number(recordId(record)) - 1)
  const frame = encodeSse({ id: formatCursor(record.epoch, before) })
  lastEpochRecord = record
  lastEpochFrame = frame
  return frame
}

let lastEpochRecord: EventRecord | undefined
let lastEpochFrame: Uint8Array = EMPTY

/**
 * The `runstream.gap` control event: the cursor is older than the store holds, unknown to it, or
 * of an earlier incarnation of the stream (`restarted`). On a many-stream connection, `stream`
 * says which of its streams the gap is in.
 * Its `data:` holds runstream's fields; for a protocol whose clients take every `data:` as one of
 * their events (`'ag-ui'`, `'ai-sdk'`), they ride on that protocol's error event, so an
 * unmodified client reports it rather than failing on an object it cannot read.
 */
export function gapFrame(
  gap: GapInfo,
  protocol: SseProtocol = 'runstream',
  stream?: string,
): Uint8Array {
  const fields = {
    ...(stream === undefined ? undefined : { stream }),
    reason: gap.reason,
    after: gap.lastEventId,
    firstId: gap.firstId ?? null,
    lastId: gap.lastId ?? null,
  }
  const message = `Events after ${gap.lastEventId} are gone (${gap.reason}); the stream goes on from the oldest event held.`
  return encodeSse({
    event: 'runstream.gap',
    data: JSON.stringify(inProtocol(protocol, 'cursor_expired', message, fields)),
  })
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
 * Its message is fixed per code, so internal error messages never reach the client. In the
 * `'ag-ui'` and `'ai-sdk'` protocols its `data:` is also that protocol's error event.
 */
export function errorFrame(
  code: StreamFailureCode,
  protocol: SseProtocol = 'runstream',
): Uint8Array {
  const message = FAILURE_MESSAGES[code]
  return encodeSse({
    event: 'runstream.error',
    data: JSON.stringify(
      protocol === 'runstream' ? { code, message } : inProtocol(protocol, code, message, {}),
    ),
  })
}

/**
 * What follows a stream's terminal event in `protocol`: the AI SDK's `data: [DONE]`, or nothing.
 */
export function doneFrame(protocol: SseProtocol): Uint8Array | undefined {
  if (protocol !== 'ai-sdk') return undefined
  done ??= encodeSse({ data: '[DONE]' })
  return done
}

let done: Uint8Array | undefined

/**
 * A control event's data in `protocol`: runstream's own fields, plus what makes it one of the
 * protocol's events (AG-UI's `RUN_ERROR`, the AI SDK's `error` chunk). runstream's client reads
 * `code` and the fields; the protocol's clients read their own members and drop the rest.
 */
function inProtocol(
  protocol: SseProtocol,
  code: string,
  message: string,
  fields: Record<string, unknown>,
): Record<string, unknown> {
  switch (protocol) {
    case 'ag-ui':
      return { type: 'RUN_ERROR', message, code, ...fields }
    case 'ai-sdk':
      return { type: 'error', errorText: message, code, message, ...fields }
    case 'runstream':
      return fields
  }
}
