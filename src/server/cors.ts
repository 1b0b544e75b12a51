import type { CorsOptions } from './options.js'

// Always allowed in a preflight: what runstream's own client and EventSource polyfills send.
const BASE_ALLOW_HEADERS = ['last-event-id', 'authorization', 'content-type']

/**
 * The CORS headers of an answer to a request with `Origin: origin`, or `undefined` when CORS is
 * off or the origin is not allowed (the browser then refuses to hand the answer to the page).
 */
export function corsHeaders(
  cors: CorsOptions | undefined,
  origin: string | null,
): Record<string, string> | undefined {
  if (cors === undefined) return undefined
  if (cors.origin === '*') return { 'access-control-allow-origin': '*' }
  // The answer depends on Origin, so caches must key on it even when it is refused.
  if (origin === null || !isAllowed(cors, origin)) return { vary: 'Origin' }
  const headers: Record<string, string> = {
    'access-control-allow-origin': origin,
    vary: 'Origin',
  }
  if (cors.credentials === true) headers['access-control-allow-credentials'] = 'true'
  return headers
}

/** Whether `origin` may read the streams. */
export function isOriginAllowed(cors: CorsOptions, origin: string | null): boolean {
  if (cors.origin === '*') return true
  return origin !== null && isAllowed(cors, origin)
}

/**
 * The headers of the answer to an allowed preflight (`OPTIONS` with `Origin`) of a route served
 * with `methods`.
 */
export function preflightHeaders(
  cors: CorsOptions,
  origin: string | null,
  methods = 'GET, OPTIONS',
): Record<string, string> {
  const headers = corsHeaders(cors, origin) ?? {}
  headers['access-control-allow-methods'] = methods
  const extra = (cors.allowHeaders ?? []).map((name) => name.toLowerCase())
  headers['access-control-allow-headers'] = [...new Set([...BASE_ALLOW_HEADERS, ...extra])].join(
    ', ',
  )
  headers['access-control-max-age'] = String(cors.maxAgeSeconds ?? 600)
  return headers
}

function isAllowed(cors: CorsOptions, origin: string): boolean {
  const allowed = cors.origin
  if (typeof allowed === 'string') return allowed === origin
  if (typeof allowed === 'function') {
    try {
      return allowed(origin) === true
    } catch {
      return false
    }
  }
  return allowed.includes(origin)
}

/**
 * CORS headers that also let a page read `Location` and `Content-Location`, which a browser
 * hides from cross-origin scripts unless exposed: the client resumes a run there.
 */
export function corsHeadersWithLocation(
  cors: CorsOptions | undefined,
  origin: string | null,
): Record<string, string> | undefined {
  const headers = corsHeaders(cors, origin)
  if (headers === undefined || headers['access-control-allow-origin'] === undefined) return headers
  return { ...headers, 'access-control-expose-headers': 'Location, Content-Location' }
}
