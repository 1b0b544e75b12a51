import {
  ActivityDeltaEventSchema,
  ActivitySnapshotEventSchema,
  CustomEventSchema,
  MessagesSnapshotEventSchema,
  RawEventSchema,
  ReasoningEncryptedValueEventSchema,
  ReasoningEndEventSchema,
  ReasoningMessageChunkEventSchema,
  ReasoningMessageContentEventSchema,
  ReasoningMessageEndEventSchema,
  ReasoningMessageStartEventSchema,
  ReasoningStartEventSchema,
  RunAgentInputSchema,
  RunErrorEventSchema,
  RunFinishedEventSchema,
  RunStartedEventSchema,
  StateDeltaEventSchema,
  StateSnapshotEventSchema,
  StepFinishedEventSchema,
  StepStartedEventSchema,
  SubagentErrorEventSchema,
  SubagentFinishedEventSchema,
  SubagentStartedEventSchema,
  TextMessageChunkEventSchema,
  TextMessageContentEventSchema,
  TextMessageEndEventSchema,
  TextMessageStartEventSchema,
  ToolCallArgsEventSchema,
  ToolCallChunkEventSchema,
  ToolCallEndEventSchema,
  ToolCallResultEventSchema,
  ToolCallStartEventSchema,
} from '@ag-ui/core/schemas'
import * as z from 'zod/mini'
import { type Catalog, type CatalogEvent, defineCatalog } from '../core/catalog.js'

/**
 * `RUN_STARTED` as core has it, but for its `input` echo's `state`, which core normalises with a
 * transform (`null` to absent): a catalog refuses transforms, as every receiver would run them
 * again. The same values pass; `null` is kept as it is.
 */
const runStarted = /* @__PURE__ */ RunStartedEventSchema.extend({
  input: z.optional(RunAgentInputSchema.extend({ state: z.optional(z.unknown()) })),
})

/**
 * The zod schema of each AG-UI event, by its `type`: `@ag-ui/core`'s own.
 */
export type AgUiSchemas = {
  /** `@ag-ui/core/schemas`' `TextMessageStartEventSchema`. */
  TEXT_MESSAGE_START: typeof TextMessageStartEventSchema
  /** `@ag-ui/core/schemas`' `TextMessageContentEventSchema`. */
  TEXT_MESSAGE_CONTENT: typeof TextMessageContentEventSchema
  /** `@ag-ui/core/schemas`' `TextMessageEndEventSchema`. */
  TEXT_MESSAGE_END: typeof TextMessageEndEventSchema
  /** `@ag-ui/core/schemas`' `TextMessageChunkEventSchema`. */
  TEXT_MESSAGE_CHUNK: typeof TextMessageChunkEventSchema
  /** `@ag-ui/core/schemas`' `ToolCallStartEventSchema`. */
  TOOL_CALL_START: typeof ToolCallStartEventSchema
  /** `@ag-ui/core/schemas`' `ToolCallArgsEventSchema`. */
  TOOL_CALL_ARGS: typeof ToolCallArgsEventSchema
  /** `@ag-ui/core/schemas`' `ToolCallEndEventSchema`. */
  TOOL_CALL_END: typeof ToolCallEndEventSchema
  /** `@ag-ui/core/schemas`' `ToolCallChunkEventSchema`. */
  TOOL_CALL_CHUNK: typeof ToolCallChunkEventSchema
  /** `@ag-ui/core/schemas`' `ToolCallResultEventSchema`. */
  TOOL_CALL_RESULT: typeof ToolCallResultEventSchema
  /** `@ag-ui/core/schemas`' `StateSnapshotEventSchema`. */
  STATE_SNAPSHOT: typeof StateSnapshotEventSchema
  /** `@ag-ui/core/schemas`' `StateDeltaEventSchema`. */
  STATE_DELTA: typeof StateDeltaEventSchema
  /** `@ag-ui/core/schemas`' `MessagesSnapshotEventSchema`. */
  MESSAGES_SNAPSHOT: typeof MessagesSnapshotEventSchema
  /** `@ag-ui/core/schemas`' `ActivitySnapshotEventSchema`. */
  ACTIVITY_SNAPSHOT: typeof ActivitySnapshotEventSchema
  /** `@ag-ui/core/schemas`' `ActivityDeltaEventSchema`. */
  ACTIVITY_DELTA: typeof ActivityDeltaEventSchema
  /** `@ag-ui/core/schemas`' `RawEventSchema`. */
  RAW: typeof RawEventSchema
  /** `@ag-ui/core/schemas`' `CustomEventSchema`. */
  CUSTOM: typeof CustomEventSchema
  /** `@ag-ui/core/schemas`' `RunStartedEventSchema`. */
  RUN_STARTED: typeof runStarted
  /** `@ag-ui/core/schemas`' `RunFinishedEventSchema`. */
  RUN_FINISHED: typeof RunFinishedEventSchema
  /** `@ag-ui/core/schemas`' `RunErrorEventSchema`. */
  RUN_ERROR: typeof RunErrorEventSchema
  /** `@ag-ui/core/schemas`' `StepStartedEventSchema`. */
  STEP_STARTED: typeof StepStartedEventSchema
  /** `@ag-ui/core/schemas`' `StepFinishedEventSchema`. */
  STEP_FINISHED: typeof StepFinishedEventSchema
  /** `@ag-ui/core/schemas`' `ReasoningStartEventSchema`. */
  REASONING_START: typeof ReasoningStartEventSchema
  /** `@ag-ui/core/schemas`' `ReasoningMessageStartEventSchema`. */
  REASONING_MESSAGE_START: typeof ReasoningMessageStartEventSchema
  /** `@ag-ui/core/schemas`' `ReasoningMessageContentEventSchema`. */
  REASONING_MESSAGE_CONTENT: typeof ReasoningMessageContentEventSchema
  /** `@ag-ui/core/schemas`' `ReasoningMessageEndEventSchema`. */
  REASONING_MESSAGE_END: typeof ReasoningMessageEndEventSchema
  /** `@ag-ui/core/schemas`' `ReasoningMessageChunkEventSchema`. */
  REASONING_MESSAGE_CHUNK: typeof ReasoningMessageChunkEventSchema
  /** `@ag-ui/core/schemas`' `ReasoningEndEventSchema`. */
  REASONING_END: typeof ReasoningEndEventSchema
  /** `@ag-ui/core/schemas`' `ReasoningEncryptedValueEventSchema`. */
  REASONING_ENCRYPTED_VALUE: typeof ReasoningEncryptedValueEventSchema
  /** `@ag-ui/core/schemas`' `SubagentStartedEventSchema`. */
  SUBAGENT_STARTED: typeof SubagentStartedEventSchema
  /** `@ag-ui/core/schemas`' `SubagentFinishedEventSchema`. */
  SUBAGENT_FINISHED: typeof SubagentFinishedEventSchema
  /** `@ag-ui/core/schemas`' `SubagentErrorEventSchema`. */
  SUBAGENT_ERROR: typeof SubagentErrorEventSchema
}

