import { optionsObject, positiveInteger, refuseRenamed } from '../core/check.js'
import type { Envelope, EventRecord } from '../core/envelope.js'
import type { Transport } from '../core/transport.js'

/** The in-memory transport: keeps every record it is sent, for tests and inspection. */
export interface MemoryTransport<E extends Envelope = Envelope>
  extends Transport,
    Iterable<EventRecord<E>> {
  /** Every record sent so far, oldest first. */
  readonly records: readonly EventRecord<E>[]
  /** The envelopes of those records. */
  envelopes(): E[]
  /** Their JSON lines, exactly as sent. */
  lines(): string[]
  /** Forgets every record. */
  clear(): void
  /** Resolves once at least `count` records have been sent (or rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<readonly EventRecord<E>[]>
}

/** Options of {@link memoryTransport}. */
export interface MemoryTransportOptions {
  /**
   * How many records are kept at least; past twice this, the oldest are dropped down to it.
   * @defaultValue 100_000
   */
  maxEvents?: number
}

/**
 * Creates an in-memory transport. It is iterable (`for (const record of transport)`), and is the
 * transport to use in tests.
 */
export function memoryTransport<E extends Envelope = Envelope>(
  options?: MemoryTransportOptions,
): MemoryTransport<E> {
  const given = optionsObject('memoryTransport', options)
  refuseRenamed('memoryTransport', given, { limit: 'maxEvents' })
  const limit = positiveInteger(
    'memoryTransport',
    'maxEvents',
    given.maxEvents,
    100_000,
    'events',
    '100_000',
  )
  let records: EventRecord<E>[] = []
  const waiters = new Set<{ count: number; resolve: () => void }>()

  return {
    name: 'memory',
    get records() {
      return records
    },
    send(record) {
      records.push(record as EventRecord<E>)
      // Trim in batches: one splice per `limit` sends keeps send O(1) on average.
      if (records.length >= limit * 2) records.splice(0, records.length - limit)
      for (const waiter of waiters) {
        if (records.length >= waiter.count) {
          waiters.delete(waiter)
          waiter.resolve()
        }
      }
    },
    envelopes: () => records.map((record) => record.envelope),
    lines: () => records.map((record) => record.json),
    clear() {
      records = []
    },
    [Symbol.iterator]: () => records[Symbol.iterator](),
    waitFor(count, timeoutMs = 5000) {
      if (records.length >= count) return Promise.resolve(records)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          reject(
            new Error(
              `memoryTransport: ${records.length} of ${count} records after ${timeoutMs} ms.`,
            ),
          )
        }, timeoutMs)
        const waiter = {
          count,
          resolve: () => {
            clearTimeout(timer)
            resolve(records)
          },
        }
        waiters.add(waiter)
      })
    },
  }
}
