import { type Refusal, refusal } from './http-errors.js'

/** The kinds of execution that have a stream route. */
export type ExecutionKind = 'workflow' | 'agent' | 'task'

/** A request path matched to a stream. */
export interface RouteMatch {
  readonly kind: ExecutionKind
  /** The id from the path, decoded once and validated. */
  readonly id: string
  /** The stream's name: `<kind>:<id>`. */
  readonly stream: string
}

const SEGMENTS: Readonly<Record<string, ExecutionKind>> = {
  workflows: 'workflow',
  agents: 'agent',
  tasks: 'task',
}

/** The longest execution id accepted in a path. */
export const MAX_ID_LENGTH = 128

// A conservative set: no slash, dot-dot, percent, whitespace or control character can reach a
// stream name. The first character is not a dot, so `.` and `..` are refused too.
const ID_PATTERN = /^[A-Za-z0-9_:@~+=-][A-Za-z0-9_.:@~+=-]*$/

/**
 * Checks and normalizes a base path: it starts with `/` and loses a trailing `/`.
 * @throws TypeError for anything else.
 */
export function normalizeBasePath(basePath: string, where = 'basePath'): string {
  if (
    typeof basePath !== 'string' ||
    !basePath.startsWith('/') ||
    /[?#\s]/.test(basePath) ||
    hasDotSegmentOrBackslash(basePath)
  ) {
    throw new TypeError(
      `${where}: \`basePath\` must be a path starting with "/", such as "/api/v0", without dot segments or backslashes, got ${JSON.stringify(basePath)}.`,
    )
  }
  return basePath.endsWith('/') ? basePath.slice(0, -1) : basePath
}

/**
 * Matches `{basePath}/executions/{workflows|agents|tasks}/:id/stream` against a URL path (still
 * percent-encoded, as `URL.pathname` gives it). Returns `undefined` when the path is not a stream
 * route, and a 400 refusal when it is one with an invalid id.
 */
export function matchRoute(pathname: string, basePath: string): RouteMatch | Refusal | undefined {
  const prefix = `${basePath}/executions/`
  if (!pathname.startsWith(prefix) || !pathname.endsWith('/stream')) return undefined
  const middle = pathname.slice(prefix.length, pathname.length - '/stream'.length)
  const slash = middle.indexOf('/')
  if (slash <= 0) return undefined
  const segment = middle.slice(0, slash)
  // Own keys only: `constructor` or `__proto__` in a path must not name a kind.
  const kind = Object.hasOwn(SEGMENTS, segment) ? SEGMENTS[segment] : undefined
  const rawId = middle.slice(slash + 1)
  if (kind === undefined || rawId === '' || rawId.includes('/')) return undefined
  const id = decodeId(rawId)
  if (id === undefined) {
    return refusal(
      400,
      'invalid_stream_id',
      `Invalid ${kind} id: use 1 to ${MAX_ID_LENGTH} characters among letters, digits and _ . : @ ~ + = -, not starting with a dot and without "..".`,
      { kind },
    )
  }
  return { kind, id, stream: `${kind}:${id}` }
}

/**
 * Reads a stream's name as the routes spell it, `<kind>:<id>` (`task:t1`, the envelope's
 * `stream`), with the same rules for the id as a path: `undefined` when it is not one.
 */
export function parseStreamName(name: string): RouteMatch | undefined {
  const colon = name.indexOf(':')
  const kind = name.slice(0, colon)
  const id = name.slice(colon + 1)
  if (colon <= 0 || (kind !== 'workflow' && kind !== 'agent' && kind !== 'task')) return undefined
  if (id.length > MAX_ID_LENGTH || !ID_PATTERN.test(id) || id.includes('..')) return undefined
  return { kind, id, stream: name }
}

/** A request path matched to a run route: start a run of a kind, or cancel one. */
export type RunRouteMatch =
  | { readonly action: 'start'; readonly kind: ExecutionKind }
  | { readonly action: 'cancel'; readonly match: RouteMatch }

/**
 * Matches `{basePath}/executions/{workflows|agents|tasks}` (start a run) and
 * `{basePath}/executions/{workflows|agents|tasks}/:id/cancel` (cancel one). Returns `undefined`
 * when the path is neither, and a 400 refusal for a cancel route with an invalid id.
 */
export function matchRunRoute(
  pathname: string,
  basePath: string,
): RunRouteMatch | Refusal | undefined {
  const prefix = `${basePath}/executions/`
  if (!pathname.startsWith(prefix)) return undefined
  const rest = pathname.slice(prefix.length)
  if (Object.hasOwn(SEGMENTS, rest))
    return { action: 'start', kind: SEGMENTS[rest] as ExecutionKind }
  if (!rest.endsWith('/cancel')) return undefined
  const match = matchRoute(`${prefix}${rest.slice(0, -'/cancel'.length)}/stream`, basePath)
  if (match === undefined) return undefined
  return 'status' in match ? match : { action: 'cancel', match }
}

/** The path of a stream route: `{basePath}/executions/{kind}s/{id}/stream`. */
export function streamRoutePath(basePath: string, kind: ExecutionKind, id: string): string {
  return `${basePath}/executions/${kind}s/${encodeURIComponent(id)}/stream`
}

/**
 * Whether a request target (its path and query, as the client sent them) has a dot segment
 * (`.` or `..`, with dots written as they are or as `%2e`) or a backslash (`\\` or `%5c`) in its
 * path. URL parsers resolve them (`/a/b/%2e%2e/c` is `/a/c`, a backslash is a slash), so such a
 * path would reach another stream than the one a proxy or gateway in front saw.
 */
export function hasDotSegmentOrBackslash(target: string): boolean {
  const end = target.search(/[?#]/)
  const path = end === -1 ? target : target.slice(0, end)
  if (path.includes('\\') || /%5c/i.test(path)) return true
  for (const segment of path.split('/')) {
    // The longest dot segment is %2e%2e: six characters.
    if (segment.length > 6 || segment === '') continue
    const dots = segment.replace(/%2e/gi, '.')
    if (dots === '.' || dots === '..') return true
  }
  return false
}

/** Whether `value` is a {@link Refusal} rather than a match. */
export function isRefusal<T extends object>(value: T | Refusal): value is Refusal {
  return 'status' in value
}

function decodeId(raw: string): string | undefined {
  // Decoded exactly once: "%252e" stays "%2e", which the pattern then refuses.
  if (raw.length > MAX_ID_LENGTH * 3) return undefined
  let id: string
  try {
    id = decodeURIComponent(raw)
  } catch {
    return undefined
  }
  if (id.length > MAX_ID_LENGTH || !ID_PATTERN.test(id) || id.includes('..')) return undefined
  return id
}
