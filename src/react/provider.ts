import { createContext, createElement, type ReactNode, useContext, useMemo } from 'react'
import type { FetchLike, HeadersOption } from '../client.js'
import type { AnyCatalog } from '../core/catalog.js'

/** Where the runs are served, for every {@link useRun} below a {@link RunstreamProvider}. */
export interface RunstreamConfig {
  /**
   * The server's origin (`https://api.example.com`), or `''` for the page's own.
   * @defaultValue `''`
   */
  baseUrl?: string | URL
  /**
   * The path the server's routes are mounted under (its `basePath`).
   * @defaultValue `'/api/v0'`
   */
  basePath?: string
  /** Headers sent with every request, or a function called before each attempt (a fresh token). */
  headers?: HeadersOption
  /** The `fetch` to use. @defaultValue `globalThis.fetch` */
  fetch?: FetchLike
  /** A catalog that validates every event (the execution catalog, or one merged with it). */
  catalog?: AnyCatalog
}

/** Props of {@link RunstreamProvider}: a {@link RunstreamConfig} and the tree that uses it. */
export interface RunstreamProviderProps extends RunstreamConfig {
  /** The components whose {@link useRun} calls use this configuration. */
  children?: ReactNode
}

const RunstreamContext = /* @__PURE__ */ createContext<RunstreamConfig>({})

/**
 * Gives every {@link useRun} below it a server (`baseUrl`, `basePath`), headers, `fetch` and
 * catalog, so that components name only the run they show. Options given to `useRun` itself
 * win over the provider's.
 *
 * @example
 * ```tsx
 * import { RunstreamProvider, useRun } from 'runstream/react'
 *
 * function Status({ id }: { id: string }) {
 *   return <p>{useRun('workflow', id).run.status}</p>
 * }
 *
 * export function App() {
 *   return (
 *     <RunstreamProvider baseUrl="https://api.example.com" headers={() => ({ authorization: 'Bearer …' })}>
 *       <Status id="exec_42" />
 *     </RunstreamProvider>
 *   )
 * }
 * ```
 */
export function RunstreamProvider({
  baseUrl,
  basePath,
  headers,
  fetch,
  catalog,
  children,
}: RunstreamProviderProps): ReactNode {
  const value = useMemo(
    () => defined({ baseUrl, basePath, headers, fetch, catalog }),
    [baseUrl, basePath, headers, fetch, catalog],
  )
  return createElement(RunstreamContext, { value }, children)
}

/** The configuration of the nearest {@link RunstreamProvider} (`{}` without one). */
export const useRunstreamConfig = (): RunstreamConfig => useContext(RunstreamContext)

/** Leaves out the keys whose value is undefined, so that spreading the result over defaults keeps them. */
export function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, entry]) => entry !== undefined),
  ) as Partial<T>
}
