import { type DraftEvent, type EventRecord, recordFromDraft } from '../core/envelope.js'
import { RunstreamError } from '../core/errors.js'
import type { RedisCommands } from './connection.js'
import { decodeResolution, RESOLVE_SCRIPT, type StreamKeys } from './scripts.js'

/**
 * Learns what became of appends whose reply never came. Each append carries a token (this store's
 * tag and a counter) that the script stores with the event; when the reply is lost, the resolver
 * asks Redis, on the same connection and so after the lost command, whether an event with that
 * token is in the stream.
 */
export interface Resolver {
  /** The token of the next append: `tag × 2^32 + counter`, as decimal text. */
  nextToken(): string
  /**
   * Settles an append whose outcome is unknown: its record when Redis stored it, `store_failed`
   * when it did not, `store_unknown` when Redis did not answer within `maxOutageMs` (or the store
   * was closed).
   */
  resolve(draft: DraftEvent, keys: StreamKeys, token: string, cause: unknown): Promise<EventRecord>
  /** Settles everything pending as `store_unknown`. */
  close(): void
}

/** What the resolver needs from its store. */
export interface ResolverOptions {
  readonly command: RedisCommands
  /** How long an append may wait for its answer, from its failure. */
  readonly maxOutageMs: number
}

interface Pending {
  readonly draft: DraftEvent
  readonly keys: StreamKeys
  readonly token: string
  readonly cause: unknown
  readonly deadline: number
  resolve(record: EventRecord): void
  reject(error: RunstreamError): void
}

const RETRY_MS = 250
const WORD = 0x1_0000_0000

/**
 * Creates the resolver of one store. Pending appends are settled one at a time, in the order they
 * failed: one command in flight however many replies were lost, and the order of a stream's
 * appends is kept.
 */
export function createResolver(options: ResolverOptions): Resolver {
  const { command, maxOutageMs } = options
  // A random tag per store (21 bits, so the token stays below 2^53), told apart from the other
  // appenders of a stream; the counter orders this store's appends.
  let tag = randomTag()
  let counter = 0
  const queue: Pending[] = []
  let running = false
  let closed = false

  return {
    nextToken() {
      counter++
      if (counter >= WORD) {
        tag = randomTag()
        counter = 1
      }
      return String(tag * WORD + counter)
    },
    resolve(draft, keys, token, cause) {
      return new Promise<EventRecord>((resolve, reject) => {
        const pending = {
          draft,
          keys,
          token,
          cause,
          deadline: Date.now() + maxOutageMs,
          resolve,
          reject,
        }
        if (closed) {
          reject(unknownError(pending, 'the store was closed'))
          return
        }
        queue.push(pending)
        if (!running) void run()
      })
    },
    close() {
      closed = true
      for (const pending of queue.splice(0)) {
        pending.reject(unknownError(pending, 'the store was closed'))
      }
    },
  }

  async function run(): Promise<void> {
    running = true
    try {
      while (queue.length > 0 && !closed) {
        const pending = queue[0] as Pending
        const settled = await attempt(pending)
        if (closed) return
        if (settled) {
          queue.shift()
          continue
        }
        // Redis does not answer: every append past its deadline is reported now, not one by one
        // after an attempt each.
        const now = Date.now()
        while (queue.length > 0 && (queue[0] as Pending).deadline <= now + RETRY_MS) {
          const expired = queue.shift() as Pending
          expired.reject(
            unknownError(expired, `Redis did not answer within ${maxOutageMs} ms (maxOutageMs)`),
          )
        }
        if (queue.length > 0) await retryDelay()
      }
    } finally {
      running = false
    }
  }

  // Waits RETRY_MS, or less when the connection comes back: the transports wait for the answer.
  function retryDelay(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        command.off('ready', done)
        resolve()
      }
      const timer = setTimeout(done, RETRY_MS)
      command.once('ready', done)
    })
  }

  // Asks Redis once. Returns whether the append is settled.
  async function attempt(pending: Pending): Promise<boolean> {
    const { draft, keys, token } = pending
    const n = Number(token)
    let reply: unknown
    try {
      reply = await command.eval(
        RESOLVE_SCRIPT,
        2,
        keys.events,
        keys.meta,
        token,
        Math.floor(n / WORD),
        n % WORD,
      )
    } catch {
      return false
    }
    if (closed) return true
    let found: ReturnType<typeof decodeResolution>
    try {
      found = decodeResolution(reply)
    } catch {
      return false
    }
    if (found.id > 0) {
      pending.resolve(recordFromDraft(String(found.id), draft, found.epoch))
    } else {
      // Not stored, whatever the reason: lost with its connection, or refused because the stream
      // had finished (which later emits will be told).
      pending.reject(
        new RunstreamError(
          'store_failed',
          `Redis did not store event "${draft.type}" of stream "${draft.stream}": its reply was lost (${messageOf(pending.cause)}), and Redis confirmed afterwards that the stream does not hold it. Emitting it again makes no duplicate.`,
          { cause: pending.cause, details: { stream: draft.stream, eventType: draft.type } },
        ),
      )
    }
    return true
  }
}

function unknownError(pending: Pending, why: string): RunstreamError {
  const { draft, cause } = pending
  return new RunstreamError(
    'store_unknown',
    `Redis may or may not have stored event "${draft.type}" of stream "${draft.stream}": its reply was lost (${messageOf(cause)}), and ${why} to tell. Emitting it again may duplicate it; see docs/reliability.md.`,
    { cause, details: { stream: draft.stream, eventType: draft.type } },
  )
}

function randomTag(): number {
  return Math.floor(Math.random() * 0x20_0000)
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
