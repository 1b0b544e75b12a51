import type { Writable } from 'node:stream'
import type { Transport } from '../core/transport.js'
import { jsonLinesTransport } from '../transports/json-lines.js'

/** Options of {@link stdoutTransport}. */
export interface StdoutTransportOptions {
  /**
   * The Node stream to write to.
   * @defaultValue `process.stdout`
   */
  stream?: Writable
  /** See `jsonLinesTransport`'s `maxQueuedBytes`. @defaultValue 8_388_608 (8 MiB) */
  maxQueuedBytes?: number
}

/**
 * The stdout transport: one JSON line per envelope on `process.stdout` (or another Node
 * writable), waiting for `drain` when the stream is full so memory stays bounded and lines are
 * never interleaved.
 *
 * @example
 * ```ts
 * const manager = createStreamManager({ catalog: orchestrationCatalog, transports: [stdoutTransport()] })
 * ```
 */
export function stdoutTransport(options: StdoutTransportOptions = {}): Transport {
  const stream = options.stream ?? process.stdout
  return jsonLinesTransport({
    name: 'stdout',
    ...(options.maxQueuedBytes === undefined ? {} : { maxQueuedBytes: options.maxQueuedBytes }),
    // An old name reaches jsonLinesTransport, which refuses it with its new one.
    ...('maxQueuedChars' in options ? { maxQueuedChars: options.maxQueuedChars } : {}),
    write(text) {
      if (stream.write(text)) return
      return new Promise<void>((resolve, reject) => {
        const done = (error?: Error) => {
          stream.off('drain', onDrain)
          stream.off('error', done)
          stream.off('close', onClose)
          if (error) reject(error)
          else resolve()
        }
        const onDrain = () => done()
        const onClose = () => done(new Error('the stream was closed'))
        stream.once('drain', onDrain)
        stream.once('error', done)
        stream.once('close', onClose)
      })
    },
  })
}
