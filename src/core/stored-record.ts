import type { Envelope, EventRecord } from './envelope.js'

/**
 * What the memory store keeps of an event: its id, type, JSON, terminal flag and epoch, and not
 * the envelope the producer emitted. That envelope holds the producer's whole `data` object graph
 * and a timestamp string, everything the JSON already says; kept for every held event, it more
 * than doubled what each one takes, and every young-generation garbage collection copied it (the
 * latency tail, bench/latency.ts `--gc`). The live path still gets the producer's record; a
 * replay of older events reads this one, whose envelope is parsed from the JSON the first time it
 * is read.
 *
 * A class, not a closure's object: one shared getter and five in-object fields are the smallest
 * shape V8 gives a held event.
 */
export class StoredRecord implements EventRecord {
  /** The envelope's id, without parsing it. */
  readonly id: string
  /** The envelope's type, without parsing it. */
  readonly type: string
  readonly json: string
  readonly terminal: boolean
  readonly epoch: string | undefined
  #envelope: Envelope | undefined

  constructor(
    id: string,
    type: string,
    json: string,
    terminal: boolean,
    epoch: string | undefined,
  ) {
    this.id = id
    this.type = type
    this.json = json
    this.terminal = terminal
    this.epoch = epoch
  }

  /**
   * Parsed from the JSON when first read, then kept: a replay that needs the payload (payload
   * framing, `manager.subscribe()`) parses each event once, however many subscribers read it.
   * As every store's parsed envelope, it holds what the JSON says: a payload member that was
   * `undefined` is absent. A copy of the record that is not one (test runners' diff printers
   * copy an object's prototype and fields, not its private slot) parses its own, every time.
   */
  get envelope(): Envelope {
    if (!(#envelope in this)) return JSON.parse((this as { json: string }).json) as Envelope
    this.#envelope ??= JSON.parse(this.json) as Envelope
    return this.#envelope
  }

  /**
   * Not for our code (`envelope` is read-only in {@link EventRecord}): lets a tool that copies a
   * record field by field onto its prototype (test runners' diff printers do) give the copy its
   * own `envelope`, as it could on a plain record.
   */
  set envelope(value: Envelope) {
    Object.defineProperty(this, 'envelope', {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
}

/** The compact copy of `record` (itself when it is one): the same JSON string, no envelope. */
export function storedRecord(record: EventRecord): StoredRecord {
  if (record instanceof StoredRecord) return record
  const { id, type } = record.envelope
  return new StoredRecord(id, type, record.json, record.terminal, record.epoch)
}

/** A record's id; a stored record's without parsing its envelope. */
export function recordId(record: EventRecord): string {
  return record instanceof StoredRecord ? record.id : record.envelope.id
}

/** A record's event type; a stored record's without parsing its envelope. */
export function recordType(record: EventRecord): string {
  return record instanceof StoredRecord ? record.type : record.envelope.type
}
