import {
  ContentPartSchema,
  JsonPatchSchema,
  MessageSchema,
  PartSourceSchema,
  TokenUsageSchema,
} from '@ag-ui/core/schemas'
import type { $ZodType } from 'zod/v4/core'
import * as agUi from '../../src/ag-ui.js'
import * as aiSdk from '../../src/ai-sdk.js'
import type { AnyCatalog } from '../../src/index.js'
import * as core from '../../src/index.js'
import {
  AG_UI_DESCRIPTIONS,
  AI_SDK_DESCRIPTIONS,
  COMPOZY_DESCRIPTIONS,
  EXECUTION_DESCRIPTIONS,
  ORCHESTRATION_DESCRIPTIONS,
} from './catalog-descriptions.js'
import { zodJsonSchema } from './openapi-common.js'

/** A JSON Schema object, as zod writes it. */
export type JsonSchema = Record<string, unknown>

/**
 * The entry modules a catalog is imported from, by the specifier an app writes. Each is the
 * `src/` file that package.json `exports` builds for that subpath
 * (test/docs/catalog-reference.test.ts checks both): a catalog is documented with the import
 * that really exposes it.
 */
const ENTRIES = {
  runstream: core,
  'runstream/ag-ui': agUi,
  'runstream/ai-sdk': aiSdk,
} as const satisfies Record<string, object>

/** The subpath an app imports a built-in catalog from. */
export type CatalogEntry = keyof typeof ENTRIES

/** A schema that several events share, written once in `$defs` and referenced from them. */
export interface SharedDefinition {
  /** Its `$defs` key and heading, such as `Message`. */
  readonly name: string
  readonly description: string
  readonly schema: $ZodType
}

/** One built-in catalog, as the reference documents it. */
export interface DocumentedCatalog {
  /** The export's name, such as `executionCatalog`. */
  readonly name: string
  /** Where an app imports it from. */
  readonly from: CatalogEntry
  /**
   * What its event headings are suffixed with, as ` (AG-UI)`, so that an event name two catalogs
   * share (`complete`, `error`) has one anchor per catalog. The first catalogs have none: their
   * anchors (`#llm_chunk`) predate the others and are linked to.
   */
  readonly label: string | undefined
  /** The file of docs/ holding the JSON Schema of its envelopes. */
  readonly schemaFile: string
  readonly summary: string
  /** When each event is sent, by event name: every event of the catalog, no other. */
  readonly descriptions: Readonly<Record<string, string>>
  readonly shared: readonly SharedDefinition[]
  readonly catalog: AnyCatalog
}

type CatalogFacts = Omit<DocumentedCatalog, 'catalog' | 'shared'> & {
  readonly shared?: readonly SharedDefinition[]
}

const FACTS: readonly CatalogFacts[] = [
  {
    name: 'executionCatalog',
    from: 'runstream',
    label: undefined,
    schemaFile: 'catalog.schema.json',
    summary:
      'The events of workflow, agent and task streams: status changes, LLM text deltas, tool calls, and the terminal `complete` and `error`.',
    descriptions: EXECUTION_DESCRIPTIONS,
  },
  {
    name: 'orchestrationCatalog',
    from: 'runstream',
    label: undefined,
    schemaFile: 'catalog.schema.json',
    summary:
      'The events of an agent loop that plans tasks, runs them and reflects. It has no terminal event: merge it with `executionCatalog` (`mergeCatalogs(executionCatalog, orchestrationCatalog)`) so streams can end.',
    descriptions: ORCHESTRATION_DESCRIPTIONS,
  },
  {
    name: 'compozyCatalog',
    from: 'runstream',
    label: 'compozy',
    schemaFile: 'catalog-compozy.schema.json',
    summary:
      "The events compozy's Go handlers write on its execution stream routes (`GET /api/v0/executions/{workflows,agents,tasks}/:id/stream`), with their payloads as its code writes them: give it to `connect()` to read a compozy server. `ts` members are Go `time.Time` in RFC 3339 with nanoseconds. [catalog.md](catalog.md#compozycatalog) lists where compozy's own docs differ.",
    descriptions: COMPOZY_DESCRIPTIONS,
    shared: [
      {
        name: 'Usage',
        description:
          "`usage` of the terminal events, in each shape compozy's versions write: an array of entries, `{ entries }`, or one entry alone. Exported as `compozyUsage` (runstream).",
        schema: core.compozyUsage,
      },
      {
        name: 'UsageEntry',
        description:
          'One provider and model and its token counts. Exported as `compozyUsageEntry` (runstream).',
        schema: core.compozyUsageEntry,
      },
    ],
  },
  {
    name: 'agUiCatalog',
    from: 'runstream/ag-ui',
    label: 'AG-UI',
    schemaFile: 'catalog-ag-ui.schema.json',
    summary:
      'The AG-UI 1.0 events with `@ag-ui/core`\'s own schemas (install `@ag-ui/core`, an optional peer). A payload is the whole AG-UI event, `type` included: the `data:` of an SSE event is what `HttpAgent` reads. Objects keep members they do not know, and an optional member is left out, never `null`. A cancelled run its agent did not end gets `RUN_ERROR` with `code: "cancelled"` ([ag-ui.md](ag-ui.md)).',
    descriptions: AG_UI_DESCRIPTIONS,
    shared: [
      {
        name: 'Message',
        description:
          'A message of the conversation, by `role`: `developer`, `system`, `assistant` (text and tool calls), `user` (text or content parts), `tool` (a tool call’s result), `activity` or `reasoning`.',
        schema: MessageSchema,
      },
      {
        name: 'ContentPart',
        description:
          'One part of multimodal content, by `type`: `text`, or an `image`, `audio`, `video` or `document` with its source.',
        schema: ContentPartSchema,
      },
      {
        name: 'PartSource',
        description:
          'Where a content part’s bytes are, by `type`: inline `data` (base64, with `mimeType`), a `url`, or a provider’s `file`.',
        schema: PartSourceSchema,
      },
      {
        name: 'JsonPatch',
        description:
          'A JSON Patch (RFC 6902): operations applied in order to the state or to an activity’s content.',
        schema: JsonPatchSchema,
      },
      {
        name: 'TokenUsage',
        description:
          'Token counts of one provider and model; `reasoningTokens` and the cached counts are parts of the input and output totals, not additions to them.',
        schema: TokenUsageSchema,
      },
    ],
  },
  {
    name: 'uiMessageCatalog',
    from: 'runstream/ai-sdk',
    label: 'AI SDK',
    schemaFile: 'catalog-ai-sdk.schema.json',
    summary:
      "The AI SDK's UI message chunks (`ai` 6 and 7), as `useChat` reads them. A payload is the whole chunk, `type` included; objects keep members they do not know. `finish` and `abort` end a stream, `error` does not. Your own `data-<name>` chunks are not here: `defineUiMessageCatalog({ data: { <name>: schema } })` (runstream/ai-sdk) adds them ([ai-sdk.md](ai-sdk.md)).",
    descriptions: AI_SDK_DESCRIPTIONS,
  },
]

