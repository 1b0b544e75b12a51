import { describe, optionsObject, positiveInteger, refuseRenamed } from '../core/check.js'
import type { EventRecord } from '../core/envelope.js'
import { RunstreamError } from '../core/errors.js'
import type { Transport } from '../core/transport.js'
import { utf8Length } from '../core/utf8.js'

/**
 * Writes text. Return a promise to make the transport wait before the next write (backpressure);
 * the transport never calls it again before that promise settles.
 */
export type LineSink = (text: string) => void | Promise<void>

/** Options of {@link jsonLinesTransport}. */
export interface JsonLinesTransportOptions {
  /** Where the lines go. Each call receives one or more whole lines, each ending in `\n`. */
  write: LineSink
  /**
   * A name for error reports.
   * @defaultValue `'json-lines'`
   */
  name?: string
  /**
   * How many bytes (UTF-8) of lines may wait while the sink is busy. Past it, new lines are
   * refused with a `transport_overflow` error (reported through the manager's `onError`) until
   * the sink catches up.
   * @defaultValue 8_388_608 (8 MiB)
   */
  maxQueuedBytes?: number
}

/**
 * A transport that writes one JSON line per envelope: the line an agent loop prints. Lines are
 * never split or interleaved; while the sink is busy, waiting lines are joined into one write.
 * `runstream/node`'s `stdoutTransport` is this transport on `process.stdout`.
 *
 * @example
 * ```ts
 * const lines: string[] = []
 * const transport = jsonLinesTransport({ write: (text) => void lines.push(text) })
 * ```
 */
export function jsonLinesTransport(options: JsonLinesTransportOptions): Transport {
  const where = 'jsonLinesTransport'
  const given = optionsObject(where, options)
  refuseRenamed(where, given, { maxQueuedChars: 'maxQueuedBytes' })
  const { write } = given
  if (typeof write !== 'function') {
    throw new TypeError(
      `jsonLinesTransport: \`write\` must be a function that takes a string; got ${describe(write)}.`,
    )
  }
  const name = given.name ?? 'json-lines'
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(
      `jsonLinesTransport: \`name\` must be a non-empty string such as "audit-log"; got ${describe(name)}.`,
    )
  }
  const maxQueued = positiveInteger(
    where,
    'maxQueuedBytes',
    given.maxQueuedBytes,
    8_388_608,
    'bytes',
    '8_388_608 (8 MiB)',
  )
  let queue: string[] = []
  let queued = 0
  let busy: Promise<void> | undefined
  // A failure of a joined write that no send() could return; thrown by the next send().
  let failed: unknown

  return {
    name,
    send(record: EventRecord) {
      const line = record.json + '\n'
      if (failed !== undefined) {
        const error = failed
        failed = undefined
        throw error
      }
      if (busy === undefined) {
        const result = write(line)
        if (result !== undefined && typeof result.then === 'function') {
          busy = drain(result)
          // The caller sees this line's own failure; later joined writes report on the next send.
          return result
        }
        return
      }
      // Counted only while the sink is busy: a line that goes straight out costs no count.
      const bytes = utf8Length(line)
      if (queued + bytes > maxQueued) {
        throw new RunstreamError(
          'transport_overflow',
          `Transport "${name}" dropped event ${record.envelope.id} of "${record.envelope.stream}": ${queued} bytes are already waiting for a slow sink (maxQueuedBytes ${maxQueued}). Make the sink faster or raise maxQueuedBytes.`,
          {
            details: {
              transport: name,
              stream: record.envelope.stream,
              id: record.envelope.id,
              queuedBytes: queued,
              maxQueuedBytes: maxQueued,
            },
          },
        )
      }
      queue.push(line)
      queued += bytes
    },
    async close() {
      while (busy !== undefined) await busy
    },
  }

  async function drain(pending: Promise<void>): Promise<void> {
    try {
      await pending.catch(() => undefined)
      while (queue.length > 0) {
        const text = queue.length === 1 ? (queue[0] as string) : queue.join('')
        const lines = queue.length
        queue = []
        queued = 0
        try {
          await write(text)
        } catch (error) {
          failed = new RunstreamError(
            'transport_failed',
            `Transport "${name}" failed to write ${lines} line(s): ${error instanceof Error ? error.message : String(error)}.`,
            { cause: error, details: { transport: name, lines } },
          )
        }
      }
    } finally {
      busy = undefined
    }
  }
}
