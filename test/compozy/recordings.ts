/**
 * The recorded compozy streams: for each route, the frames compozy's Go handlers write, in
 * order, with every payload spelled exactly as the Go code encodes it. fixtures/*.sse are these
 * frames rendered with ./go-sse.ts (`npx tsx test/compozy/record.ts` writes them again; a test
 * checks the files never drift from this list). fixtures/README.md says where each comes from.
 */
import { GO_HEARTBEAT, goEvent, goJson } from './go-sse.js'

/** One frame of a recording. */
export type Frame =
  | { kind: 'event'; id: number; event: string; data: string }
  | { kind: 'heartbeat' }

/** One recorded stream. */
export interface Recording {
  /** The file under fixtures/, without `.sse`. */
  name: string
  /** The route compozy served it on. */
  path: string
  /** The stream name runstream's handlers give that route. */
  stream: string
  frames: Frame[]
}

const EXEC = '2Z4PVTL6K27XVT4A3NPKMDD5BG'
const WORKFLOW_EXEC = '2Z4PVTKZ4S6CAN0Q3Z4K1G8W7M'

const event = (id: number, name: string, data: string): Frame => ({
  kind: 'event',
  id,
  event: name,
  data,
})
const heartbeat: Frame = { kind: 'heartbeat' }

// A usage entry (Go struct `apitypes.UsageEntry`, field order), as `UsageSummary.MarshalJSON`
// writes it: the bare array of entries.
const usage = [
  {
    provider: 'openai',
    model: 'gpt-4o-mini',
    prompt_tokens: 120,
    completion_tokens: 48,
    total_tokens: 168,
    agent_ids: ['forecaster'],
    captured_at: '2026-11-21T08:00:01.5Z',
    source: 'task',
  },
]

/**
 * The tokens a text-mode agent publishes on `stream:tokens:<exec_id>`, each written raw as one
 * `llm_chunk`: tokens a client must not turn into other values (`42`, `true`, `null`, `"x"`,
 * JSON-looking text), a line break, leading space, non-ASCII, HTML characters and empty text.
 */
export const TOKENS: readonly string[] = [
  'Hel',
  'lo',
  ' world',
  '42',
  'true',
  'null',
  '"x"',
  'line one\nline two',
  'héllo 👋 日本語',
  '',
  '<b>&amp;',
  '{"text":"not an envelope"}',
  '  ',
]

