import { createUtf8Decoder } from './utf8.js'

/** What {@link createSseReader} reports. */
export interface SseHandlers {
  /**
   * One complete event (its blank line has arrived): its `data:` lines joined with LF, its
   * `event:` name and its `id:`, each `undefined` when the event had none.
   */
  event(data: string, name: string | undefined, id: string | undefined): void
  /**
   * A frame with an `id:` and no data: it dispatches no event, but sets the last event id (as the
   * standard says), such as runstream's epoch frame.
   */
  id(id: string): void
  /** The server's `retry:` field, in ms. */
  retry(ms: number): void
  /** An event grew past the size bound; nothing more is parsed. */
  tooLarge(): void
}

/** Turns the bytes of one connection into SSE events. */
export interface SseReader {
  /** Feeds one chunk of the response body, as it arrived. */
  push(bytes: Uint8Array): void
  /** Parses nothing more (the connection is over); the rest of the current chunk is dropped. */
  stop(): void
}

/**
 * Room, in characters, for the lines of an event besides its data (`id:`, `event:`, `retry:`, a
 * field the client does not know) before the event counts as too large.
 */
export const EVENT_LINES_SLACK = 1024

/**
 * Creates the reader of ONE connection: a fresh UTF-8 decoder and a fresh parser, so nothing
 * half-read on a dropped connection (a split character, a line, an event without its blank line)
 * leaks into the next one. An unterminated event at the end is never dispatched.
 *
 * The parser follows the SSE standard (CR, LF and CRLF line ends; `data`, `event`, `id`, `retry`;
 * comments and unknown fields ignored), and is bounded: the `data` of one event may hold at most
 * `maxEventBytes` bytes of UTF-8, and every line of one event together (data, other fields, a line
 * still waiting for its end) at most `maxEventBytes + EVENT_LINES_SLACK` characters. So a server
 * that never sends the blank line, or sends `event:` lines forever, is stopped at the bound
 * instead of holding the client. An unknown field costs what a comment costs: nothing is built
 * for it (a parser that reports each one with an `Error` spends a stack trace per line).
 *
 * @param maxEventBytes - the most bytes of UTF-8 the `data` of one event may hold
 */
