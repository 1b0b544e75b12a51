/**
 * A request as the pipeline sees it, the same whether it came as a Fetch `Request` or as a Node
 * request: only what deciding needs, so that Node does not build a `Request` per connection.
 */
export interface IncomingRequest {
  readonly method: string
  /** The URL, parsed on first use. Its `pathname` is normalized: dot segments are resolved. */
  readonly url: URL
  /**
   * The path and query as the client sent them, before any normalization (`/a/%2e%2e/b`), when
   * the edge has them: a Node request always does; a Fetch `Request`'s URL was parsed already.
   */
  readonly target: string
  /** A request header, or `null`. */
  header(name: string): string | null
  /** The request as a Fetch `Request`, for the hooks. Built on first use on Node. */
  toRequest(): Request
  /** The client's address, when the edge knows it (Node: the socket's remote address). */
  clientAddress(): string | undefined
  /** Whether the client already went away: the stream is then not started. */
  gone(): boolean
  /**
   * Reads the request's body, up to `maxBytes`: its text, the value a framework already parsed
   * (Express's `req.body`), `too_large` as soon as it is known to be over, or `gone` when the
   * client went away. Never rejects.
   */
  readBody(maxBytes: number): Promise<BodyRead>
}

/** What {@link IncomingRequest.readBody} found. */
export type BodyRead =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'parsed'; readonly value: unknown }
  | { readonly kind: 'too_large' }
  | { readonly kind: 'gone' }

/** Wraps a Fetch request for the pipeline. */
export function fetchIncoming(request: Request): IncomingRequest {
  let url: URL | undefined
  return {
    method: request.method,
    get url() {
      url ??= new URL(request.url)
      return url
    },
    target: pathOf(request.url),
    header: (name) => request.headers.get(name),
    toRequest: () => request,
    clientAddress: () => undefined,
    gone: () => request.signal.aborted,
    readBody: (maxBytes) => readFetchBody(request, maxBytes),
  }
}

/** Reads a Fetch request's body as UTF-8 text, stopping as soon as it is over `maxBytes`. */
async function readFetchBody(request: Request, maxBytes: number): Promise<BodyRead> {
  if (Number(request.headers.get('content-length')) > maxBytes) return TOO_LARGE
  if (request.body === null) return { kind: 'text', text: '' }
  // Read already (by a framework): nothing left to parse.
  if (request.bodyUsed) return { kind: 'text', text: '' }
  const reader = request.body.getReader()
  const decoder = new TextDecoder()
  let size = 0
  let text = ''
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return { kind: 'text', text: text + decoder.decode() }
      size += value.byteLength
      if (size > maxBytes) {
        reader.cancel().catch(() => undefined)
        return TOO_LARGE
      }
      text += decoder.decode(value, { stream: true })
    }
  } catch {
    return GONE
  }
}

/** The answer of a body over the limit. */
export const TOO_LARGE: BodyRead = { kind: 'too_large' }
/** The answer of a body whose client went away. */
export const GONE: BodyRead = { kind: 'gone' }

// The path and query of an absolute URL string, as written in it.
function pathOf(href: string): string {
  const scheme = href.indexOf('://')
  const slash = href.indexOf('/', scheme === -1 ? 0 : scheme + 3)
  return slash === -1 ? '/' : href.slice(slash)
}
