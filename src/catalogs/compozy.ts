import * as z from 'zod/mini'
import { defineCatalog } from '../core/catalog.js'
import { executionStatus } from './execution.js'

// Every object below lists its keys in the order compozy's Go code writes them (a Go struct in
// field order, a Go map in sorted key order), because a schema's output keeps its shape's key
// order: runstream re-serializing a payload then writes the same bytes compozy does.

const count = /* @__PURE__ */ z.int().check(z.nonnegative())

/**
 * One usage entry as compozy writes it (Go `apitypes.UsageEntry` / `usage.Entry`): a
 * provider/model pair and its token counts. The older `apitypes.UsageSummary` was this object
 * alone, without the fields from `agent_ids` on.
 */
export const compozyUsageEntry = /* @__PURE__ */ z.object({
  provider: z.string(),
  model: z.string(),
  prompt_tokens: count,
  completion_tokens: count,
  total_tokens: count,
  reasoning_tokens: z.optional(count),
  cached_prompt_tokens: z.optional(count),
  input_audio_tokens: z.optional(count),
  output_audio_tokens: z.optional(count),
  agent_ids: z.optional(z.array(z.string())),
  captured_at: z.optional(z.string()),
  updated_at: z.optional(z.string()),
  source: z.optional(z.string()),
})

/**
 * `usage` in compozy's terminal events, in each shape its versions write: an array of entries
 * (the `MarshalJSON` of `UsageSummary` and `usage.Summary`), one entry object (the older
 * `UsageSummary`), or `{ entries: [...] }` (the struct without its `MarshalJSON`, which
 * compozy's own decoder also accepts).
 */
export const compozyUsage = /* @__PURE__ */ z.union([
  z.array(compozyUsageEntry),
  z.object({ entries: z.array(compozyUsageEntry) }),
  compozyUsageEntry,
])

/** compozy's `core.Error`: every member is `omitempty`, so each may be absent. */
export const compozyError = /* @__PURE__ */ z.object({
  message: z.optional(z.string()),
  code: z.optional(z.string()),
  details: z.optional(z.record(z.string(), z.unknown())),
})

// The end of an agent or task execution, written by the status poll of both routes (Go
// `agentTerminalPayload` / `taskTerminalPayload`): `complete` for SUCCESS, `error` otherwise.
const executionEnd = /* @__PURE__ */ z.object({
  status: executionStatus,
  result: z.optional(z.record(z.string(), z.unknown())),
  error: z.optional(compozyError),
  usage: z.optional(compozyUsage),
  ts: z.string(),
})

/**
 * The events compozy's Go handlers write on `GET /api/v0/executions/{workflows,agents,tasks}/:id/stream`,
 * with their payloads as the code writes them (where compozy's docs say otherwise, the code
 * wins; docs/catalog.md lists the differences). `complete` and `error` are terminal.
 *
 * | event | route | payload |
 * | --- | --- | --- |
 * | `workflow_start` | workflow | `{ execution_id, workflow_id }` |
 * | `workflow_status` | workflow | `{ status }` |
 * | `agent_status` | agent | `{ status, ts }` |
 * | `task_status` | task | `{ status, ts }` |
 * | `llm_chunk` | agent, task | the raw text of one line (a string, not JSON) |
 * | `status`, `warning`, `tool_call`, `structured_delta` | agent, task | the LLM session's events, when compozy has a stream publisher |
 * | `agent_start` | — | `{ agent_id, ts, step? }`: in compozy's docs only; no handler writes it |
 * | `complete` | all | workflow `{ output?, status, usage? }`; agent, task `{ status, result?, error?, usage?, ts }` |
 * | `error` | all | workflow `{ error?: string, status }`; agent, task as `complete` with `error: { message?, code?, details? }`; the LLM session's `{ component, message, … }` |
 *
 * `ts` is a Go `time.Time` in RFC 3339 with nanoseconds (`2026-11-21T08:00:00.123456789Z`,
 * trailing zeros dropped). `usage` is any of {@link compozyUsage}'s shapes.
 *
 * @example
 * ```ts
 * import { connect } from 'runstream/client'
 * const run = connect(`${compozy}/api/v0/executions/agents/${execId}/stream`, {
 *   catalog: compozyCatalog,
 * })
 * for await (const event of run) if (event.type === 'llm_chunk') process.stdout.write(event.data)
 * ```
 */
export const compozyCatalog = /* @__PURE__ */ defineCatalog(
  {
    workflow_start: z.object({ execution_id: z.string(), workflow_id: z.string() }),
    workflow_status: z.object({ status: executionStatus }),
    agent_status: z.object({ status: executionStatus, ts: z.string() }),
    task_status: z.object({ status: executionStatus, ts: z.string() }),
    agent_start: z.object({ agent_id: z.string(), ts: z.string(), step: z.optional(z.string()) }),
    llm_chunk: z.string(),
    status: z.object({
      component: z.string(),
      iteration: z.optional(z.int()),
      metadata: z.optional(z.record(z.string(), z.unknown())),
      stage: z.string(),
      task_id: z.optional(z.string()),
      workflow_exec_id: z.optional(z.string()),
    }),
    warning: z.object({
      code: z.string(),
      component: z.string(),
      details: z.optional(z.record(z.string(), z.unknown())),
      task_id: z.optional(z.string()),
      workflow_exec_id: z.optional(z.string()),
    }),
    tool_call: z.object({
      component: z.string(),
      duration_ms: z.number(),
      error: z.optional(z.string()),
      input: z.optional(z.string()),
      metadata: z.optional(z.record(z.string(), z.unknown())),
      output: z.optional(z.string()),
      redacted: z.boolean(),
      status: z.string(),
      task_id: z.optional(z.string()),
      tool_call_id: z.string(),
      tool_name: z.string(),
      workflow_exec_id: z.optional(z.string()),
    }),
    structured_delta: z.object({
      complete: z.boolean(),
      component: z.string(),
      content: z.string(),
      sequence: z.int(),
      task_id: z.optional(z.string()),
      workflow_exec_id: z.optional(z.string()),
    }),
    complete: z.union([
      executionEnd,
      z.object({
        output: z.optional(z.record(z.string(), z.unknown())),
        status: executionStatus,
        usage: z.optional(compozyUsage),
      }),
    ]),
    error: z.union([
      executionEnd,
      z.object({ error: z.optional(z.string()), status: executionStatus }),
      // The LLM stream session's error (Go `streamSession.emitError`): a map, so sorted keys.
      z.object({
        component: z.string(),
        message: z.string(),
        task_id: z.optional(z.string()),
        workflow_exec_id: z.optional(z.string()),
      }),
    ]),
  },
  {
    terminal: ['complete', 'error'],
    // compozy's workflow error shape: the reason as a string.
    cancel: (reason) => ({ type: 'error', data: { status: 'CANCELED', error: reason } }),
  },
)
