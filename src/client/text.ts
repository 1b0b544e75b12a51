import { RunstreamError } from '../core/errors.js'
import type { FetchLike } from './connect.js'
import { httpError, networkError } from './errors.js'

/** Options of a text-mode request. */
export interface TextOptions {
  /** Request headers, or a function that returns them. */
  headers?: HeadersInit | (() => HeadersInit | Promise<HeadersInit>)
  /** The `fetch` to use. @defaultValue `globalThis.fetch` */
  fetch?: FetchLike
  /** Aborting it stops the request and ends iteration. */
  signal?: AbortSignal
}

/**
 * Reads a `text/plain` response as it arrives: the concatenated text of an agent's or task's
 * `llm_chunk` events (`?format=text`). Plain text carries no ids, so there is no resume: a
 * dropped connection is thrown as a `network_error`. Use the event stream to survive drops.
 *
 * `break` (or `return()`) aborts the request. A status other than 2xx throws a
 * {@link StreamHttpError}; a 204 yields nothing.
 */
export async function* readText(
  url: string,
  options: TextOptions = {},
): AsyncGenerator<string, void> {
  const controller = new AbortController()
  const { signal } = options
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  const abort = () => {
    controller.abort()
    reader?.cancel().catch(() => {})
  }
  signal?.addEventListener('abort', abort)
  const shown = url.replace(/[?#].*$/, '')
  try {
    if (signal?.aborted) return
    const headers = new Headers(
      typeof options.headers === 'function' ? await options.headers() : options.headers,
    )
    headers.set('accept', 'text/plain')
    const response = await (options.fetch ?? fetch)(url, { headers, signal: controller.signal })
    if (response.status === 204) return
    if (response.status > 299 || !response.body) throw await httpError(response, shown, false)
    reader = response.body.getReader()
    const decoder = new TextDecoder()
    for (;;) {
      const chunk = await reader.read()
      if (chunk.done) break
      const text = decoder.decode(chunk.value, { stream: true })
      if (text) yield text
    }
    const rest = decoder.decode()
    if (rest) yield rest
  } catch (error) {
    if (controller.signal.aborted) return
    throw error instanceof RunstreamError ? error : networkError(error, shown)
  } finally {
    signal?.removeEventListener('abort', abort)
    abort()
  }
}
