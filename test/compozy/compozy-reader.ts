/**
 * How compozy's own client code reads its streams. compozy ships no client package (nothing on
 * npm; its repository has no TypeScript consumer of these routes): its client code is the
 * browser `EventSource` recipe of its streaming spec, compozy/compozy
 * tasks/prd-stream/_techspec.md §13 "Client Consumption Example (JS)": one listener per event
 * name, `JSON.parse(e.data)` for the JSON events, `e.data` as it is for `llm_chunk` ("plain text
 * line"), `es.close()` on `complete`; and its docs' checklist
 * (docs/content/docs/schema/execution-stream-events.mdx): close after `complete` or `error`.
 *
 * This reader does exactly that with the `eventsource` package (a WHATWG `EventSource`), and
 * records what each listener saw, so a test can compare two servers through compozy's eyes.
 */
import { EventSource } from 'eventsource'

/** What one of compozy's listeners saw. */
export interface Seen {
  /** `e.lastEventId` */
  id: string
  event: string
  /** `JSON.parse(e.data)`, or `e.data` for `llm_chunk`. */
  value: unknown
}

/**
 * Reads `url` as compozy's client does, listening for `names`; resolves with what it saw once a
 * `complete` or `error` event closed it. Rejects after `timeoutMs`.
 */
export function readAsCompozy(
  url: string,
  names: readonly string[],
  timeoutMs = 5000,
): Promise<Seen[]> {
  const seen: Seen[] = []
  const source = new EventSource(url)
  return new Promise<Seen[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      source.close()
      reject(new Error(`compozy reader: no complete or error event within ${timeoutMs} ms`))
    }, timeoutMs)
    for (const name of names) {
      source.addEventListener(name, (e) => {
        // `error` is also EventSource's connection-error event, which carries no data: compozy's
        // recipe leaves that one to the browser's reconnect.
        if (!(e instanceof MessageEvent)) return
        const value = name === 'llm_chunk' ? e.data : JSON.parse(e.data)
        seen.push({ id: e.lastEventId, event: name, value })
        if (name === 'complete' || name === 'error') {
          source.close()
          clearTimeout(timer)
          resolve(seen)
        }
      })
    }
  })
}
