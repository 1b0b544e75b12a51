import * as z from 'zod/mini'

// The AI SDK's UI message chunks (ai 6 and 7: `ui-message-chunks.ts`), as zod 4 schemas of our
// own: `ai` exports its schema only as a lazy, asynchronously validated wrapper that a catalog
// cannot hold. Loose objects, as the AI SDK's are, so members a newer `ai` adds pass through.

const metadata = /* @__PURE__ */ z.optional(z.record(z.string(), z.unknown()))
const toolFields = {
  providerExecuted: /* @__PURE__ */ z.optional(z.boolean()),
  providerMetadata: metadata,
  toolMetadata: metadata,
  dynamic: /* @__PURE__ */ z.optional(z.boolean()),
}

/** A text, reasoning or step part's id and its provider metadata. */
const part = <T extends string>(type: T) =>
  z.looseObject({ type: z.literal(type), id: z.string(), providerMetadata: metadata })
const delta = <T extends string>(type: T) =>
  z.looseObject({
    type: z.literal(type),
    id: z.string(),
    delta: z.string(),
    providerMetadata: metadata,
  })
const bare = <T extends string>(type: T) => z.looseObject({ type: z.literal(type) })

/** The schema of each UI message chunk of `ai` 6 and 7, by its `type` (`data-*` parts aside). */
export const chunkSchemas = /* @__PURE__ */ (() => ({
  start: z.looseObject({
    type: z.literal('start'),
    messageId: z.optional(z.string()),
    messageMetadata: z.optional(z.unknown()),
  }),
  'start-step': bare('start-step'),
  'text-start': part('text-start'),
  'text-delta': delta('text-delta'),
  'text-end': z.looseObject({
    type: z.literal('text-end'),
    id: z.string(),
    citations: z.optional(z.array(z.unknown())),
    providerMetadata: metadata,
  }),
  'reasoning-start': part('reasoning-start'),
  'reasoning-delta': delta('reasoning-delta'),
  'reasoning-end': part('reasoning-end'),
  'tool-input-start': z.looseObject({
    type: z.literal('tool-input-start'),
    toolCallId: z.string(),
    toolName: z.string(),
    inputEncoding: z.optional(z.string()),
    title: z.optional(z.string()),
    ...toolFields,
  }),
  'tool-input-delta': z.looseObject({
    type: z.literal('tool-input-delta'),
    toolCallId: z.string(),
    inputTextDelta: z.string(),
  }),
  'tool-input-available': z.looseObject({
    type: z.literal('tool-input-available'),
    toolCallId: z.string(),
    toolName: z.string(),
    input: z.unknown(),
    title: z.optional(z.string()),
    ...toolFields,
  }),
  'tool-input-error': z.looseObject({
    type: z.literal('tool-input-error'),
    toolCallId: z.string(),
    toolName: z.string(),
    input: z.unknown(),
    errorText: z.string(),
    title: z.optional(z.string()),
    ...toolFields,
  }),
  'tool-approval-request': z.looseObject({
    type: z.literal('tool-approval-request'),
    approvalId: z.string(),
    toolCallId: z.string(),
  }),
  'tool-approval-response': z.looseObject({
    type: z.literal('tool-approval-response'),
    approvalId: z.string(),
    approved: z.boolean(),
  }),
  'tool-output-available': z.looseObject({
    type: z.literal('tool-output-available'),
    toolCallId: z.string(),
    output: z.unknown(),
    preliminary: z.optional(z.boolean()),
    ...toolFields,
  }),
  'tool-output-error': z.looseObject({
    type: z.literal('tool-output-error'),
    toolCallId: z.string(),
    errorText: z.string(),
    ...toolFields,
  }),
  'tool-output-denied': z.looseObject({
    type: z.literal('tool-output-denied'),
    toolCallId: z.string(),
  }),
  'source-url': z.looseObject({
    type: z.literal('source-url'),
    sourceId: z.string(),
    url: z.string(),
    title: z.optional(z.string()),
    providerMetadata: metadata,
  }),
  'source-document': z.looseObject({
    type: z.literal('source-document'),
    sourceId: z.string(),
    mediaType: z.string(),
    title: z.string(),
    filename: z.optional(z.string()),
    providerMetadata: metadata,
  }),
  file: z.looseObject({
    type: z.literal('file'),
    url: z.string(),
    mediaType: z.string(),
    providerMetadata: metadata,
  }),
  'reasoning-file': z.looseObject({
    type: z.literal('reasoning-file'),
    url: z.string(),
    mediaType: z.string(),
    providerMetadata: metadata,
  }),
  custom: z.looseObject({
    type: z.literal('custom'),
    kind: z.string(),
    providerMetadata: metadata,
  }),
  'steering-message': z.looseObject({
    type: z.literal('steering-message'),
    id: z.string(),
    parts: z.array(z.unknown()),
  }),
  'message-metadata': z.looseObject({
    type: z.literal('message-metadata'),
    messageMetadata: z.unknown(),
  }),
  error: z.looseObject({ type: z.literal('error'), errorText: z.string() }),
  'finish-step': bare('finish-step'),
  'reset-step': bare('reset-step'),
  finish: z.looseObject({
    type: z.literal('finish'),
    finishReason: z.optional(z.string()),
    messageMetadata: z.optional(z.unknown()),
  }),
  abort: z.looseObject({ type: z.literal('abort'), reason: z.optional(z.string()) }),
}))()

/** The schema of a `data-<name>` chunk whose `data` is `data`. */
export function dataChunkSchema<N extends string, S extends z.core.$ZodType>(name: N, data: S) {
  return z.looseObject({
    type: z.literal(`data-${name}`),
    id: z.optional(z.string()),
    data,
    transient: z.optional(z.boolean()),
  })
}
