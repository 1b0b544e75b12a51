import { corsHeaders, isOriginAllowed, preflightHeaders } from './cors.js'
import { type Refusal, refusal } from './http-errors.js'
import type { IncomingRequest } from './incoming.js'
import { hasDotSegmentOrBackslash, isRefusal, matchRoute, type RouteMatch } from './routes.js'
import type { ResolvedSseOptions } from './settings.js'

/** What a handler does with a request, before any stream logic. */
export type Dispatch =
  | { readonly kind: 'stream'; readonly match: RouteMatch }
  | { readonly kind: 'preflight'; readonly headers: Record<string, string> }
  | { readonly kind: 'refuse'; readonly refusal: Refusal }
  | { readonly kind: 'no-route' }

/**
 * Routes a request: a stream route with a valid id and `GET`, a CORS preflight, or a refusal
 * (a path with a dot segment or a backslash, a bad id, a wrong method, an origin not allowed).
 * `no-route` lets a Node middleware call `next()`.
 */
export function dispatch(
  incoming: IncomingRequest,
  basePath: string,
  options: ResolvedSseOptions,
): Dispatch {
  const { pathname } = incoming.url
  const match = matchRoute(pathname, basePath)
  if (hasDotSegmentOrBackslash(incoming.target)) {
    // Refused whatever it resolves to: a gateway in front authorized the path as written. A path
    // outside the routes (an Express app's own) is left to the app.
    const ours = match !== undefined || incoming.target.startsWith(`${basePath}/`)
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
  if (match === undefined) return { kind: 'no-route' }
  const { cors } = options
  const origin = incoming.header('origin')
  if (incoming.method === 'OPTIONS' && cors !== undefined) {
    if (!isOriginAllowed(cors, origin)) {
      return {
        kind: 'refuse',
        refusal: refusal(403, 'forbidden', 'This origin may not read the streams.', undefined, {
          vary: 'Origin',
        }),
      }
    }
    return { kind: 'preflight', headers: preflightHeaders(cors, origin) }
  }
  const headers = corsHeaders(cors, origin)
  if (incoming.method !== 'GET') {
    return {
      kind: 'refuse',
      refusal: refusal(405, 'method_not_allowed', 'Streams are read with GET.', undefined, {
        allow: cors === undefined ? 'GET' : 'GET, OPTIONS',
        ...headers,
      }),
    }
  }
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
