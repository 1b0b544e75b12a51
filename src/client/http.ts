/** A `headers` option: the headers, or a function that returns them, called before every request. */
export type HeadersOption = HeadersValue | (() => HeadersValue | Promise<HeadersValue>)

/**
 * What `new Headers(…)` accepts: a `Headers`, a record or a list of pairs. Taken from the global
 * `Headers` rather than named `HeadersInit`, which only the DOM lib declares: a Node project
 * with `@types/node` and no DOM lib must be able to read these types.
 */
type HeadersValue = NonNullable<ConstructorParameters<typeof Headers>[0]>

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
