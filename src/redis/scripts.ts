import { type EventRecord, joinEnvelopeJson, recordFromJson } from '../core/envelope.js'

/**
 * The Redis keys and channel of one runstream stream. Two keys, so that the sequence survives
 * trimming: `:events` is a Redis Stream whose entry ids are `<n>-0` for event id `n`, `:meta` a hash
 * with the last id given (`seq`) and the finished flag (`fin`).
 */
export interface StreamKeys {
  readonly events: string
  readonly meta: string
  readonly channel: string
}

/**
 * Names the keys of `stream`. The suffixes differ in their last letter, so no two streams can
 * share a key whatever their names.
 */
export function streamKeys(prefix: string, stream: string): StreamKeys {
  return {
    events: `${prefix}${stream}:events`,
    meta: `${prefix}${stream}:meta`,
    channel: `${prefix}${stream}`,
  }
}

/**
 * Appends one event: gives it the next id, adds it to the stream (trimmed approximately to the
 * retention), refreshes the expiry of both keys and publishes it, all in one atomic step, so the
 * id is the same in every process and a subscriber never sees an event the store does not hold.
 *
 * A finished stream (its hash has `fin`) refuses the append: nothing is stored or published, and
 * the script returns 0, so that a second producer cannot add events after the terminal one.
 *
 * KEYS: events, meta. ARGV: body, terminal ("0"/"1"), retention, idle TTL ms, finished TTL ms,
 * channel. Returns the new id, or 0 when refused. The published message is the terminal flag
 * followed by the envelope JSON.
 */
export const APPEND_SCRIPT = `
if redis.call('HEXISTS', KEYS[2], 'fin') == 1 then
  -- The stream is finished: nothing may follow its terminal event.
  return 0
end
local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
if seq == 1 then
  -- A new sequence (or one whose hash expired first): an older stream left under the key would
  -- refuse the id, so it goes.
  redis.call('DEL', KEYS[1])
end
local id = string.format('%d', seq)
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], id .. '-0', 'b', ARGV[1], 't', ARGV[2])
local ttl = ARGV[4]
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[2], 'fin', '1')
  ttl = ARGV[5]
end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PUBLISH', ARGV[6], ARGV[2] .. '{"id":"' .. id .. '",' .. ARGV[1])
return seq
`

/**
 * Reads one page after a cursor, with the stream's state, as one snapshot.
 *
 * KEYS: events, meta. ARGV: after (a decimal id, "0" for all), limit, retention. Returns
 * `{lastId, finished, firstId, entries}` where ids are integers (0 for none) and `entries` holds
 * up to `limit + 1` XRANGE entries (the extra one tells that more follow).
 *
 * `XADD MAXLEN ~` trims whole nodes only, so the stream may hold a few more entries than the
 * retention: the window `lastId - retention + 1 ..` is applied here, which makes retention exact
 * for readers while trimming stays cheap.
 */
export const READ_SCRIPT = `
local meta = redis.call('HMGET', KEYS[2], 'seq', 'fin')
local last = tonumber(meta[1])
if not last then
  return {0, 0, 0, {}}
end
local fin = 0
if meta[2] then fin = 1 end
local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
if #oldest == 0 then
  return {last, fin, 0, {}}
end
local first = tonumber(string.match(oldest[1][1], '^(%d+)'))
local window = last - tonumber(ARGV[3]) + 1
if window > first then first = window end
local from = tonumber(ARGV[1]) + 1
if first > from then from = first end
local entries = redis.call('XRANGE', KEYS[1], string.format('%d', from) .. '-0', '+', 'COUNT', tonumber(ARGV[2]) + 1)
return {last, fin, first, entries}
`

/** What {@link READ_SCRIPT} returns, decoded. */
export interface RawPage {
  /** The newest id of the stream, 0 when the stream is unknown. */
  readonly lastId: number
  readonly finished: boolean
  /** The oldest id held (after the retention window), 0 when none. */
  readonly firstId: number
  readonly records: EventRecord[]
  readonly hasMore: boolean
}

/** Decodes the reply of {@link READ_SCRIPT}; `limit` is the one the script was called with. */
export function decodePage(reply: unknown, limit: number): RawPage {
  if (!Array.isArray(reply) || reply.length < 4) throw new TypeError('unexpected reply')
  const [last, fin, first, entries] = reply as [unknown, unknown, unknown, unknown]
  if (!Array.isArray(entries)) throw new TypeError('unexpected reply')
  const records: EventRecord[] = []
  const take = Math.min(entries.length, limit)
  for (let i = 0; i < take; i++) {
    const record = decodeEntry(entries[i])
    if (record !== undefined) records.push(record)
  }
  return {
    lastId: Number(last),
    finished: Number(fin) === 1,
    firstId: Number(first),
    records,
    hasMore: entries.length > limit,
  }
}

function decodeEntry(entry: unknown): EventRecord | undefined {
  if (!Array.isArray(entry)) return undefined
  const [entryId, fields] = entry as [unknown, unknown]
  if (typeof entryId !== 'string' || !Array.isArray(fields)) return undefined
  let body: string | undefined
  let terminal = false
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'b') body = String(fields[i + 1])
    else if (fields[i] === 't') terminal = fields[i + 1] === '1'
  }
  if (body === undefined) return undefined
  const dash = entryId.indexOf('-')
  const id = dash === -1 ? entryId : entryId.slice(0, dash)
  return recordFromJson(joinEnvelopeJson(id, body), terminal)
}

/** Decodes a published message (terminal flag, then envelope JSON) into its id and record. */
export function decodeMessage(message: string): { id: number; record: EventRecord } | undefined {
  const flag = message.charCodeAt(0)
  if (flag !== 0x30 && flag !== 0x31) return undefined
  const record = recordFromJson(message.slice(1), flag === 0x31)
  if (record === undefined) return undefined
  const id = Number(record.envelope.id)
  return Number.isSafeInteger(id) && id > 0 ? { id, record } : undefined
}
