/**
 * Event ids and cursors, parsed and compared in one place for the stores, the server and the
 * client.
 *
 * - An **event id** is a canonical decimal (`"1"`, `"2"`, …): the `id` of an envelope and the SSE
 *   `id:` of its frame. It is unique within one *incarnation* of a stream.
 * - An **epoch** names one incarnation: a store gives a stream a new epoch whenever it starts it
 *   (again) at id 1, after forgetting it (idle or finished TTL, `maxStreams`, a Redis restarted
 *   empty), and when it lost ids it had given (a Redis failover to a replica that lacked them).
 * - A **cursor** (a `Last-Event-ID`, a `lastEventId`) is an event id, optionally qualified by the
 *   epoch it belongs to: `"<epoch>.<id>"`, such as `"lz3kq9a1.1042"`. A qualified cursor resumes
 *   only in its own incarnation: in another one, the follower is told the stream started over.
 *   A plain cursor (`"1042"`) means that id in whatever incarnation the store holds now.
 *
 * @see docs/wire-format.md#ids-epochs-and-cursors
 */

/** A cursor, parsed: its event id as a number, and its epoch when it is qualified. */
export interface ParsedCursor {
  /** The incarnation the id belongs to; `undefined` for a plain id. */
  readonly epoch: string | undefined
  /** The event id: 0 means "before the first event". */
  readonly id: number
}

const ID_PATTERN = /^(0|[1-9][0-9]{0,15})$/
const EPOCH_PATTERN = /^[A-Za-z][0-9A-Za-z]{0,31}$/

/**
 * Parses an event id. Returns the number, or `undefined` when the text is not a canonical decimal
 * id (no sign, no leading zero, at most 16 digits). `"0"` is accepted and means "from the start".
 * A qualified cursor (`"<epoch>.<id>"`) is not an event id: parse it with {@link parseCursor}.
 */
export function parseEventId(text: string): number | undefined {
  if (!ID_PATTERN.test(text)) return undefined
  const n = Number(text)
  return Number.isSafeInteger(n) ? n : undefined
}

/**
 * Parses a cursor: a plain event id (`"1042"`) or one qualified by its epoch (`"lz3kq9a1.1042"`).
 * Returns `undefined` when the text is neither, so that callers refuse it as `invalid_cursor`.
 */
export function parseCursor(text: string): ParsedCursor | undefined {
  const dot = text.lastIndexOf('.')
  if (dot === -1) {
    const id = parseEventId(text)
    return id === undefined ? undefined : { epoch: undefined, id }
  }
  const epoch = text.slice(0, dot)
  if (!isEpoch(epoch)) return undefined
  const id = parseEventId(text.slice(dot + 1))
  return id === undefined ? undefined : { epoch, id }
}

/**
 * Whether `text` is an epoch: a letter, then up to 31 letters or digits. It starts with a letter
 * so that no qualified cursor reads as a decimal number (`"1.5"` is refused, not taken for epoch
 * `1`).
 */
export function isEpoch(text: string): boolean {
  return EPOCH_PATTERN.test(text)
}

/**
 * The cursor right after event `id` of incarnation `epoch`: `"<epoch>.<id>"`, or the plain id when
 * the epoch is not known (a store that keeps none, a server that sent none).
 */
export function formatCursor(epoch: string | undefined, id: string): string {
  return epoch === undefined ? id : `${epoch}.${id}`
}

/**
 * Compares two event ids (plain canonical decimals) numerically: negative, zero or positive. Ids of
 * different epochs have no order: compare their epochs first.
 */
export function compareEventIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * A fresh epoch: a random letter and 9 random characters among `0-9 a-z` (about 51 bits), so that
 * two incarnations of a stream, in this process or in the next one after a restart, practically
 * never share one. `Math.random` (seeded by the engine from the system's entropy, in each process)
 * is enough: an epoch must be unique, not secret, and a stream's first append must stay cheap
 * (`crypto.getRandomValues` cost 3.5 µs a call here).
 */
export function newEpoch(): string {
  // A letter and four base-36 digits from one draw (26 × 36^4 values), five more from another.
  const first = Math.floor(Math.random() * 43_670_016)
  const letter = String.fromCharCode(97 + (first % 26))
  return (
    letter + digits(Math.floor(first / 26), 4) + digits(Math.floor(Math.random() * 60_466_176), 5)
  )
}

function digits(word: number, count: number): string {
  return (word % 36 ** count).toString(36).padStart(count, '0')
}
