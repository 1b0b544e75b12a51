import { parseCompositeCursor } from '../core/composite-cursor.js'
import type { StreamManager } from '../core/manager.js'
import { checkAuthorized } from './authorize.js'
import { corsHeaders } from './cors.js'
import { type Refusal, refusal } from './http-errors.js'
import type { IncomingRequest } from './incoming.js'
import { readJson } from './json-body.js'
import { checkStream, type Preparation, parseFilter, requestCursor, sseHeaders } from './prepare.js'
import { parseStreamName } from './routes.js'
import type { ResolvedHandlerOptions } from './settings.js'

/** What a many-stream connection follows, decided once before the response starts. */
export interface ManyPlan {
  /** The streams, in the request's order: the order of the composite cursor's positions. */
  readonly streams: readonly string[]
  /** Where each stream resumes: `''` (from the start), a cursor, or `'~'` (finished: skipped). */
  readonly positions: readonly string[]
  /** The event types to send; `undefined` sends all. Terminal events are always sent. */
  readonly filter: ReadonlySet<string> | undefined
}

/** How a request to `{basePath}/streams` is answered. */
export type ManyPreparation = Preparation<ManyPlan> | { readonly kind: 'gone' }

/**
 * Decides how to answer a request for several streams: reads the list (the `stream` query
 * parameters, or a JSON body `{ "streams": [...] }` of a `POST`) and the composite cursor, asks
 * `authorize` about every stream (one refusal refuses the request), then checks each stream as
 * the single-stream route does. A request whose every stream is finished at its cursor gets a 204.
 */
export async function prepareStreams(
  manager: StreamManager,
  incoming: IncomingRequest,
  options: ResolvedHandlerOptions,
): Promise<ManyPreparation> {
  const cors = corsHeaders(options.cors, incoming.header('origin'))
  const refuse = (r: Refusal): ManyPreparation => ({
    kind: 'refuse',
    refusal: cors === undefined ? r : { ...r, headers: { ...r.headers, ...cors } },
  })
  const listed = await readList(incoming, options)
  if ('gone' in listed) return { kind: 'gone' }
  if ('status' in listed) return refuse(listed)
  const { streams } = listed

  const cursor = requestCursor(incoming) || listed.lastEventId
  const positions =
    cursor === '' ? streams.map(() => '') : parseCompositeCursor(cursor, streams.length)
  if (positions === undefined) {
    return refuse(
      refusal(
        400,
        'invalid_cursor',
        `Invalid Last-Event-ID for ${streams.length} stream(s): send the last id received, a position per stream in the order of the list, separated by commas (such as "12,,lz3kq9a1x0.7,~").`,
        { lastEventId: cursor.slice(0, 80) },
      ),
    )
  }

  // Every stream is asked about, even a finished one: the answer must not tell a stream's state to
  // whoever may not watch it.
  const verdicts = await Promise.all(
    streams.map((stream) => checkAuthorized(options, incoming, stream, 'watch')),
  )
  for (const denied of verdicts) {
    if (denied instanceof Response) return { kind: 'response', response: denied }
    if (denied !== undefined) return refuse(denied)
  }

  const filter = parseFilter(incoming.url.searchParams, 'many', manager)
  if ('status' in filter) return refuse(filter)

  const checked = await Promise.all(
    streams.map((stream, i) =>
      positions[i] === '~'
        ? 'finished'
        : checkStream(manager, incoming, stream, positions[i] || undefined, options),
    ),
  )
  for (let i = 0; i < streams.length; i++) {
    const verdict = checked[i]
    if (verdict === 'finished') positions[i] = '~'
    else if (verdict !== 'live' && verdict !== undefined) return refuse(verdict)
  }
  // The spec's "stop reconnecting": nothing will ever follow any of these positions.
  if (positions.every((position) => position === '~')) {
    return { kind: 'empty', headers: { ...cors } }
  }
  const base = sseHeaders(options.protocol)
  return {
    kind: 'stream',
    plan: { streams, positions, filter: filter.filter },
    headers: cors === undefined ? { ...base } : { ...base, ...cors },
  }
}

interface List {
  readonly streams: string[]
  /** The body's `lastEventId`, or `''`. */
  readonly lastEventId: string
}

/** The stream list of a request: checked names, none twice, at most `maxStreamsPerConnection`. */
async function readList(
  incoming: IncomingRequest,
  options: ResolvedHandlerOptions,
): Promise<List | Refusal | { readonly gone: true }> {
  let names: unknown[]
  let lastEventId = ''
  if (incoming.method === 'POST') {
    const body = await readJson(incoming, options.runs.maxBodyBytes)
    if ('gone' in body || 'status' in body) return body
    const value = body.value as { streams?: unknown; lastEventId?: unknown } | null
    if (
      typeof value !== 'object' ||
      value === null ||
      !Array.isArray(value.streams) ||
      (value.lastEventId !== undefined && typeof value.lastEventId !== 'string')
    ) {
      return refusal(
        400,
        'invalid_body',
        'The body must be JSON such as {"streams": ["task:t1", "task:t2"]}, with an optional "lastEventId" string.',
      )
    }
    names = value.streams
    lastEventId = (value.lastEventId as string | undefined) ?? ''
  } else {
    names = incoming.url.searchParams
      .getAll('stream')
      .flatMap((value) => value.split(','))
      .filter((name) => name !== '')
  }
  const max = options.maxStreamsPerConnection
  if (names.length === 0) {
    return refusal(
      400,
      'invalid_request',
      'List the streams to follow: ?stream=task:t1&stream=task:t2 (or a POST body {"streams": [...]}).',
    )
  }
  if (names.length > max) {
    return refusal(
      400,
      'too_many_streams',
      `${names.length} streams listed; one connection follows at most ${max} (maxStreamsPerConnection). Split the list over several connections.`,
      { streams: names.length, maxStreamsPerConnection: max },
    )
  }
  const seen = new Set<string>()
  for (const name of names) {
    if (typeof name !== 'string' || parseStreamName(name) === undefined) {
      return refusal(
        400,
        'invalid_stream_id',
        `Invalid stream ${JSON.stringify(String(name).slice(0, 160))}: name it "<kind>:<id>", kind workflow, agent or task, and an id of 1 to 128 letters, digits and _ . : @ ~ + = -.`,
      )
    }
    if (seen.has(name)) {
      return refusal(400, 'invalid_request', `Stream "${name}" is listed twice: list it once.`)
    }
    seen.add(name)
  }
  return { streams: [...seen], lastEventId }
}
