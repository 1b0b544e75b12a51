import { corsHeaders, isOriginAllowed, preflightHeaders } from './cors.js'
import { type Refusal, refusal } from './http-errors.js'
import type { IncomingRequest } from './incoming.js'
import {
  type ExecutionKind,
  hasDotSegmentOrBackslash,
  isRefusal,
  matchRoute,
  matchRunRoute,
  type RouteMatch,
  type RunRouteMatch,
} from './routes.js'
import type { ResolvedSseOptions } from './settings.js'

/** Which run routes a handler serves. */
export interface RunRoutes {
  /** `POST {basePath}/executions/{kind}s`: the handler has a `start`. */
  readonly start: boolean
  /** `POST {basePath}/executions/{kind}s/:id/cancel`. */
  readonly cancel: boolean
}

/** What a handler does with a request, before any stream logic. */
export type Dispatch =
  | { readonly kind: 'stream'; readonly match: RouteMatch }
  | { readonly kind: 'start-run'; readonly execution: ExecutionKind }
  | { readonly kind: 'cancel-run'; readonly match: RouteMatch }
  | { readonly kind: 'streams' }
  | { readonly kind: 'preflight'; readonly headers: Record<string, string> }
  | { readonly kind: 'refuse'; readonly refusal: Refusal }
  | { readonly kind: 'no-route' }

/**
 * Routes a request: a stream route with a valid id and `GET`, a run route (when served) with
 * `POST`, a CORS preflight, or a refusal (a path with a dot segment or a backslash, a bad id, a
 * wrong method, an origin not allowed). `no-route` lets a Node middleware call `next()`.
 */
export function dispatch(
  incoming: IncomingRequest,
  basePath: string,
  options: ResolvedSseOptions,
  runs: RunRoutes = NO_RUN_ROUTES,
): Dispatch {
  const { pathname } = incoming.url
  const streamMatch = matchRoute(pathname, basePath)
  const runMatch = streamMatch === undefined ? servedRunRoute(pathname, basePath, runs) : undefined
  if (hasDotSegmentOrBackslash(incoming.target)) {
    // Refused whatever it resolves to: a gateway in front authorized the path as written. A path
    // outside the routes (an Express app's own) is left to the app.
    const ours =
      streamMatch !== undefined ||
      runMatch !== undefined ||
      incoming.target.startsWith(`${basePath}/`)
    if (!ours) return { kind: 'no-route' }
    return {
      kind: 'refuse',
      refusal: refusal(
        400,
        'invalid_path',
        'The path has a dot segment ("." or "..", also as %2e) or a backslash: request the stream by its own path.',
        undefined,
        corsHeaders(options.cors, incoming.header('origin')),
      ),
    }
  }
  if (pathname === `${basePath}${STREAMS_PATH}`) return dispatchStreams(incoming, options)
  if (runMatch !== undefined) {
    if (!isRefusal(runMatch)) return dispatchRun(incoming, runMatch, options)
    const headers = corsHeaders(options.cors, incoming.header('origin'))
    return {
      kind: 'refuse',
      refusal: headers === undefined ? runMatch : { ...runMatch, headers },
    }
  }
  if (streamMatch === undefined) return { kind: 'no-route' }
  const match = streamMatch
  const gate = methodGate(incoming, options, ['GET'], {
    forbidden: 'This origin may not read the streams.',
    wrongMethod: 'Streams are read with GET.',
  })
  if (gate !== undefined) return gate
  const headers = corsHeaders(options.cors, incoming.header('origin'))
  if (isRefusal(match)) {
    return { kind: 'refuse', refusal: headers === undefined ? match : { ...match, headers } }
  }
  return { kind: 'stream', match }
}

/** The 404 of a path that is no stream route. */
export function noRoute(incoming: IncomingRequest, options: ResolvedSseOptions): Refusal {
  return refusal(
    404,
    'not_found',
    `No stream route matches ${incoming.url.pathname.slice(0, 200)}.`,
    undefined,
    corsHeaders(options.cors, incoming.header('origin')),
  )
}

/** The path of the many-stream route under the base path. */
export const STREAMS_PATH = '/streams'

/** Routes a request to the many-stream route: `GET`, `POST` (the list in a JSON body), or a preflight. */
function dispatchStreams(incoming: IncomingRequest, options: ResolvedSseOptions): Dispatch {
  const gate = methodGate(incoming, options, ['GET', 'POST'], {
    forbidden: 'This origin may not read the streams.',
    wrongMethod:
      'Several streams are read with GET (the list in the query) or POST (the list in a JSON body).',
  })
  return gate ?? { kind: 'streams' }
}

const NO_RUN_ROUTES: RunRoutes = { start: false, cancel: false }

/** A run route the handler serves, a refusal of a bad id in one, or `undefined`. */
function servedRunRoute(
  pathname: string,
  basePath: string,
  runs: RunRoutes,
): RunRouteMatch | Refusal | undefined {
  if (!runs.start && !runs.cancel) return undefined
  const match = matchRunRoute(pathname, basePath)
  if (match === undefined) return undefined
  if (isRefusal(match)) return runs.cancel ? match : undefined
  return (match.action === 'start' ? runs.start : runs.cancel) ? match : undefined
}

/** Routes a request to a run route: `POST`, or a preflight of it. */
function dispatchRun(
  incoming: IncomingRequest,
  match: RunRouteMatch,
  options: ResolvedSseOptions,
): Dispatch {
  const gate = methodGate(incoming, options, ['POST'], {
    forbidden: 'This origin may not use the run routes.',
    wrongMethod:
      match.action === 'start' ? 'Runs are started with POST.' : 'Runs are cancelled with POST.',
  })
  if (gate !== undefined) return gate
  return match.action === 'start'
    ? { kind: 'start-run', execution: match.kind }
    : { kind: 'cancel-run', match: match.match }
}

/**
 * What every route does before its own logic: answers a CORS preflight (or refuses the origin
 * with 403), and refuses a method other than `methods` with 405 and its `Allow`. `undefined`
 * when the request may go on.
 */
function methodGate(
  incoming: IncomingRequest,
  options: ResolvedSseOptions,
  methods: readonly string[],
  messages: { readonly forbidden: string; readonly wrongMethod: string },
): Dispatch | undefined {
  const { cors } = options
  const origin = incoming.header('origin')
  const allowed = (cors === undefined ? methods : [...methods, 'OPTIONS']).join(', ')
  if (incoming.method === 'OPTIONS' && cors !== undefined) {
    if (!isOriginAllowed(cors, origin)) {
      return {
        kind: 'refuse',
        refusal: refusal(403, 'forbidden', messages.forbidden, undefined, { vary: 'Origin' }),
      }
    }
    return { kind: 'preflight', headers: preflightHeaders(cors, origin, allowed) }
  }
  if (methods.includes(incoming.method)) return undefined
  return {
    kind: 'refuse',
    refusal: refusal(405, 'method_not_allowed', messages.wrongMethod, undefined, {
      allow: allowed,
      ...corsHeaders(cors, origin),
    }),
  }
}
