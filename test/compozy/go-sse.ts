/**
 * What compozy's Go server puts on the wire, written again in TypeScript so that the recorded
 * streams under fixtures/ can be derived (and re-derived) from the Go code's rules:
 *
 * - `goJson` is Go's `json.Marshal`: like `JSON.stringify`, plus `<`, `>`, `&`, U+2028 and
 *   U+2029 escaped as `\u003c` etc. (Go's default HTML-safe encoding), and no trailing newline
 *   (`json.Marshal`, not `json.Encoder`, which would append one). Go writes a struct's fields in
 *   declaration order and a map's keys sorted: the recordings spell each object in that order.
 * - `goEvent` is `(*SSEStream).WriteEvent` in compozy's engine/infra/server/router/sse.go.
 * - `GO_HEARTBEAT` is its `WriteHeartbeat`; `GO_SSE_HEADERS` are the headers `StartSSE` sets.
 */

/** Go's `json.Marshal` of a value built in Go's key order. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/**
 * One frame as `WriteEvent(id, event, data)` writes it: `id: <id>`, `event: <event>` (CR and LF
 * removed, the line left out when empty), then `data:` and a blank line for empty data, or one
 * `data: <line>` per LF-separated line (only LF splits: a CR stays in the line) and a blank line.
 */
export function goEvent(id: number, event: string, data: string): string {
  let frame = `id: ${id}\n`
  const name = event.replace(/[\r\n]/g, '')
  if (name !== '') frame += `event: ${name}\n`
  if (data.length === 0) return `${frame}data:\n\n`
  for (const line of data.split('\n')) frame += `data: ${line}\n`
  return `${frame}\n`
}

/** `WriteHeartbeat`: a comment frame. */
export const GO_HEARTBEAT = ': ping\n\n'

/** The headers `StartSSE` sets before the first write. */
export const GO_SSE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
}
