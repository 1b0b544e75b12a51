import type { AnyCatalog, CatalogEvent } from './catalog.js'

/**
 * The one envelope every event travels in, identical on every transport.
 *
 * - `id`: a decimal string, strictly increasing within its stream, starting at `"1"`.
 * - `type`: the event name from the catalog.
 * - `stream`: the stream's name, such as `workflow:exec_42`.
 * - `ts`: when the event was emitted, ISO-8601 UTC ending in `Z`.
 * - `data`: the payload, as the schema's output; left out of the JSON when it is `undefined`.
 *
 * @see docs/wire-format.md
 */
export type Envelope<E extends { type: string; data: unknown } = { type: string; data: unknown }> =
  E extends unknown
    ? { id: string; type: E['type']; stream: string; ts: string; data: E['data'] }
    : never

/**
 * The envelope of any event of catalog `C`, discriminated on `type`: what `manager.subscribe()`
 * and runstream's client yield, so a `switch (event.type)` narrows `event.data`.
 */
export type CatalogEnvelope<C extends AnyCatalog> = Envelope<CatalogEvent<C>>

/**
 * An event as stored and delivered: its envelope and the JSON text of that envelope. The JSON is
 * produced once, and these same bytes go to every transport and subscriber.
 */
export interface EventRecord<E extends Envelope = Envelope> {
  /** The parsed envelope. Treat it as read-only: it is shared by every subscriber. */
  readonly envelope: E
  /** `JSON.stringify(envelope)`, produced once. */
  readonly json: string
  /** Whether this event ends its stream. */
  readonly terminal: boolean
}

/**
 * An event that has been validated and serialized but has no id yet: the store gives it one.
 * `body` is the envelope's JSON without its leading `{"id":"…",`, so that the store can prefix the
 * id it assigns without serializing again (see {@link joinEnvelopeJson}).
 */
export interface DraftEvent {
  readonly type: string
  readonly stream: string
  readonly ts: string
  readonly data: unknown
  readonly terminal: boolean
  /** The envelope's JSON after the id member: `"type":…,"stream":…,"ts":…,"data":…}`. */
  readonly body: string
}

/**
 * Serializes everything of an envelope but its id. Throws what `JSON.stringify` throws
 * (BigInt, cycles).
 */
export function draftBody(type: string, stream: string, ts: string, data: unknown): string {
  // Member order is fixed: id, type, stream, ts, data. Only the payload needs a full stringify;
  // ts is plain ASCII, and names are short strings. JSON.stringify leaves out an undefined member,
  // and so does this.
  const payload = JSON.stringify(data)
  const head = `"type":${JSON.stringify(type)},"stream":${JSON.stringify(stream)},"ts":"${ts}"`
  return payload === undefined ? `${head}}` : `${head},"data":${payload}}`
}

/** Prefixes an id to a draft's body: the envelope JSON, byte for byte. */
export function joinEnvelopeJson(id: string, body: string): string {
  return `{"id":"${id}",${body}`
}

/** Builds the record of a draft once the store has given it `id`. */
export function recordFromDraft(id: string, draft: DraftEvent): EventRecord {
  return {
    envelope: {
      id,
      type: draft.type,
      stream: draft.stream,
      ts: draft.ts,
      data: draft.data,
    },
    json: joinEnvelopeJson(id, draft.body),
    terminal: draft.terminal,
  }
}

/**
 * Rebuilds a record from envelope JSON read back from a store or a log. Returns `undefined` when
 * the text is not a runstream envelope.
 */
export function recordFromJson(json: string, terminal: boolean): EventRecord | undefined {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    return undefined
  }
  if (!isEnvelope(value)) return undefined
  return { envelope: value, json, terminal }
}

/** Whether `value` has the shape of an {@link Envelope}. */
export function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return (
    typeof v.id === 'string' &&
    typeof v.type === 'string' &&
    typeof v.stream === 'string' &&
    typeof v.ts === 'string'
  )
}

const ID_PATTERN = /^(0|[1-9][0-9]{0,15})$/

/**
 * Parses an event id (a `Last-Event-ID`). Returns the number, or `undefined` when the text is not a
 * canonical decimal id. `"0"` is accepted and means "from the start".
 */
export function parseEventId(text: string): number | undefined {
  if (!ID_PATTERN.test(text)) return undefined
  const n = Number(text)
  return Number.isSafeInteger(n) ? n : undefined
}

/** Compares two event ids numerically: negative, zero or positive. */
export function compareEventIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length
  return a < b ? -1 : a > b ? 1 : 0
}