export function createSseReader(handlers: SseHandlers, maxEventBytes: number): SseReader {
  // It keeps a multi-byte character split across chunks whole, and drops the one leading BOM
  // the SSE standard allows.
  const decode = createUtf8Decoder()
  const { event: onEvent, id: onId, retry: onRetry } = handlers
  const limit = maxEventBytes + EVENT_LINES_SLACK
  let stopped = false
  // A line cut by the end of a chunk, in pieces: joined once its end arrives, not per chunk.
  const pieces: string[] = []
  let pending = 0
  // The last chunk ended with CR: a LF at the start of the next one ends no second line.
  let afterCR = false
  // The event being read.
  let data = ''
  let dataLines = 0
  let name: string | undefined
  let id: string | undefined
  let size = 0
  // The last name an `event:` line gave.
  let known = ''

  return {
    push(bytes) {
      if (stopped) return
      const text = decode(bytes)
      if (text !== '') feed(text)
    },
    stop() {
      stopped = true
    },
  }

  function feed(chunk: string): void {
    if (afterCR) {
      afterCR = false
      if (chunk.charCodeAt(0) === 10) chunk = chunk.slice(1)
    }
    if (pending > 0) {
      pieces.push(chunk)
      if (chunk.indexOf('\n') === -1 && chunk.indexOf('\r') === -1) {
        pending += chunk.length
        if (pending + size > limit) tooLarge()
        return
      }
      chunk = pieces.join('')
      pieces.length = 0
      pending = 0
    }
    const rest = lines(chunk)
    if (rest < chunk.length && !stopped) {
      pending = chunk.length - rest
      pieces.push(chunk.slice(rest))
      if (pending + size > limit) tooLarge()
    }
  }

  // Parses every complete line of `chunk`; returns where the unfinished last line starts. One
  // loop over the chunk with the event being read in locals (written back when the chunk ends):
  // a call per line, and a store into this closure's context per field (a write barrier each),
  // cost more than the parsing itself for a small event. What the loop reads of this closure is
  // read once per chunk too: each read of a closure's `const` or `let` in optimized code is a
  // load and a check that it was initialized, and so is each read of a module's constant (the
  // character codes are written as numbers for that reason: 10 LF, 13 CR, 32 space, 58 colon).
  function lines(chunk: string): number {
    const length = chunk.length
    const bound = limit
    let last = known
    let evData = data
    let evLines = dataLines
    let evName = name
    let evId = id
    let evSize = size
    let start = 0
    // The next CR and LF, each searched for again only once passed: a CR far ahead must not be
    // searched for once per line, and a chunk without one (the usual case) searches once.
    let cr = chunk.indexOf('\r')
    let lf = -2
    // An id with a NUL is ignored: one search of the chunk, not one of every id.
    const nul = chunk.indexOf('\0')
    while (start < length) {
      // Reading a character costs the engine a check of the string's representation each time,
      // much more than a native search, so each is read once, and where the line ends is found
      // by indexOf, except for a blank line (the end of every event), told by its first one.
      const first = chunk.charCodeAt(start)
      let end = start
      if (first !== 10 && first !== 13) {
        if (lf !== -1 && lf < start) lf = chunk.indexOf('\n', start)
        end = cr === -1 || (lf !== -1 && lf < cr) ? lf : cr
        if (end === -1) break
      }
      if (start === end) {
        // A blank line: the event is complete.
        if (evLines > 0) {
          // Every UTF-16 unit is 1 to 3 bytes: only data near the bound needs counting exactly.
          const units = evData.length
          if (
            units > maxEventBytes ||
            (units * 3 > maxEventBytes && utf8Length(evData) > maxEventBytes)
          ) {
            tooLarge()
            return length
          }
          onEvent(evData, evName, evId)
        } else if (evId !== undefined) onId(evId)
        if (stopped) return length
        evData = ''
        evLines = evSize = 0
        evName = evId = undefined
      } else if (
        first === 100 &&
        chunk.charCodeAt(start + 1) === 97 &&
        chunk.charCodeAt(start + 2) === 116 &&
        chunk.charCodeAt(start + 3) === 97 &&
        chunk.charCodeAt(start + 4) === 58
      ) {
        // `data:` first: most lines are data. Its count is its value and the LF that joins it.
        const from = chunk.charCodeAt(start + 5) === 32 ? start + 6 : start + 5
        evSize += end - from + 1
        const value = chunk.slice(from, end)
        evData = evLines++ === 0 ? value : `${evData}\n${value}`
      } else if (first !== 58) {
        // (A comment counts towards no bound.)
        evSize += end - start + 1
        // `id:` and `event:` next, by their bytes: every event of a resuming server has both.
        if (
          first === 105 &&
          chunk.charCodeAt(start + 1) === 100 &&
          chunk.charCodeAt(start + 2) === 58
        ) {
          const value = chunk.slice(chunk.charCodeAt(start + 3) === 32 ? start + 4 : start + 3, end)
          if (nul === -1 || value.indexOf('\0') === -1) evId = value
        } else if (
          first === 101 &&
          chunk.charCodeAt(start + 1) === 118 &&
          chunk.charCodeAt(start + 2) === 101 &&
          chunk.charCodeAt(start + 3) === 110 &&
          chunk.charCodeAt(start + 4) === 116 &&
          chunk.charCodeAt(start + 5) === 58
        ) {
          const from = chunk.charCodeAt(start + 6) === 32 ? start + 7 : start + 6
          // The name of the last event again (a run of one type, as streams are) is given as
          // that string itself, whose hash is known: the catalog, the terminal check and the
          // handlers look it up once per event, and hashing a new string every time cost more
          // than parsing. (Sliced and compared whole: compared in place, it was read a
          // character at a time.)
          const value = chunk.slice(from, end)
          if (value !== last) last = value
          evName = from === end ? undefined : last
        } else {
          // The colon is looked for within the line only: an indexOf over the rest of the
          // chunk, for every line without one, would make a chunk of such lines cost its
          // length squared.
          let colon = start
          while (colon < end && chunk.charCodeAt(colon) !== 58) colon++
          const field = chunk.slice(start, colon)
          // `event`, `data` and `id` get here only as a bare name (no colon): an empty value.
          if (field === 'event') evName = undefined
          else if (field === 'data') evData = evLines++ === 0 ? '' : `${evData}\n`
          else if (field === 'id') evId = ''
          else if (field === 'retry') {
            const value = chunk.slice(
              chunk.charCodeAt(colon + 1) === 32 ? colon + 2 : colon + 1,
              end,
            )
            if (/^\d+$/.test(value)) onRetry(Number(value))
          }
          // Any other field is ignored, as the standard says.
        }
      }
      // One check for every kind of line (a blank line or a comment adds nothing).
      if (evSize > bound) {
        tooLarge()
        return length
      }
      // Past the line end: CRLF is one.
      let next = end + 1
      if (end === cr) {
        if (next === length) afterCR = true
        else if (chunk.charCodeAt(next) === 10) next++
        cr = chunk.indexOf('\r', next)
      }
      start = next
    }
    known = last
    data = evData
    dataLines = evLines
    name = evName
    id = evId
    size = evSize
    return start
  }

  function tooLarge(): void {
    if (stopped) return
    stopped = true
    pieces.length = 0
    data = ''
    handlers.tooLarge()
  }
}

/**
 * The bytes of `text` in UTF-8. (A decoder never makes a lone surrogate; one would count 2.)
 */
export function utf8Length(text: string): number {
  let bytes = text.length
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    // 2 bytes below U+0800, 2 for each half of a surrogate pair (4 for the character), else 3.
    if (c >= 0x80) bytes += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2
  }
  return bytes
}
