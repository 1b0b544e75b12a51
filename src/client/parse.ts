import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { createUtf8Decoder } from './utf8.js'

/** What {@link createSseReader} reports. */
export interface SseHandlers {
  /** One complete event (its blank line has arrived). */
  event(message: EventSourceMessage): void
  /** The server's `retry:` field, in ms. */
  retry(ms: number): void
  /** An event (or a line) grew past the size limit; nothing more is parsed. */
  tooLarge(): void
}

/** Turns the bytes of one connection into SSE events. */
export interface SseReader {
  /** Feeds one chunk of the response body, as it arrived. */
  push(bytes: Uint8Array): void
}

/**
 * Creates the reader of ONE connection: a fresh UTF-8 decoder and a fresh parser, so nothing
 * half-read on a dropped connection (a split character, a line, an event without its blank
 * line) leaks into the next one. An unterminated event at the end is simply never dispatched,
 * because nobody flushes the parser.
 *
 * @param maxEventSize - the most characters an event (or a single line) may buffer
 */
export function createSseReader(handlers: SseHandlers, maxEventSize: number): SseReader {
  // It keeps a multi-byte character split across chunks, and drops the one leading BOM the
  // SSE spec allows.
  const decode = createUtf8Decoder()
  let stopped = false
  const parser = createParser({
    onEvent(message) {
      if (stopped) return
      // The parser bounds only what it buffers between chunks; an event that arrives whole
      // inside one chunk is checked here.
      if (message.data.length > maxEventSize) {
        stopped = true
        handlers.tooLarge()
        return
      }
      handlers.event(message)
    },
    onRetry: handlers.retry,
    onError(error) {
      // Unknown fields and malformed `retry:` are ignored, as the spec says; only the size limit stops us.
      if (error.type === 'max-buffer-size-exceeded') {
        stopped = true
        handlers.tooLarge()
      }
    },
    maxBufferSize: maxEventSize,
  })
  return {
    push(bytes) {
      if (stopped) return
      const text = decode(bytes)
      if (text !== '') parser.feed(text)
    },
  }
}
