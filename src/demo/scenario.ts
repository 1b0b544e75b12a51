/**
 * What the simulated research assistant says and does. Kept apart from the timing logic in
 * `simulation.ts` so the story can change without touching how it is played.
 */

/** One tool call an agent makes halfway through its text. */
export interface ScriptedTool {
  readonly name: string
  readonly args: Record<string, unknown>
}

/** One task of the run: what an agent writes, and the tool it calls. */
export interface ScriptedTask {
  readonly agent: string
  readonly description: string
  readonly text: string
  readonly tool?: ScriptedTool
  readonly output: string
}

/** The question the demo's workflow works on. */
export const QUESTION = 'How should an AI agent platform stream live progress to browsers?'

/** The name of the demo's workflow (its `workflow_id`). */
export const WORKFLOW_ID = 'research-assistant'

/** What the planner thinks before it lists the first tasks. */
export const PLAN_THOUGHT =
  'Split the question into three tasks: survey what exists, compare transports, sketch a design.'

/** The tasks the planner starts with. */
export const FIRST_ROUND: readonly ScriptedTask[] = [
  {
    agent: 'researcher',
    description: 'Survey how agent frameworks report progress',
    tool: { name: 'web_search', args: { query: 'agent framework streaming progress events' } },
    text: 'Most agent frameworks expose progress as a sequence of typed events: a run starts, steps and tool calls follow, tokens stream as deltas, and a final event carries the result. The common failure is the transport, not the model: long runs outlive proxies and flaky mobile networks.',
    output: '4 frameworks surveyed; all emit typed step events, two support resuming.',
  },
  {
    agent: 'analyst',
    description: 'Compare SSE, WebSockets and polling for one-way updates',
    tool: { name: 'fetch_url', args: { url: 'https://html.spec.whatwg.org/#server-sent-events' } },
    text: 'Server-sent events fit one-way progress best. They run over plain HTTP, pass through most proxies, and the browser already knows how to resume with Last-Event-ID. WebSockets add a second protocol for no gain here, and polling trades latency for load.',
    output: 'SSE recommended: HTTP-native, resumable, proxy-friendly.',
  },
  {
    agent: 'architect',
    description: 'Sketch a resumable event design',
    text: 'Give every event an envelope with a per-stream id, keep recent events in a store, and let a reconnecting client ask for everything after its last id. A terminal event tells the client to stop, so it never reconnects to a finished run.',
    output: 'Envelope + store + cursor design drafted.',
  },
]

/** What the first reflection finds missing, and the task it adds. */
export const FIRST_REFLECTION = {
  gaps: ['No numbers on reconnects behind a buffering proxy'],
  task: {
    agent: 'researcher',
    description: 'Measure reconnects through a buffering proxy',
    tool: { name: 'run_benchmark', args: { clients: 200, proxy: 'nginx', drop_every_s: 30 } },
    text: 'With buffering turned off and a heartbeat every fifteen seconds, every client resumed after each forced drop, and none saw an event twice. Without the heartbeat, idle connections were cut by the proxy after sixty seconds.',
    output: '200/200 clients resumed without loss; heartbeats required.',
  } satisfies ScriptedTask,
} as const

/** The task that writes the answer once reflection is satisfied. */
export const FINAL_TASK: ScriptedTask = {
  agent: 'writer',
  description: 'Write the recommendation',
  text: 'Recommendation: stream typed events over SSE, with ids from a shared store so any server can resume any client. Send heartbeats, disable proxy buffering, and end every run with a terminal event. Browsers then get live progress that survives drops without losing or repeating a step.',
  output: 'Stream typed events over SSE with store-backed ids, heartbeats and terminal events.',
}

/** How a failing run fails: a tool that gives up. */
export const FAILURE = {
  tool: { name: 'fetch_url', args: { url: 'https://benchmarks.example.com/proxy-results.csv' } },
  thought: 'fetch_url timed out three times; the benchmark data is unreachable.',
  message: 'Tool "fetch_url" timed out after 3 attempts: the benchmark data is unreachable.',
  code: 'tool_timeout',
} as const
