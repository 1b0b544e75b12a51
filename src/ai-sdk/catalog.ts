import type * as z from 'zod/mini'
import type { $ZodType } from 'zod/v4/core'
import { type Catalog, type CatalogEvent, defineCatalog } from '../core/catalog.js'
import { chunkSchemas, dataChunkSchema } from './chunks.js'

/** The schemas of the UI message chunks `ai` 6 and 7 send, by `type`, `data-*` parts aside. */
export type UiMessageChunkSchemas = typeof chunkSchemas

/** The schemas of an app's `data-<name>` chunks, by `data-<name>`. */
export type DataChunkSchemas<D extends Record<string, $ZodType>> = {
  [K in keyof D & string as `data-${K}`]: ReturnType<typeof dataChunkSchema<K, D[K]>>
}

/** The catalog {@link defineUiMessageCatalog} returns for data parts `D`. */
export type UiMessageCatalog<D extends Record<string, $ZodType> = Record<never, $ZodType>> =
  Catalog<UiMessageChunkSchemas & DataChunkSchemas<D>, 'finish' | 'abort'>

/** Options of {@link defineUiMessageCatalog}. */
export interface UiMessageCatalogOptions<D extends Record<string, $ZodType>> {
  /**
   * The app's data parts: for each name, the zod schema of the `data` of its `data-<name>`
   * chunks (`{ weather: z.object({ city: z.string() }) }` for `data-weather`). A `data-*` chunk
   * whose name is not here is refused when it is emitted (`unknown_event`, reported to
   * `onError`) and never reaches a client.
   * @defaultValue `{}`
   */
  data?: D
}

/**
 * Defines the catalog of the AI SDK's UI message stream with the app's own data parts. Every
 * payload is the whole chunk, `type` included, so that the SSE `data:` of an event is exactly
 * what the AI SDK's transports read. `finish` and `abort` end a stream; `error` does not (the
 * AI SDK sends `finish-step` and `finish` after a model's error). A cancelled run that its
 * producer did not end is ended with `abort` (the reason as `reason`).
 *
 * @example
 * ```ts
 * import * as z from 'zod'
 * const catalog = defineUiMessageCatalog({ data: { weather: z.object({ city: z.string() }) } })
 * const manager = createStreamManager({ catalog })
 * ```
 * @see https://ai-sdk.dev/docs/ai-sdk-ui/stream-protocol
 */
export function defineUiMessageCatalog<
  const D extends Record<string, $ZodType> = Record<never, $ZodType>,
>(options: UiMessageCatalogOptions<D> = {}): UiMessageCatalog<D> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      'defineUiMessageCatalog: options must be an object such as { data: { weather: z.object({ … }) } }.',
    )
  }
  const data = options.data ?? ({} as D)
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new TypeError(
      'defineUiMessageCatalog: `data` must map data part names to zod schemas, such as { weather: z.object({ city: z.string() }) }.',
    )
  }
  const schemas: Record<string, $ZodType> = { ...chunkSchemas }
  for (const [name, schema] of Object.entries(data)) {
    schemas[`data-${name}`] = dataChunkSchema(name, schema as z.ZodMiniType)
  }
  return defineCatalog(schemas, {
    terminal: ['finish', 'abort'],
    cancel: (reason) => ({ type: 'abort', data: { type: 'abort', reason } }),
  }) as unknown as UiMessageCatalog<D>
}

/**
 * The AI SDK's UI message chunks as a runstream catalog, without data parts: use
 * {@link defineUiMessageCatalog} for an app that streams `data-*` chunks.
 *
 * @example
 * ```ts
 * const manager = createStreamManager({ catalog: uiMessageCatalog })
 * ```
 */
export const uiMessageCatalog: UiMessageCatalog = /* @__PURE__ */ defineUiMessageCatalog()

/** One UI message chunk as a catalog event: `{ type, data }`, `data` the whole chunk. */
export type UiMessageCatalogEvent<C extends UiMessageCatalog<never> = UiMessageCatalog> =
  CatalogEvent<C>
