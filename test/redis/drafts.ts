import { type DraftEvent, draftBody } from '../../src/core/envelope.js'
import type { EventRecord, StoreListener } from '../../src/index.js'

/** A draft of a `note` event (or of the terminal `done` one), as the manager would make it. */
export function note(stream: string, n: number, terminal = false): DraftEvent {
  const type = terminal ? 'done' : 'note'
  const data = terminal ? { ok: true } : { text: `event ${n} é🚀 "quoted"\n`, n }
  const ts = new Date().toISOString()
  return { type, stream, ts, data, terminal, body: draftBody(type, stream, ts, data) }
}

/** A listener that records what it gets, and can wait for a count. */
export interface RecordingListener extends StoreListener {
  readonly records: EventRecord[]
  readonly errors: unknown[]
  ids(): number[]
  waitFor(count: number, timeoutMs?: number): Promise<void>
  waitForError(timeoutMs?: number): Promise<unknown>
}

/** Creates a {@link RecordingListener}. */
export function recorder(): RecordingListener {
  const records: EventRecord[] = []
  const errors: unknown[] = []
  let wake: (() => void) | undefined
  const changed = () => {
    const resolve = wake
    wake = undefined
    resolve?.()
  }
  async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!check()) {
      const left = deadline - Date.now()
      if (left <= 0) {
        throw new Error(`timed out waiting for ${what}; got ids ${JSON.stringify(ids())}`)
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50))
        wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
  }
  function ids(): number[] {
    return records.map((record) => Number(record.envelope.id))
  }
  return {
    records,
    errors,
    ids,
    event(record) {
      records.push(record)
      changed()
    },
    error(error) {
      errors.push(error)
      changed()
    },
    waitFor(count, timeoutMs = 10_000) {
      return until(() => records.length >= count, timeoutMs, `${count} events`)
    },
    async waitForError(timeoutMs = 10_000) {
      await until(() => errors.length > 0, timeoutMs, 'an error')
      return errors[0]
    },
  }
}

/** 1, 2, …, n. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}
