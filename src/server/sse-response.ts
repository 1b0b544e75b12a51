import type { StreamManager } from '../core/manager.js'
import { JSON_HEADERS, type Refusal } from './http-errors.js'
import { keepStreamOpen } from './idle-timeout.js'
import { fetchIncoming } from './incoming.js'
import { checkManager } from './manager-check.js'
import type { SseResponseOptions } from './options.js'
import { serveStream } from './pipeline.js'
import { resolveLocation } from './run-options.js'
import { resolveSseOptions } from './settings.js'
import type { Answer } from './stream-answer.js'
import { createWebSink } from './web-sink.js'

/**
 * Answers one request with the live stream `stream`: the building block for routes of your own.
 * The response is an SSE stream (or text with `?format=text`), a 204 when the request's cursor is
 * at the end of a finished stream, or a JSON error. The query and headers are read as on the
 * built-in routes: `Last-Event-ID` or `lastEventId`, `events`, `format`.
 *
 * A `POST` (that starts a run) may answer with its stream too, given `options.location`: the URL
 * of a `GET` route of the same stream, sent as `Location` and `Content-Location`, where
 * runstream's client resumes after a drop. A request other than `GET` without `location` throws a
 * `TypeError`: its client would reconnect to the `POST` URL. To start runs, `createRunResponse`
 * (or a handler's `start`) does the rest too: the id, the claim, the body.
 *
 * @param manager - the manager whose events are streamed; failures go to its `onError` unless
 *   `options.onError` is given
 * @param request - the incoming request; its `signal` ends the stream when it aborts
 * @param stream - the stream's name, such as `workflow:exec_42`; never build it from unchecked input
 * @example
 * ```ts
 * app.get('/runs/:id/events', (c) => createSseResponse(manager, c.req.raw, `run:${c.req.param('id')}`))
 * app.post('/runs', async (c) => {
 *   const id = await startRun(await c.req.json())
 *   return createSseResponse(manager, c.req.raw, `run:${id}`, { location: `/runs/${id}/events` })
 * })
 * ```
 */
export async function createSseResponse(
  manager: StreamManager,
  request: Request,
  stream: string,
  options?: SseResponseOptions,
): Promise<Response> {
  checkManager('createSseResponse', manager)
  const resolved = resolveSseOptions('createSseResponse', options, manager.onError)
  const location = resolveLocation('createSseResponse', request.method, options?.location)
  return answerResponse(
    await serveStream(manager, resolved, fetchIncoming(request), stream, location),
    request,
  )
}

/**
 * The Fetch edge of the pipeline: turns an {@link Answer} into a `Response`, a stream's body
 * being a pull-based `ReadableStream` that ends when `request.signal` aborts.
 *
 * @param server - what the runtime passed after the request (Bun's server lifts its idle timeout)
 */
export function answerResponse(answer: Answer, request: Request, server?: unknown): Response {
  switch (answer.kind) {
    case 'no-route':
    case 'refuse':
      return refusalResponse(answer.refusal)
    case 'empty':
      return new Response(null, { status: 204, headers: answer.headers })
    case 'json':
      return new Response(JSON.stringify(answer.body), {
        status: answer.status,
        headers: { ...JSON_HEADERS, ...answer.headers },
      })
    case 'response':
      return answer.response
    case 'gone':
      // Nobody reads it: the client left while the request was being decided.
      return new Response(null, { status: 503 })
    case 'stream': {
      keepStreamOpen(request, server)
      const sink = answer.start(createWebSink, request.signal)
      return new Response(sink.body, { status: 200, headers: answer.headers })
    }
  }
}

/** A {@link Refusal} as a JSON `Response`. */
export function refusalResponse(r: Refusal): Response {
  return new Response(JSON.stringify(r.body), {
    status: r.status,
    headers: r.headers === undefined ? JSON_HEADERS : { ...JSON_HEADERS, ...r.headers },
  })
}
