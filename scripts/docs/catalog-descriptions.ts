// What each built-in event means, by catalog. The schemas say what a payload holds; these say
// when the event is sent. Every event of a catalog is here and nothing else
// (test/docs/generated.test.ts checks it): a new event fails the docs until it is described.

/** `executionCatalog`'s events. */
export const EXECUTION_DESCRIPTIONS: Readonly<Record<string, string>> = {
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
}

/** `orchestrationCatalog`'s events. */
export const ORCHESTRATION_DESCRIPTIONS: Readonly<Record<string, string>> = {
  task_started: 'The orchestrator started a task.',
  task_completed: 'A task ended; `success` says whether it worked and `output` holds its result.',
  reflection:
    'The orchestrator reviewed the results so far: `done` ends the loop, otherwise `gaps` lists what is missing and `new_tasks` the tasks it adds.',
  thought: 'A short note of what the orchestrator or an agent is thinking.',
}

/** `compozyCatalog`'s events, as compozy's Go handlers write them. */
export const COMPOZY_DESCRIPTIONS: Readonly<Record<string, string>> = {
  workflow_start: 'Workflow route: the workflow execution started.',
  workflow_status:
    'Workflow route: the workflow’s state. Current compozy writes it once, `RUNNING`, at the start.',
  agent_status: 'Agent route: the agent execution’s state, from compozy’s status poll.',
  task_status: 'Task route: the task execution’s state, from compozy’s status poll.',
  agent_start:
    'In compozy’s docs only: no handler writes it. Kept so that a stream holding one still validates.',
  llm_chunk:
    'Agent and task routes: one line of LLM text, a string written in `data:` as it is (not JSON). With a stream publisher, compozy writes a JSON object here instead, which a client receives as its JSON text.',
  status:
    'Agent and task routes, with a stream publisher only: a stage of the LLM session of a component.',
  warning:
    'Agent and task routes, with a stream publisher only: the LLM session reported a problem it went on after.',
  tool_call:
    'Agent and task routes, with a stream publisher only: a tool call ended, with its `status` and `duration_ms`; `input` and `output` are JSON text, left out when `redacted`.',
  structured_delta:
    'Agent and task routes, with a stream publisher only: a piece of structured output; `sequence` orders the pieces and `complete` marks the last.',
  complete:
    'Terminal. The execution succeeded. The workflow route writes `{ output?, status, usage? }`; the agent and task routes `{ status, result?, error?, usage?, ts }`.',
  error:
    'Terminal. The execution did not succeed: the workflow route writes `{ error?, status }` with the reason as a string; the agent and task routes `complete`’s shape with `error: { message?, code?, details? }`. With a stream publisher, the LLM session’s own `{ component, message, … }` too: compozy goes on after it, but a runstream client ends there.',
}

/** `agUiCatalog`'s events: the AG-UI 1.0 protocol's. */
export const AG_UI_DESCRIPTIONS: Readonly<Record<string, string>> = {
  TEXT_MESSAGE_START:
    'A text message begins: its `TEXT_MESSAGE_CONTENT` events and its `TEXT_MESSAGE_END` follow, all with this `messageId`.',
  TEXT_MESSAGE_CONTENT:
    'A piece of a text message: append `delta` to the text of message `messageId`.',
  TEXT_MESSAGE_END: 'Message `messageId` is complete: no more content follows for it.',
  TEXT_MESSAGE_CHUNK:
    'A shortcut for producers that do not know where a message starts or ends: clients turn chunks into the start, content and end events themselves. A chunk may leave out what the previous one said.',
  TOOL_CALL_START:
    'The agent calls tool `toolCallName`: its arguments follow as `TOOL_CALL_ARGS`, then `TOOL_CALL_END`. `parentMessageId` is the assistant message that holds the call.',
  TOOL_CALL_ARGS:
    'A piece of a tool call’s arguments: append `delta` to the JSON text of call `toolCallId`.',
  TOOL_CALL_END: 'The arguments of call `toolCallId` are complete.',
  TOOL_CALL_CHUNK:
    'A shortcut for the start, arguments and end of a tool call, as `TEXT_MESSAGE_CHUNK` is for text.',
  TOOL_CALL_RESULT:
    'What a tool call returned: a tool message (`messageId`) whose `content` is text or content parts.',
  STATE_SNAPSHOT: 'The whole agent state, replacing what the client held.',
  STATE_DELTA:
    'A change to the agent state, as a JSON Patch to apply to the state the client holds.',
  MESSAGES_SNAPSHOT:
    'The whole conversation so far, replacing the messages the client held (after a reconnect, say).',
  ACTIVITY_SNAPSHOT:
    'The content of activity message `messageId`: progress a UI shows as a widget of its own, not as conversation. With `replace: false`, an activity the client already shows is left as it is.',
  ACTIVITY_DELTA:
    'A change to the content of activity message `messageId`, as a JSON Patch to apply to it.',
  RAW: 'An event from the agent’s own framework or provider (`source`), passed on untranslated in `event`.',
  CUSTOM: 'An event of the application’s own: `name` says which, `value` carries it.',
  RUN_STARTED:
    'The run began. First on every run’s stream; `input` may echo the `RunAgentInput` that started it.',
  RUN_FINISHED:
    'Terminal. The run ended without failing: `outcome` says whether it completed, stopped on interrupts that a later run answers, or was cancelled; `result` is its result.',
  RUN_ERROR:
    'Terminal. The run failed: `message` says why. A run cancelled without an end of its own gets this with `code: "cancelled"`.',
  STEP_STARTED: 'A named step of the run (`stepName`) began.',
  STEP_FINISHED: 'The step `stepName` ended.',
  REASONING_START:
    'The agent starts reasoning; the reasoning messages of this span follow until `REASONING_END`.',
  REASONING_MESSAGE_START:
    'A reasoning message begins: its content and end events follow with this `messageId`.',
  REASONING_MESSAGE_CONTENT:
    'A piece of a reasoning message: append `delta` to the text of message `messageId`.',
  REASONING_MESSAGE_END: 'Reasoning message `messageId` is complete.',
  REASONING_MESSAGE_CHUNK:
    'A shortcut for a reasoning message’s start, content and end, as `TEXT_MESSAGE_CHUNK` is for text.',
  REASONING_END: 'The span of reasoning that `REASONING_START` opened is over.',
  REASONING_ENCRYPTED_VALUE:
    'A provider’s encrypted reasoning for a message or tool call (`subtype`, `entityId`): opaque to the client, which keeps it and sends it back on a later turn.',
  SUBAGENT_STARTED:
    'A subagent began working; the events it produces carry its `subagentRunId` until it finishes.',
  SUBAGENT_FINISHED:
    'Subagent `subagentRunId` ended its part of the run: it completed, or is suspended until interrupts are answered (`outcome`).',
  SUBAGENT_ERROR:
    'Subagent `subagentRunId` failed. Not the end of the run: the agent that called it may recover.',
}

