import { type EventRecord, joinEnvelopeJson, recordFromJson } from '../core/envelope.js'

/**
 * The Redis keys and channel of one runstream stream. Two keys, so that the sequence survives
 * trimming: `:events` is a Redis Stream whose entry ids are `<n>-0` for event id `n`, `:meta` a hash
 * with the last id given (`seq`), the finished flag (`fin`) and the incarnation's epoch (`ep`).
 */
export interface StreamKeys {
  readonly events: string
  readonly meta: string
  readonly channel: string
}

/**
 * Names the keys of `stream`: `<prefix>{<stream>}:events`, `…:meta`, and the channel
 * `<prefix>{<stream>}`. The braces are a Redis Cluster hash tag: every key and the (sharded)
 * channel of one stream hash to one slot, so one node holds them and one script may touch them
 * all. The suffixes differ in their last letter, so no two streams can share a key whatever their
 * names.
 */
export function streamKeys(prefix: string, stream: string): StreamKeys {
  const tagged = `${prefix}{${stream}}`
  return {
    events: `${tagged}:events`,
    meta: `${tagged}:meta`,
    channel: tagged,
  }
}

// A new incarnation's epoch: the server's clock in microseconds, in base 36 (10 characters,
// starting with a letter), so that no two incarnations of a stream on one Redis share it, even
// across a restart.
const NEW_EPOCH = `
local t = redis.call('TIME')
local n = tonumber(t[1]) * 1000000 + tonumber(t[2])
local digits = '0123456789abcdefghijklmnopqrstuvwxyz'
ep = ''
repeat
  local d = n % 36
  ep = string.sub(digits, d + 1, d + 1) .. ep
  n = (n - d) / 36
until n == 0
-- An epoch starts with a letter (always so from 2002 to 2085; a clock set elsewhere gets one).
if string.byte(ep, 1) < 97 then ep = 'z' .. ep end
redis.call('HSET', KEYS[2], 'ep', ep)
`

/** How many ARGV come before the events in {@link APPEND_SCRIPT}. */
export const APPEND_HEAD = 7

// Ends the incarnation `ARGV[epochArg]` of the stream when its sequence is below the id
// `ARGV[idArg]`, which someone was given in it: those ids were lost (a replica promoted before
// it received them, a restore from an older copy), and giving them again to other events would
// make every reader whose cursor is past them skip those events in silence. Dropping the epoch
// makes the next step start a new one over the held events, whose readers are told (restarted).
const fence = (epochArg: number, idArg: number) => `
if ARGV[${epochArg}] ~= '' then
  local known = redis.call('HMGET', KEYS[2], 'seq', 'ep')
  if known[2] == ARGV[${epochArg}] and (tonumber(known[1]) or 0) < tonumber(ARGV[${idArg}]) then
    redis.call('HDEL', KEYS[2], 'ep')
  end
end
`

/**
 * Appends a batch of events of one stream, in their order: gives them the next ids, adds them to
 * the stream (trimmed approximately to the retention), refreshes the expiry of both keys and
 * publishes them in one message, all in one atomic step, so the ids are the same in every process
 * and a subscriber never sees an event the store does not hold. A batch touches the keys of one
 * stream only, which one hash tag puts on one Redis Cluster node.
 *
 * The first append of a stream (its hash is new: never written, expired, or lost with a Redis
 * restarted empty) starts an incarnation: it clears what an older one left under the key and
 * gives the stream a fresh epoch, in the same step.
 *
 * A finished stream (its hash has `fin`) refuses the append: nothing is stored or published, and
 * the script returns 0, so that a second producer cannot add events after the terminal one. A
 * terminal event inside the batch is stored, and the events after it are refused the same way.
 *
 * The appender passes the newest id it was given for the stream, with its epoch: when the stream
 * holds less in that epoch, events it was told were stored are gone (Redis replication is
 * asynchronous: a replica promoted after its primary failed may lack the last writes). The ids
 * are not given again in that epoch: the stream goes on in a new epoch, from the ids it holds,
 * so that every reader is told (`restarted`) instead of skipping the new events whose ids it
 * believes it has seen.
 *
 * KEYS: events, meta. ARGV: retention, idle TTL ms, finished TTL ms, channel, publish command
 * (`PUBLISH`, or `SPUBLISH` in a cluster), the epoch and the newest id the appender was given
 * ("" and 0 when none), then three per event: body, terminal ("0"/"1"), token
 * (the appender's, stored as field `o` so that an append whose reply was lost can be found, see
 * {@link RESOLVE_SCRIPT}). Returns `{firstId, stored, epoch}` (the events after the `stored`
 * first ones were refused), or 0 when the stream had finished. The published message holds one
 * line per event (see {@link decodeMessages}).
 */
