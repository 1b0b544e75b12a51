import { RunstreamError } from './errors.js'
import type { CancelListener, ReadResult, RunState, Unlisten } from './store.js'

/** The run support of the memory store: claims of new runs, and cancellations in this process. */
export interface MemoryRuns {
  createRun(stream: string): boolean
  endRun(stream: string): void
  cancelRun(stream: string, reason: string): RunState
  onCancel(listener: CancelListener): Unlisten
  /** Forgets one claim, or every claim. */
  clear(stream?: string): void
  /** Forgets every claim and listener; later calls fail. */
  close(): void
}

/** What the run support needs from its store. */
export interface MemoryRunsOptions {
  /** Reads the stream's state (`limit: 0`): whether it holds events and has finished. */
  read(stream: string): ReadResult
  /** How long a claim is kept without an end: the store's idle TTL. */
  ttlMs: number
  /** How many claims are kept at once; past it the oldest is forgotten. */
  maxRuns: number
  now(): number
}

// Expired claims are forgotten a few per claim, so a mass expiry never stalls one startRun.
const EXPIRE_PER_CLAIM = 16

/**
 * Creates the run support of one memory store. A claim is what makes a run exist before its
 * first event: it is kept until the run ends (`endRun`) or for the store's idle TTL, and the
 * claims are bounded in number. Cancellations are delivered synchronously to this process's
 * listeners, the only ones a memory store has.
 */
export function createMemoryRuns(options: MemoryRunsOptions): MemoryRuns {
  const { ttlMs, maxRuns, now } = options
  // By claim time, oldest first: every claim lives ttlMs, so the head expires first.
  const claims = new Map<string, number>()
  const listeners = new Set<CancelListener>()
  let closed = false

  return {
    createRun(stream) {
      const page = options.read(stream)
      const t = now()
      expire(t)
      if (claimed(stream, t) || page.lastId !== undefined) return false
      claims.set(stream, t + ttlMs)
      if (claims.size > maxRuns) claims.delete(claims.keys().next().value as string)
      return true
    },
    endRun(stream) {
      claims.delete(stream)
    },
    cancelRun(stream, reason) {
      const page = options.read(stream)
      if (page.finished) return 'finished'
      if (page.lastId === undefined && !claimed(stream, now())) return 'unknown'
      for (const listener of [...listeners]) {
        try {
          listener(stream, reason)
        } catch {
          // A listener's failure is its own; the others are still told.
        }
      }
      return 'running'
    },
    onCancel(listener) {
      if (closed) throw closedError()
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    clear(stream) {
      if (stream === undefined) claims.clear()
      else claims.delete(stream)
    },
    close() {
      closed = true
      claims.clear()
      listeners.clear()
    },
  }

  function claimed(stream: string, t: number): boolean {
    const expires = claims.get(stream)
    if (expires === undefined) return false
    if (expires > t) return true
    claims.delete(stream)
    return false
  }

  function expire(t: number): void {
    let n = 0
    for (const [stream, expires] of claims) {
      if (expires > t || n++ >= EXPIRE_PER_CLAIM) return
      claims.delete(stream)
    }
  }
}

function closedError(): RunstreamError {
  return new RunstreamError(
    'store_failed',
    'The memory store was closed (manager.close() closes its store); create a new one.',
  )
}