/** The recordings, one or two per route. */
export const RECORDINGS: readonly Recording[] = [
  {
    // engine/workflow/router/stream.go emitWorkflowEvents over the events the worker's stream
    // tracker appends (engine/worker, newWorkflowStreamTracker and Success): Go maps, sorted keys.
    name: 'workflow',
    path: `/api/v0/executions/workflows/${EXEC}/stream`,
    stream: `workflow:${EXEC}`,
    frames: [
      event(1, 'workflow_start', goJson({ execution_id: EXEC, workflow_id: 'weather-report' })),
      event(2, 'workflow_status', goJson({ status: 'RUNNING' })),
      heartbeat,
      event(
        3,
        'complete',
        goJson({
          output: {
            city: 'São Paulo',
            html: '<b>Sunny & warm</b>',
            line: 'a\u2028b',
            summary: 'Sunny\n25°C',
          },
          status: 'SUCCESS',
          usage,
        }),
      ),
    ],
  },
  {
    // The same tracker's Fail: `{ error: err.Error(), status: FAILED }`, a string error.
    name: 'workflow-error',
    path: `/api/v0/executions/workflows/${EXEC}/stream`,
    stream: `workflow:${EXEC}`,
    frames: [
      event(1, 'workflow_start', goJson({ execution_id: EXEC, workflow_id: 'weather-report' })),
      event(2, 'workflow_status', goJson({ status: 'RUNNING' })),
      event(
        3,
        'error',
        goJson({
          error:
            'activity error (type: ExecuteTask, scheduledEventID: 11, startedEventID: 12, identity: worker@host): task <fetch> failed: 502 & retries exhausted',
          status: 'FAILED',
        }),
      ),
    ],
  },
  {
    // engine/agent/router/stream.go runAgentTextStream (no output schema, no stream publisher):
    // emitAgentStatus (id = last + 1), handleAgentChunk writing each pub/sub message raw,
    // heartbeats, then handleAgentPoll: a status change and emitAgentTerminal.
    name: 'agent-text',
    path: `/api/v0/executions/agents/${EXEC}/stream`,
    stream: `agent:${EXEC}`,
    frames: [
      event(1, 'agent_status', goJson({ status: 'RUNNING', ts: '2026-11-21T08:00:00.123456Z' })),
      ...TOKENS.map((token, i) => event(i + 2, 'llm_chunk', token)),
      heartbeat,
      event(
        TOKENS.length + 2,
        'agent_status',
        goJson({ status: 'SUCCESS', ts: '2026-11-21T08:00:02Z' }),
      ),
      event(
        TOKENS.length + 3,
        'complete',
        goJson({
          status: 'SUCCESS',
          result: { response: 'Hello world' },
          usage,
          ts: '2026-11-21T08:00:02Z',
        }),
      ),
    ],
  },
  {
    // engine/agent/router/stream.go runAgentStructuredStream (an action with an output schema):
    // status on connect, then the poll's status change and a terminal `error` whose `error` is
    // a core.Error (struct order message, code, details; details a map).
    name: 'agent-error',
    path: `/api/v0/executions/agents/${EXEC}/stream`,
    stream: `agent:${EXEC}`,
    frames: [
      event(1, 'agent_status', goJson({ status: 'RUNNING', ts: '2026-11-21T08:00:00.5Z' })),
      event(2, 'agent_status', goJson({ status: 'FAILED', ts: '2026-11-21T08:00:03.25Z' })),
      event(
        3,
        'error',
        goJson({
          status: 'FAILED',
          error: {
            message: 'tool <weather> timed out after 30s',
            code: 'TOOL_TIMEOUT',
            details: { attempt: 3, tool: 'weather' },
          },
          ts: '2026-11-21T08:00:03.25Z',
        }),
      ),
    ],
  },
  {
    // engine/task/router/stream.go runTaskEventStream (a stream publisher is configured): the
    // task status, the LLM session's events as the publisher stored them (engine/llm stream
    // session: Go maps, sorted keys; its llm_chunk is a JSON object here, not raw text), then
    // the poll's status change and terminal.
    name: 'task-events',
    path: `/api/v0/executions/tasks/${EXEC}/stream`,
    stream: `task:${EXEC}`,
    frames: [
      event(1, 'task_status', goJson({ status: 'RUNNING', ts: '2026-11-21T08:00:00Z' })),
      event(
        2,
        'status',
        goJson({
          component: 'task',
          iteration: 0,
          stage: 'llm_request',
          task_id: 'get-weather',
          workflow_exec_id: WORKFLOW_EXEC,
        }),
      ),
      event(
        3,
        'tool_call',
        goJson({
          component: 'task',
          duration_ms: 12.5,
          input: '{"city":"Paris"}',
          output: '{"temp":21}',
          redacted: false,
          status: 'success',
          task_id: 'get-weather',
          tool_call_id: 'call_1',
          tool_name: 'weather',
          workflow_exec_id: WORKFLOW_EXEC,
        }),
      ),
      event(
        4,
        'llm_chunk',
        goJson({
          component: 'task',
          content: 'It is 21°C',
          sequence: 1,
          task_id: 'get-weather',
          workflow_exec_id: WORKFLOW_EXEC,
        }),
      ),
      event(
        5,
        'structured_delta',
        goJson({
          complete: true,
          component: 'task',
          content: '{"temp":21}',
          sequence: 2,
          task_id: 'get-weather',
          workflow_exec_id: WORKFLOW_EXEC,
        }),
      ),
      event(
        6,
        'warning',
        goJson({
          code: 'context_threshold',
          component: 'task',
          details: { ratio: 0.82 },
          task_id: 'get-weather',
          workflow_exec_id: WORKFLOW_EXEC,
        }),
      ),
      event(7, 'task_status', goJson({ status: 'SUCCESS', ts: '2026-11-21T08:00:04.000000001Z' })),
      event(
        8,
        'complete',
        goJson({
          status: 'SUCCESS',
          result: { temp: 21 },
          ts: '2026-11-21T08:00:04.000000001Z',
        }),
      ),
    ],
  },
]

/** The bytes of a recording, as compozy's handler writes them (the body of its response). */
export function render(recording: Recording): string {
  return recording.frames
    .map((frame) =>
      frame.kind === 'heartbeat' ? GO_HEARTBEAT : goEvent(frame.id, frame.event, frame.data),
    )
    .join('')
}

/** The event frames of a recording. */
export function events(recording: Recording): Extract<Frame, { kind: 'event' }>[] {
  return recording.frames.filter((frame) => frame.kind === 'event')
}
