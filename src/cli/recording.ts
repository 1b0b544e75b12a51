import { type DraftEvent, draftBody, isEnvelope } from '../core/envelope.js'
import { CliError, EXIT } from './io.js'

/** One event of a JSON-lines log, ready to be appended to a store with its recorded id. */
export interface RecordedEvent {
  /** The draft to append: appended in order, it gets back its recorded id. */
  readonly draft: DraftEvent
  /** The recorded id. */
  readonly id: string
  /** When it was emitted, in ms since the epoch (`NaN` when `ts` does not parse). */
  readonly at: number
}

/** A parsed JSON-lines log. */
export interface Recording {
  /** The events, in the log's order. */
  readonly events: readonly RecordedEvent[]
  /** Each stream's name and its number of events, in order of first appearance. */
  readonly streams: ReadonlyMap<string, number>
  /** Non-empty lines that are not envelopes: how many, and the first one's line number. */
  readonly skipped: { readonly count: number; readonly firstLine: number | undefined }
}

/**
 * Parses the lines the stdout transport writes: one envelope per line. Lines that are not
 * envelopes (a stray `console.log` in the producer) are skipped and counted. Each stream's ids
 * must run 1, 2, 3… so that appending the events in order to a fresh store gives each its
 * recorded id; a log that breaks this is refused with a {@link CliError} (exit 2) naming the line.
 *
 * @param isTerminal - which event types end a stream
 */
export function parseRecording(text: string, isTerminal: (type: string) => boolean): Recording {
  const events: RecordedEvent[] = []
  const streams = new Map<string, number>()
  let skippedCount = 0
  let firstSkipped: number | undefined
  const lines = text.split('\n')
  for (const [index, raw] of lines.entries()) {
    const line = raw.trimEnd()
    if (line === '') continue
    const lineNumber = index + 1
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      value = undefined
    }
    if (!isEnvelope(value)) {
      skippedCount++
      firstSkipped ??= lineNumber
      continue
    }
    const expected = (streams.get(value.stream) ?? 0) + 1
    if (value.id !== String(expected)) {
      throw new CliError(
        EXIT.usage,
        `line ${lineNumber}: stream "${value.stream}" has id ${value.id} where ${expected} was expected. runstream serve replays complete logs, whose ids run 1, 2, 3… per stream as the stdout transport writes them.`,
      )
    }
    streams.set(value.stream, expected)
    events.push({
      id: value.id,
      at: Date.parse(value.ts),
      draft: {
        type: value.type,
        stream: value.stream,
        ts: value.ts,
        data: value.data,
        terminal: isTerminal(value.type),
        body: bodyOf(line, value),
      },
    })
  }
  return { events, streams, skipped: { count: skippedCount, firstLine: firstSkipped } }
}

// The recorded bytes after the id member, so the served envelope is the logged one byte for byte;
// a line rewritten by another tool (spaces, member order) is serialized again.
function bodyOf(
  line: string,
  envelope: { id: string; type: string; stream: string; ts: string; data: unknown },
): string {
  const prefix = `{"id":${JSON.stringify(envelope.id)},`
  if (line.startsWith(prefix)) return line.slice(prefix.length)
  return draftBody(envelope.type, envelope.stream, envelope.ts, envelope.data)
}
