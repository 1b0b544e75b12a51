import { RunstreamError } from '../core/errors.js'
import { httpError, networkError } from './errors.js'
import { type HeadersOption, release, resolveHeaders } from './http.js'
import type { FetchLike } from './options.js'

/** Options of a text-mode request. */
export interface TextOptions {
  /** Request headers, or a function that returns them. */
  headers?: HeadersOption
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
  let reader: ReadableStreamDefaultReader<string> | undefined
  const abort = () => {
    controller.abort()
    release(reader)
  }
  signal?.addEventListener('abort', abort)
  const shown = url.replace(/[?#].*$/, '')
  try {
    if (signal?.aborted) return
    const headers = await resolveHeaders(options.headers)
    headers.set('accept', 'text/plain')
    const response = await (options.fetch ?? fetch)(url, { headers, signal: controller.signal })
    if (response.status === 204) return
    if (response.status > 299 || !response.body) {
      throw await httpError(response, shown, 'not retried: fix the URL or credentials.')
    }
    // The decoder keeps a character split across chunks whole, and flushes at the end.
    reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      if (chunk.value) yield chunk.value
    }
  } catch (error) {
    if (controller.signal.aborted) return
    throw error instanceof RunstreamError
      ? error
      : networkError(error, shown, 'text has no resume: read the event stream to survive drops.')
  } finally {
    signal?.removeEventListener('abort', abort)
    abort()
  }
}