/** The built-in catalogs, in the order the reference lists them. */
export const CATALOGS: readonly DocumentedCatalog[] = FACTS.map((facts) => ({
  shared: [],
  ...facts,
  catalog: exported(facts),
}))

// The catalog the entry module really exports under that name, so a wrong `from` fails here.
function exported({ name, from }: CatalogFacts): AnyCatalog {
  const value = (ENTRIES[from] as Record<string, unknown>)[name]
  if (!isCatalog(value))
    throw new Error(`scripts/docs/catalogs.ts: '${from}' exports no catalog named ${name}.`)
  return value
}

/** Whether `value` is a catalog (made with `defineCatalog` or `mergeCatalogs`). */
export function isCatalog(value: unknown): value is AnyCatalog {
  const catalog = value as Partial<AnyCatalog> | null
  return (
    typeof catalog === 'object' &&
    catalog !== null &&
    Array.isArray(catalog.names) &&
    typeof catalog.schemas === 'object' &&
    typeof catalog.isTerminal === 'function'
  )
}

/** The JSON Schema of an event's payload as it travels (the zod schema's output), without `$schema`. */
export function payloadSchema(catalog: AnyCatalog, event: string): JsonSchema {
  return zodJsonSchema(catalog.schemas[event] as $ZodType, 'output')
}

/**
 * Every event of the execution routes' catalogs (`executionCatalog` and `orchestrationCatalog`,
 * the events of docs/catalog.schema.json and docs/openapi.json), each with its catalog.
 */
export function allEvents(): { event: string; owner: DocumentedCatalog }[] {
  return eventsOf('catalog.schema.json')
}

/** Every event of a schema file's catalogs, each with the catalog it belongs to. */
export function eventsOf(file: string): { event: string; owner: DocumentedCatalog }[] {
  return CATALOGS.filter((owner) => owner.schemaFile === file).flatMap((owner) =>
    owner.catalog.names.map((event) => ({ event, owner })),
  )
}

/**
 * The JSON Schema of an envelope of some catalogs' events: the wire-format members, and `data`
 * checked against the payload schema of its `type`.
 *
 * @param ref - where the payload schema of `event` lives, such as `#/$defs/llm_chunk`
 * @param events - the events `type` may name; by default those of {@link allEvents}
 */
export function envelopeSchema(
  ref: (event: string) => string,
  events: readonly string[] = allEvents().map(({ event }) => event),
): JsonSchema {
  return {
    type: 'object',
    description:
      'One event as it travels on every transport: the SSE `data:` field, a stdout line, a Redis entry. Members are written in this order.',
    properties: {
      id: {
        type: 'string',
        pattern: '^[1-9][0-9]{0,15}$',
        description:
          'A decimal integer, strictly increasing within an incarnation of the stream, starting at "1".',
      },
      type: { type: 'string', enum: events, description: 'The event name in its catalog.' },
      stream: {
        type: 'string',
        minLength: 1,
        maxLength: 512,
        description: 'The stream, such as `workflow:exec_42`.',
      },
      ts: {
        type: 'string',
        format: 'date-time',
        description: 'When the event was emitted: ISO-8601 UTC with milliseconds.',
      },
      data: { description: "The payload: the output of the event's schema." },
    },
    required: ['id', 'type', 'stream', 'ts'],
    additionalProperties: false,
    oneOf: events.map((event) => ({
      properties: { type: { const: event }, data: { $ref: ref(event) } },
      required: ['data'],
    })),
  }
}