/**
 * The AG-UI 1.0 events, as a runstream catalog: `@ag-ui/core`'s own zod schemas, keyed by the
 * event's `type`. A payload is the whole AG-UI event, `type` included, so that the SSE `data:` of
 * an event is exactly what `HttpAgent` reads. `RUN_FINISHED` and `RUN_ERROR` end a stream; a
 * cancelled run that its agent did not end is ended with `RUN_ERROR` (`code: 'cancelled'`, the
 * reason as `message`).
 *
 * The schemas are loose objects (unknown members are kept) and refuse `null` for an optional
 * member, as the protocol does: leave such a member out.
 *
 * Needs `@ag-ui/core` (and zod 4, which its schemas use), optional peers of runstream.
 * @example
 * ```ts
 * import { createStreamManager } from 'runstream'
 * import { agUiCatalog } from 'runstream/ag-ui'
 * const manager = createStreamManager({ catalog: agUiCatalog })
 * ```
 * @see https://docs.ag-ui.com/concepts/events
 */
export const agUiCatalog: Catalog<AgUiSchemas, 'RUN_FINISHED' | 'RUN_ERROR'> =
  /* @__PURE__ */ defineCatalog(
    {
      TEXT_MESSAGE_START: TextMessageStartEventSchema,
      TEXT_MESSAGE_CONTENT: TextMessageContentEventSchema,
      TEXT_MESSAGE_END: TextMessageEndEventSchema,
      TEXT_MESSAGE_CHUNK: TextMessageChunkEventSchema,
      TOOL_CALL_START: ToolCallStartEventSchema,
      TOOL_CALL_ARGS: ToolCallArgsEventSchema,
      TOOL_CALL_END: ToolCallEndEventSchema,
      TOOL_CALL_CHUNK: ToolCallChunkEventSchema,
      TOOL_CALL_RESULT: ToolCallResultEventSchema,
      STATE_SNAPSHOT: StateSnapshotEventSchema,
      STATE_DELTA: StateDeltaEventSchema,
      MESSAGES_SNAPSHOT: MessagesSnapshotEventSchema,
      ACTIVITY_SNAPSHOT: ActivitySnapshotEventSchema,
      ACTIVITY_DELTA: ActivityDeltaEventSchema,
      RAW: RawEventSchema,
      CUSTOM: CustomEventSchema,
      RUN_STARTED: runStarted,
      RUN_FINISHED: RunFinishedEventSchema,
      RUN_ERROR: RunErrorEventSchema,
      STEP_STARTED: StepStartedEventSchema,
      STEP_FINISHED: StepFinishedEventSchema,
      REASONING_START: ReasoningStartEventSchema,
      REASONING_MESSAGE_START: ReasoningMessageStartEventSchema,
      REASONING_MESSAGE_CONTENT: ReasoningMessageContentEventSchema,
      REASONING_MESSAGE_END: ReasoningMessageEndEventSchema,
      REASONING_MESSAGE_CHUNK: ReasoningMessageChunkEventSchema,
      REASONING_END: ReasoningEndEventSchema,
      REASONING_ENCRYPTED_VALUE: ReasoningEncryptedValueEventSchema,
      SUBAGENT_STARTED: SubagentStartedEventSchema,
      SUBAGENT_FINISHED: SubagentFinishedEventSchema,
      SUBAGENT_ERROR: SubagentErrorEventSchema,
    },
    {
      terminal: ['RUN_FINISHED', 'RUN_ERROR'],
      // RUN_ERROR, not RUN_FINISHED with a cancelled outcome: AG-UI's verifier refuses
      // RUN_FINISHED while a message or tool call is open, and a run is cancelled mid-message.
      cancel: (reason) => ({
        type: 'RUN_ERROR',
        data: { type: 'RUN_ERROR', message: reason, code: 'cancelled' },
      }),
    },
  )

/** The catalog of AG-UI events: the type a manager for AG-UI runs is created with. */
export type AgUiCatalog = typeof agUiCatalog

/**
 * One AG-UI event, as `agUiCatalog` validates it: `{ type, data }` where `data` is the whole
 * event (with its own `type`).
 */
export type AgUiCatalogEvent = CatalogEvent<AgUiCatalog>
