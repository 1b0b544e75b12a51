import { toJSONSchema } from 'zod/v4/core'
import { type AnyCatalog, executionCatalog, orchestrationCatalog } from '../../src/index.js'

/** A JSON Schema object, as zod writes it. */
export type JsonSchema = Record<string, unknown>

/** One built-in catalog, as the reference documents it. */
export interface DocumentedCatalog {
  /** The export's name, such as `executionCatalog`. */
  readonly name: string
  readonly summary: string
  readonly catalog: AnyCatalog
}

/** The built-in catalogs, in the order the reference lists them. */
export const CATALOGS: readonly DocumentedCatalog[] = [
  {
    name: 'executionCatalog',
    summary:
      'The events of workflow, agent and task streams: status changes, LLM text deltas, tool calls, and the terminal `complete` and `error`.',
    catalog: executionCatalog,
  },
  {
    name: 'orchestrationCatalog',
    summary:
      'The events of an agent loop that plans tasks, runs them and reflects. It has no terminal event: merge it with `executionCatalog` (`mergeCatalogs(executionCatalog, orchestrationCatalog)`) so streams can end.',
    catalog: orchestrationCatalog,
  },
]

/**
 * What each event means. The schemas say what the payload holds; this says when the event is
 * sent. Every event of the built-in catalogs must be here (the docs test checks it).
 */
export const EVENT_DESCRIPTIONS: Readonly<Record<string, string>> = {
  workflow_start:
    'A workflow execution started. Usually the first event of a `workflow:<id>` stream.',
  workflow_status: 'The workflow changed state or step; `usage` carries the token count so far.',
  agent_status: 'An agent changed state.',
  task_status: 'A task changed state.',
  llm_chunk:
    'One delta of LLM text. Concatenate the `text` of successive chunks to get the output; `format=text` on agent and task routes does this on the server.',
  tool_call:
    'An agent called a tool with these arguments. `call_id`, when given, is what its `tool_result` names.',
  tool_result:
    'A tool call ended: its `output`, or the `error` that ended it, and how long it took. `call_id` names the call; without it, the result belongs to the earliest unfinished call of `tool_name`.',
  structured_delta: 'A partial structured output (a JSON value that grows as the LLM writes it).',
  complete:
    'Terminal. The execution finished; `status` says how (`SUCCESS`, or a failure such as `FAILED`). Nothing follows it on the stream.',
  error:
    'Terminal. The execution failed; `error.message` says why. Nothing follows it on the stream.',
  task_started: 'The orchestrator started a task.',
  task_completed: 'A task ended; `success` says whether it worked and `output` holds its result.',
  reflection:
    'The orchestrator reviewed the results so far: `done` ends the loop, otherwise `gaps` lists what is missing and `new_tasks` the tasks it adds.',
  thought: 'A short note of what the orchestrator or an agent is thinking.',
}

/** The JSON Schema of an event's payload as it travels (the zod schema's output), without `$schema`. */
export function payloadSchema(catalog: AnyCatalog, event: string): JsonSchema {
  const { $schema: _, ...schema } = toJSONSchema(catalog.schemas[event], {
    target: 'draft-2020-12',
    io: 'output',
  }) as JsonSchema
  return schema
}

/** Every event of the built-in catalogs, each with the catalog it belongs to. */
export function allEvents(): { event: string; owner: DocumentedCatalog }[] {
  return CATALOGS.flatMap((owner) => owner.catalog.names.map((event) => ({ event, owner })))
}

/**
 * The JSON Schema of an envelope of the built-in catalogs: the wire-format members, and `data`
 * checked against the payload schema of its `type`.
 *
 * @param ref - where the payload schema of `event` lives, such as `#/$defs/llm_chunk`
 */
export function envelopeSchema(ref: (event: string) => string): JsonSchema {
  const events = allEvents().map(({ event }) => event)
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
