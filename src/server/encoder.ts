/**
 * One server-sent events message. Every field is optional; the fields present are written in the
 * order `retry`, comment, `id`, `event`, `data`, and the message ends with a blank line.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream
 */
export interface SseMessage {
  /**
   * The event id: the client's next `Last-Event-ID`. Must not contain CR, LF or NUL.
   * An empty string resets the client's last event id.
   */
  id?: string | undefined
  /** The event name (`message` when left out). Must not contain CR, LF or NUL. */
  event?: string | undefined
  /** The payload. Split on every CR, LF and CRLF into one `data:` line per line. */
  data?: string | undefined
  /** The client's reconnection delay in milliseconds: a non-negative integer. */
  retry?: number | undefined
  /**
   * A comment, which clients ignore: used for heartbeats and to open a stream. Split on line
   * breaks like `data`, one `:` line per line.
   */
  comment?: string | undefined
}

const LINE_BREAK = /\r\n|\r|\n/
const FORBIDDEN_IN_FIELD = /[\r\n\0]/

/**
 * Formats one SSE message as text, byte-exact: `retry: 3000\n`, `: comment\n`, `id: 7\n`,
 * `event: name\n`, `data: line\n` per line of the data, then `\n`. A field whose value (or line)
 * is empty is its name and colon alone (`data:\n`), which every parser reads the same.
 *
 * @throws TypeError when `id` or `event` contains CR, LF or NUL (a frame injection), or `retry`
 *   is not a non-negative integer.
 * @example
 * ```ts
 * formatSse({ id: '7', event: 'llm_chunk', data: 'a\nb' })
 * // 'id: 7\nevent: llm_chunk\ndata: a\ndata: b\n\n'
 * ```
 */
export function formatSse(message: SseMessage): string {
  let text = ''
  if (message.retry !== undefined) {
    if (!Number.isSafeInteger(message.retry) || message.retry < 0) {
      throw new TypeError(
        `SSE retry must be a non-negative integer number of milliseconds, got ${String(message.retry)}.`,
      )
    }
    text += `retry: ${message.retry}\n`
  }
  if (message.comment !== undefined) text += prefixLines(': ', message.comment)
  if (message.id !== undefined) text += prefixLine('id: ', checkField('id', message.id))
  if (message.event !== undefined) text += prefixLine('event: ', checkField('event', message.event))
  if (message.data !== undefined) text += prefixLines('data: ', message.data)
  return text + '\n'
}

/**
 * Encodes one SSE message as UTF-8 bytes: {@link formatSse}, encoded.
 *
 * @throws TypeError as {@link formatSse} does.
 */
export function encodeSse(message: SseMessage): Uint8Array {
  return utf8.encode(formatSse(message))
}

const utf8 = /* @__PURE__ */ new TextEncoder()

function prefixLines(prefix: string, value: string): string {
  // The fast path: JSON never contains a raw line break.
  if (!LINE_BREAK.test(value)) return prefixLine(prefix, value)
  let text = ''
  for (const line of value.split(LINE_BREAK)) text += prefixLine(prefix, line)
  return text
}

// An empty value is the field name and its colon alone (`data:`): the same to every parser, since
// one space after the colon is dropped anyway, and a byte shorter.
function prefixLine(prefix: string, line: string): string {
  return line === '' ? prefix.slice(0, -1) + '\n' : prefix + line + '\n'
}

function checkField(name: 'id' | 'event', value: string): string {
  if (FORBIDDEN_IN_FIELD.test(value)) {
    throw new TypeError(
      `SSE ${name} ${JSON.stringify(value.slice(0, 40))} contains CR, LF or NUL, which would let it inject a frame. Remove line breaks and NUL characters from the ${name}.`,
    )
  }
  return value
}
