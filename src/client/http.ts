/** A `headers` option: the headers, or a function that returns them, called before every request. */
export type HeadersOption = HeadersInit | (() => HeadersInit | Promise<HeadersInit>)

/** Resolves a {@link HeadersOption} into a fresh `Headers` for one request. */
export async function resolveHeaders(option: HeadersOption | undefined): Promise<Headers> {
  return new Headers(typeof option === 'function' ? await option() : option)
}

/**
 * Cancels a body or its reader, if any, ignoring the outcome: used to release a connection
 * whatever state it is in (a no-op on a body that has ended).
 */
export function release(body: { cancel(): Promise<void> } | null | undefined): void {
  body?.cancel().catch(() => {})
}
