import type { AnyCatalog, CatalogEvent } from './catalog.js'

/**
 * The one envelope every event travels in, identical on every transport.
 *
 * - `id`: a decimal string, strictly increasing within its stream, starting at `"1"` (again
 *   when the store starts the stream over, in a new epoch: see {@link EventRecord.epoch}).
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
 *
 * A record read back from a store may be a compact one whose `envelope` is a getter that parses
 * the JSON when first read (the memory store's older events): read its members, do not spread it.
 */
export interface EventRecord<E extends Envelope = Envelope> {
  /**
   * The parsed envelope. Treat it as read-only: it is shared by every subscriber. Live, it is
   * the producer's; read back from a store, it is what the JSON says.
   */
  readonly envelope: E
  /** `JSON.stringify(envelope)`, produced once. */
  readonly json: string
  /** Whether this event ends its stream. */
  readonly terminal: boolean
  /**
   * The incarnation of the stream this event belongs to, as its store gave it (see
   * docs/wire-format.md#ids-epochs-and-cursors): when it changes, the stream started over at id 1.
   * `undefined` from a store that keeps no epochs. Not part of the envelope or its JSON.
   */
  readonly epoch?: string | undefined
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
 *
 * @param head - {@link envelopeHead} of `type` and `stream`, when the caller keeps it from an
 *   earlier event: the same bytes, without quoting the names again
 */
export function draftBody(
  type: string,
  stream: string,
  ts: string,
  data: unknown,
  head: string = envelopeHead(type, stream),
): string {
  // Member order is fixed: id, type, stream, ts, data. Only the payload needs a full stringify;
  // ts is plain ASCII. JSON.stringify leaves out an undefined member, and so does this.
  const payload = JSON.stringify(data)
  return payload === undefined ? `${head}${ts}"}` : `${head}${ts}","data":${payload}}`
}

/**
 * The members of an envelope's JSON between its id and its timestamp's value:
 * `"type":…,"stream":…,"ts":"`. A producer emits many events of one type on one stream, so this
 * is worth keeping from one event to the next (see {@link draftBody}).
 */
export function envelopeHead(type: string, stream: string): string {
  return `"type":${JSON.stringify(type)},"stream":${JSON.stringify(stream)},"ts":"`
}

/** Prefixes an id to a draft's body: the envelope JSON, byte for byte. */
export function joinEnvelopeJson(id: string, body: string): string {
  return `{"id":"${id}",${body}`
}

/** Builds the record of a draft once the store has given it `id` in incarnation `epoch`. */
export function recordFromDraft(
  id: string,
  draft: DraftEvent,
  epoch?: string | undefined,
): EventRecord {
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
    epoch,
  }
}

/**
 * Rebuilds a record from envelope JSON read back from a store or a log, in incarnation `epoch`
 * when the store keeps one. Returns `undefined` when the text is not a runstream envelope.
 */
export function recordFromJson(
  json: string,
  terminal: boolean,
  epoch?: string | undefined,
): EventRecord | undefined {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    return undefined
  }
  if (!isEnvelope(value)) return undefined
  return { envelope: value, json, terminal, epoch }
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

export { compareEventIds, parseEventId } from './event-id.js'