/** `uiMessageCatalog`'s chunks: the AI SDK's UI message stream. */
export const AI_SDK_DESCRIPTIONS: Readonly<Record<string, string>> = {
  start: 'The reply (one assistant message) begins; `messageId` names it.',
  'start-step':
    'A step begins: one call of the model, whose text, reasoning and tool calls follow.',
  'text-start': 'A text part begins: its deltas and its end follow with this `id`.',
  'text-delta': 'A piece of text: append `delta` to text part `id`.',
  'text-end': 'Text part `id` is complete; `citations` are the sources it cites.',
  'reasoning-start': 'A reasoning part begins: its deltas and its end follow with this `id`.',
  'reasoning-delta': 'A piece of reasoning: append `delta` to reasoning part `id`.',
  'reasoning-end': 'Reasoning part `id` is complete.',
  'tool-input-start':
    'The model starts calling tool `toolName`: the input streams as `tool-input-delta`, then `tool-input-available`.',
  'tool-input-delta': 'A piece of a tool call’s input, as text: append `inputTextDelta`.',
  'tool-input-available':
    'The input of call `toolCallId` is complete and parsed (`input`): the tool may run.',
  'tool-input-error':
    'The input of call `toolCallId` is invalid (`errorText`): the tool does not run.',
  'tool-approval-request':
    'Call `toolCallId` waits for the user to approve it; the answer names `approvalId`.',
  'tool-approval-response': 'The user approved (or refused) the call of `approvalId`.',
  'tool-output-available':
    'What call `toolCallId` returned (`output`). `preliminary: true` marks an intermediate output that a later one replaces.',
  'tool-output-error': 'Call `toolCallId` failed: `errorText` says why.',
  'tool-output-denied': 'Call `toolCallId` was refused approval, so it did not run.',
  'source-url': 'A web page the reply draws on: `url`, its `title`.',
  'source-document': 'A document the reply draws on: its `title`, `mediaType` and `filename`.',
  file: 'A file the model produced, at `url` (often a data URL), of type `mediaType`.',
  'reasoning-file': 'A file the model produced while reasoning, as `file` is for the reply.',
  custom: 'A provider’s content of its own, of kind `kind` (`<provider>.<kind>`).',
  'steering-message':
    'A message the user sent while the reply was running, that steers it: added to the reply as a part.',
  'message-metadata': 'Metadata of the reply (`messageMetadata`), merged into what the client has.',
  error:
    'An error during the reply, shown to the user as `errorText`. Not terminal: `finish-step` and `finish` may follow.',
  'finish-step': 'The step (one model call) ended.',
  'reset-step':
    'The current step is thrown away (it is retried): the client drops what it received since its `start-step`.',
  finish: 'Terminal. The reply is complete; `finishReason` says why the model stopped.',
  abort:
    'Terminal. The reply was stopped before it completed; `reason` says why. A cancelled run without an end of its own gets this.',
}
