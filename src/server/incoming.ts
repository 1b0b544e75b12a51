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
}

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
  }
}

// The path and query of an absolute URL string, as written in it.
function pathOf(href: string): string {
  const scheme = href.indexOf('://')
  const slash = href.indexOf('/', scheme === -1 ? 0 : scheme + 3)
  return slash === -1 ? '/' : href.slice(slash)
}