export const APPEND_SCRIPT = `
if redis.call('HEXISTS', KEYS[2], 'fin') == 1 then
  -- The stream is finished: nothing may follow its terminal event.
  return 0
end
${fence(6, 7)}
local count = (#ARGV - ${APPEND_HEAD}) / 3
local stored = count
local terminal = false
for i = 1, count do
  if ARGV[${APPEND_HEAD} + i * 3 - 1] == '1' then
    stored = i
    terminal = true
    break
  end
end
local seq = redis.call('HINCRBY', KEYS[2], 'seq', stored)
local first = seq - stored + 1
local ep = false
if first == 1 then
  -- A new sequence (or one whose hash expired first): an older stream left under the key would
  -- refuse the ids, so it goes.
  redis.call('DEL', KEYS[1])
else
  ep = redis.call('HGET', KEYS[2], 'ep')
end
if not ep then
  -- A new incarnation, or a stream written before epochs existed.
${NEW_EPOCH}
end
local lines = {}
for i = 1, stored do
  local at = ${APPEND_HEAD} + i * 3 - 2
  local id = string.format('%d', first + i - 1)
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], id .. '-0', 'b', ARGV[at], 't', ARGV[at + 1], 'o', ARGV[at + 2])
  lines[i] = ARGV[at + 1] .. ep .. '{"id":"' .. id .. '",' .. ARGV[at]
end
local ttl = ARGV[2]
if terminal then
  redis.call('HSET', KEYS[2], 'fin', '1')
  ttl = ARGV[3]
end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call(ARGV[5], ARGV[4], table.concat(lines, '\\n'))
return {first, stored, ep}
`

/**
 * Run by a watcher that delivered event `ARGV[2]` of epoch `ARGV[1]` and finds the stream ending
 * below it in that epoch (its node failed over to a replica that lacked the last writes, or was
 * restored from an older copy): starts a new epoch over the held events, unless a producer did
 * already, so that the ids it delivered are never given to other events in the epoch it knew.
 *
 * KEYS: events, meta. ARGV: epoch, id. Returns the stream's epoch after it ("" when none).
 */
export const FENCE_SCRIPT = `
local known = redis.call('HMGET', KEYS[2], 'seq', 'ep')
local ep = known[2]
if ep == ARGV[1] and (tonumber(known[1]) or 0) < tonumber(ARGV[2]) then
${NEW_EPOCH}
end
return ep or ''
`

/**
 * Finds out what became of an append whose reply never came (a timeout, a connection lost after
 * sending it): looks for its token among the stream's entries, newest first, and stops at the
 * first entry of the same appender with a smaller counter, since one connection's appends run in
 * the order they were sent. Sent on the command connection after the lost append, it runs after
 * it, so its answer is final.
 *
 * KEYS: events, meta. ARGV: token, the appender's tag, the append's counter (token = tag × 2^32 +
 * counter). Returns `{id, epoch, finished}`: id 0 when the event is not in the stream.
 */
export const RESOLVE_SCRIPT = `
local meta = redis.call('HMGET', KEYS[2], 'ep', 'fin')
local ep = meta[1] or ''
local fin = 0
if meta[2] then fin = 1 end
local tag = tonumber(ARGV[2])
local count = tonumber(ARGV[3])
local high = '+'
while true do
  local entries = redis.call('XREVRANGE', KEYS[1], high, '-', 'COUNT', 256)
  if #entries == 0 then return {0, ep, fin} end
  for i = 1, #entries do
    local fields = entries[i][2]
    for j = 1, #fields - 1, 2 do
      if fields[j] == 'o' then
        local o = fields[j + 1]
        if o == ARGV[1] then
          return {tonumber(string.match(entries[i][1], '^(%d+)')), ep, fin}
        end
        local n = tonumber(o)
        if n and math.floor(n / 4294967296) == tag and n % 4294967296 < count then
          return {0, ep, fin}
        end
      end
    end
  end
  high = '(' .. entries[#entries][1]
end
`

/**
 * Reads one page after a cursor, with the stream's state, as one snapshot.
 *
 * KEYS: events, meta. ARGV: after (a decimal id, "0" for all), limit, retention, the cursor's
 * epoch ("" for none: a cursor of another epoch reads from the start). Returns
 * `{lastId, finished, firstId, entries, epoch}` where ids are integers (0 for none), `entries`
 * holds up to `limit + 1` XRANGE entries (the extra one tells that more follow), and `epoch` is ""
 * when the stream has none.
 *
 * `XADD MAXLEN ~` trims whole nodes only, so the stream may hold a few more entries than the
 * retention: the window `lastId - retention + 1 ..` is applied here, which makes retention exact
 * for readers while trimming stays cheap.
 */
