import type { EventRecord } from '../core/envelope.js'
import { RunstreamError } from '../core/errors.js'
import type { Transport } from '../core/transport.js'

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
   * How many characters may wait while the sink is busy. Past it, new lines are refused with a
   * `transport_overflow` error (reported through the manager's `onError`) until the sink catches up.
   * @defaultValue 8_388_608 (8 Mi characters)
   */
  maxQueuedChars?: number
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
  const { write } = options
  if (typeof write !== 'function') {
    throw new TypeError('jsonLinesTransport: `write` must be a function that takes a string.')
  }
  const name = options.name ?? 'json-lines'
  const maxQueued = options.maxQueuedChars ?? 8_388_608
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
      if (queued + line.length > maxQueued) {
        throw new RunstreamError(
          'transport_overflow',
          `Transport "${name}" dropped event ${record.envelope.id} of "${record.envelope.stream}": ${queued} characters are already waiting for a slow sink (maxQueuedChars ${maxQueued}). Make the sink faster or raise maxQueuedChars.`,
          { details: { transport: name, stream: record.envelope.stream, id: record.envelope.id } },
        )
      }
      queue.push(line)
      queued += line.length
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
