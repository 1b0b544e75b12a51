import * as z from 'zod/mini'
import { defineCatalog } from '../core/catalog.js'

/**
 * The states of a workflow, agent or task execution, as used by the execution catalog.
 * `SUCCESS`, `FAILED`, `TIMED_OUT` and `CANCELED` are final.
 */
export const executionStatus = /* @__PURE__ */ z.enum([
  'PENDING',
  'RUNNING',
  'SUCCESS',
  'FAILED',
  'TIMED_OUT',
  'CANCELED',
  'WAITING',
  'PAUSED',
])

/** Token usage of an LLM call or of a whole run. */
export const usageSchema = /* @__PURE__ */ z.object({
  provider: z.optional(z.string()),
  model: z.optional(z.string()),
  prompt_tokens: z.int().check(z.nonnegative()),
  completion_tokens: z.int().check(z.nonnegative()),
  total_tokens: z.int().check(z.nonnegative()),
})

/**
 * The built-in catalog of workflow, agent and task streams. `complete` and `error` are terminal.
 *
 * | event | payload |
 * | --- | --- |
 * | `workflow_start` | `{ workflow_id, execution_id }` |
 * | `workflow_status` | `{ status, step?, usage? }` |
 * | `agent_status` | `{ status }` |
 * | `task_status` | `{ status }` |
 * | `llm_chunk` | `{ text }`: one LLM text delta |
 * | `tool_call` | `{ tool_name, args, call_id? }` |
 * | `tool_result` | `{ tool_name, call_id?, output?, error?, duration_ms? }`: how a call ended |
 * | `structured_delta` | `{ partial }`: a partial structured output |
 * | `complete` | `{ status, result?, output?, usage?, duration_ms? }` |
 * | `error` | `{ status, error: { message, code?, details? } }` |
 *
 * A cancelled run that its producer did not end in time is ended with
 * `error` `{ status: 'CANCELED', error: { message: <reason>, code: 'canceled' } }`.
 *
 * @example
 * ```ts
 * const manager = createStreamManager({ catalog: executionCatalog })
 * manager.stream('workflow:exec_42').emit('llm_chunk', { text: 'Hel' })
 * ```
 */
export const executionCatalog = /* @__PURE__ */ defineCatalog(
  {
    workflow_start: z.object({ workflow_id: z.string(), execution_id: z.string() }),
    workflow_status: z.object({
      status: executionStatus,
      step: z.optional(z.string()),
      usage: z.optional(usageSchema),
    }),
    agent_status: z.object({ status: executionStatus }),
    task_status: z.object({ status: executionStatus }),
    llm_chunk: z.object({ text: z.string() }),
    tool_call: z.object({
      tool_name: z.string(),
      args: z.record(z.string(), z.unknown()),
      call_id: z.optional(z.string()),
    }),
    tool_result: z.object({
      tool_name: z.string(),
      call_id: z.optional(z.string()),
      output: z.optional(z.unknown()),
      error: z.optional(z.object({ message: z.string(), code: z.optional(z.string()) })),
      duration_ms: z.optional(z.number().check(z.nonnegative())),
    }),
    structured_delta: z.object({ partial: z.unknown() }),
    complete: z.object({
      status: executionStatus,
      result: z.optional(z.unknown()),
      output: z.optional(z.unknown()),
      usage: z.optional(usageSchema),
      duration_ms: z.optional(z.number().check(z.nonnegative())),
    }),
    error: z.object({
      status: executionStatus,
      error: z.object({
        message: z.string(),
        code: z.optional(z.string()),
        details: z.optional(z.unknown()),
      }),
    }),
  },
  {
    terminal: ['complete', 'error'],
    // A cancelled run ends as compozy ends one: `error` with the CANCELED status.
    cancel: (reason) => ({
      type: 'error',
      data: { status: 'CANCELED', error: { message: reason, code: 'canceled' } },
    }),
  },
)