export const READ_SCRIPT = `
local meta = redis.call('HMGET', KEYS[2], 'seq', 'fin', 'ep')
local last = tonumber(meta[1])
if not last then
  return {0, 0, 0, {}, ''}
end
local fin = 0
if meta[2] then fin = 1 end
local ep = meta[3] or ''
local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
if #oldest == 0 then
  return {last, fin, 0, {}, ep}
end
local first = tonumber(string.match(oldest[1][1], '^(%d+)'))
local window = last - tonumber(ARGV[3]) + 1
if window > first then first = window end
local after = tonumber(ARGV[1])
if ARGV[4] ~= '' and ARGV[4] ~= ep then
  -- A cursor of an earlier incarnation: this one is read from its start.
  after = 0
end
local from = after + 1
if first > from then from = first end
local entries = redis.call('XRANGE', KEYS[1], string.format('%d', from) .. '-0', '+', 'COUNT', tonumber(ARGV[2]) + 1)
return {last, fin, first, entries, ep}
`

/** What {@link READ_SCRIPT} returns, decoded. */
export interface RawPage {
  /** The incarnation's epoch; `undefined` when the stream is unknown (or predates epochs). */
  readonly epoch: string | undefined
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
  if (!Array.isArray(reply) || reply.length < 5) throw new TypeError('unexpected reply')
  const [last, fin, first, entries, ep] = reply as [unknown, unknown, unknown, unknown, unknown]
  if (!Array.isArray(entries)) throw new TypeError('unexpected reply')
  const epoch = typeof ep === 'string' && ep !== '' ? ep : undefined
  const records: EventRecord[] = []
  const take = Math.min(entries.length, limit)
  for (let i = 0; i < take; i++) {
    const record = decodeEntry(entries[i], epoch)
    if (record !== undefined) records.push(record)
  }
  return {
    epoch,
    lastId: Number(last),
    finished: Number(fin) === 1,
    firstId: Number(first),
    records,
    hasMore: entries.length > limit,
  }
}

function decodeEntry(entry: unknown, epoch: string | undefined): EventRecord | undefined {
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
  return recordFromJson(joinEnvelopeJson(id, body), terminal, epoch)
}

/** A published message, decoded. */
export interface LiveMessage {
  readonly id: number
  /** The incarnation's epoch; `undefined` from a producer that publishes none. */
  readonly epoch: string | undefined
  readonly record: EventRecord
}

/**
 * Decodes a published message: one line per event (a line break never occurs in envelope JSON),
 * each the terminal flag, the epoch, then the envelope JSON. Returns `undefined` when any line
 * is not one: the subscriber then reads the stream instead.
 */
export function decodeMessages(message: string): LiveMessage[] | undefined {
  const decoded: LiveMessage[] = []
  let from = 0
  while (from < message.length) {
    let to = message.indexOf('\n', from)
    if (to === -1) to = message.length
    const one = decodeLine(message.slice(from, to))
    if (one === undefined) return undefined
    decoded.push(one)
    from = to + 1
  }
  return decoded.length > 0 ? decoded : undefined
}

// The epoch is what comes before the JSON's `{`: it never contains one.
function decodeLine(message: string): LiveMessage | undefined {
  const flag = message.charCodeAt(0)
  if (flag !== 0x30 && flag !== 0x31) return undefined
  const brace = message.indexOf('{', 1)
  if (brace === -1) return undefined
  const epoch = brace > 1 ? message.slice(1, brace) : undefined
  const record = recordFromJson(message.slice(brace), flag === 0x31, epoch)
  if (record === undefined) return undefined
  const id = Number(record.envelope.id)
  return Number.isSafeInteger(id) && id > 0 ? { id, epoch, record } : undefined
}

/** What {@link RESOLVE_SCRIPT} returns, decoded: the event's id (0 when not stored) and state. */
export function decodeResolution(reply: unknown): {
  id: number
  epoch: string | undefined
  finished: boolean
} {
  if (!Array.isArray(reply) || reply.length < 3) throw new TypeError('unexpected reply')
  const [id, ep, fin] = reply as [unknown, unknown, unknown]
  return {
    id: Number(id),
    epoch: typeof ep === 'string' && ep !== '' ? ep : undefined,
    finished: Number(fin) === 1,
  }
}
