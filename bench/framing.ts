/**
 * Case: bytes on the wire per event, for the same three events (a 3-character token delta, a
 * status event of about 250 bytes of payload, a tool call) in runstream's payload and envelope
 * framings, compozy's, the AI SDK's UI message stream and AG-UI's SSE encoding. Each peer's
 * bytes come from its own encoder where it ships one (the `ai` package's
 * `JsonToSseTransformStream`, `@ag-ui/encoder`'s `EventEncoder`); runstream's from the server's
 * own frame writer (`recordFrame`) in both framings. Run: `npx tsx bench/framing.ts`.
 */
import { type BaseEvent, EventType } from '@ag-ui/core'
import { EventSchemas } from '@ag-ui/core/schemas'
import { EventEncoder } from '@ag-ui/encoder'
import { JsonToSseTransformStream, UI_MESSAGE_STREAM_HEADERS, type UIMessageChunk } from 'ai'
import { draftBody, recordFromDraft } from '../src/core/envelope.js'
import { recordFrame } from '../src/server/frames.js'
import { isMain, runMain } from './lib/processes.js'

/** Options of {@link run}. */
export interface FramingOptions {
  /** Print the table. @defaultValue true */
  print?: boolean
}

/** The framings measured, in the order of the table's columns. */
export const FRAMINGS = [
  'runstreamPayload',
  'runstreamPayloadText',
  'runstreamEnvelope',
  'compozy',
  'aiSdk',
  'agUi',
] as const

/** One of {@link FRAMINGS}. */
export type Framing = (typeof FRAMINGS)[number]

/** One event measured in every framing. */
export interface FramedEvent {
  name: string
  /** UTF-8 bytes of the frame(s) that carry the event, by framing. */
  bytes: Record<Framing, number>
  /** The frames themselves, for the curious and the docs. */
  frames: Record<Framing, string>
}

/** What {@link run} returns. */
export interface FramingResult {
  case: 'framing'
  events: FramedEvent[]
  /** The AI SDK's per-response protocol header and end-of-stream sentinel, not counted above. */
  aiSdkPerStream: { header: string; done: number }
}

// The same values in every framing. The SSE id is four digits (an event some way into a
// stream); the AI SDK's text part id and AG-UI's message id are the kind each ecosystem makes.
const SSE_ID = '1042'
const STREAM = 'agent:exec_42'
const TS = '2026-11-21T08:00:00.123Z'
const AI_TEXT_ID = 'text-1'
const AGUI_MESSAGE_ID = '5f0c2b9e-7a41-4c1e-9d3a-2b8f6e4c1a70'
const TOOL_CALL_ID = 'call_1'

const token = 'Hel'
const status = {
  status: 'RUNNING',
  step: 'summarize-findings-for-the-quarterly-competitive-landscape-report',
  usage: {
    provider: 'openai',
    model: 'gpt-4o-mini-2024-07-18',
    prompt_tokens: 18_432,
    completion_tokens: 6120,
    total_tokens: 24_552,
  },
}
const toolCall = {
  tool_name: 'web_search',
  args: { query: 'server-sent events Last-Event-ID resume', max_results: 5 },
}

/** A record of `type` and `data` on {@link STREAM}, built as the manager builds one. */
function record(id: string, type: string, data: unknown) {
  return recordFromDraft(id, {
    type,
    stream: STREAM,
    ts: TS,
    data,
    terminal: false,
    body: draftBody(type, STREAM, TS, data),
  })
}

const decoder = new TextDecoder()

/** runstream's payload framing, from the server's own frame writer. */
function payloadFrame(id: string, type: string, data: unknown): string {
  return decoder.decode(recordFrame(record(id, type, data), 'payload'))
}

/** runstream's envelope framing (the whole envelope in `data:`), from the same writer. */
function envelopeFrame(id: string, type: string, data: unknown): string {
  return decoder.decode(recordFrame(record(id, type, data), 'envelope'))
}

/**
 * compozy's `(*SSEStream).WriteEvent` (engine/infra/server/router/sse.go): the payload split on
 * LF only, `data:` bare when empty. JSON as Go writes it; these payloads have nothing Go escapes.
 */
function compozyFrame(id: string, event: string, data: unknown): string {
  const text = typeof data === 'string' ? data : JSON.stringify(data)
  const lines =
    text === ''
      ? 'data:\n'
      : text
          .split('\n')
          .map((l) => `data: ${l}\n`)
          .join('')
  return `id: ${id}\nevent: ${event}\n${lines}\n`
}

/** The AI SDK's frames, from its own JSON-to-SSE transform. */
async function aiSdkFrames(chunks: UIMessageChunk[]): Promise<string> {
  const transform = new JsonToSseTransformStream()
  const writer = transform.writable.getWriter()
  const reader = transform.readable.getReader()
  let text = ''
  const reading = (async () => {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      text += value
    }
  })()
  for (const chunk of chunks) await writer.write(chunk)
  await writer.close()
  await reading
  // The transform ends every stream with `data: [DONE]`: a per-stream cost, reported apart.
  return text.replace('data: [DONE]\n\n', '')
}

/** AG-UI's frames, from its encoder, for events its own schemas accept. */
function agUiFrames(events: BaseEvent[]): string {
  const encoder = new EventEncoder()
  return events.map((event) => encoder.encodeSSE(EventSchemas.parse(event) as BaseEvent)).join('')
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8')

/** Runs the case. */
export async function run(options: FramingOptions = {}): Promise<FramingResult> {
  const measured: { name: string; frames: Record<Framing, string> }[] = [
    {
      name: '3-character token delta',
      frames: {
        runstreamPayload: payloadFrame(SSE_ID, 'llm_chunk', { text: token }),
        runstreamPayloadText: payloadFrame(SSE_ID, 'llm_chunk', token),
        runstreamEnvelope: envelopeFrame(SSE_ID, 'llm_chunk', { text: token }),
        compozy: compozyFrame(SSE_ID, 'llm_chunk', token),
        aiSdk: await aiSdkFrames([{ type: 'text-delta', id: AI_TEXT_ID, delta: token }]),
        agUi: agUiFrames([
          {
            type: EventType.TEXT_MESSAGE_CONTENT,
            messageId: AGUI_MESSAGE_ID,
            delta: token,
          } as BaseEvent,
        ]),
      },
    },
    {
      name: `status event (${bytes(JSON.stringify(status))} B of JSON payload)`,
      frames: {
        runstreamPayload: payloadFrame(SSE_ID, 'workflow_status', status),
        runstreamPayloadText: payloadFrame(SSE_ID, 'workflow_status', status),
        runstreamEnvelope: envelopeFrame(SSE_ID, 'workflow_status', status),
        compozy: compozyFrame(SSE_ID, 'workflow_status', status),
        aiSdk: await aiSdkFrames([{ type: 'data-workflow-status', data: status }]),
        agUi: agUiFrames([
          { type: EventType.CUSTOM, name: 'workflow_status', value: status } as BaseEvent,
        ]),
      },
    },
    {
      name: 'tool call (name and arguments)',
      frames: {
        runstreamPayload: payloadFrame(SSE_ID, 'tool_call', toolCall),
        runstreamPayloadText: payloadFrame(SSE_ID, 'tool_call', toolCall),
        runstreamEnvelope: envelopeFrame(SSE_ID, 'tool_call', toolCall),
        compozy: compozyFrame(SSE_ID, 'tool_call', toolCall),
        aiSdk: await aiSdkFrames([
          {
            type: 'tool-input-available',
            toolCallId: TOOL_CALL_ID,
            toolName: toolCall.tool_name,
            input: toolCall.args,
          },
        ]),
        // AG-UI streams a tool call as three events: start, arguments, end.
        agUi: agUiFrames([
          {
            type: EventType.TOOL_CALL_START,
            toolCallId: TOOL_CALL_ID,
            toolCallName: toolCall.tool_name,
          } as BaseEvent,
          {
            type: EventType.TOOL_CALL_ARGS,
            toolCallId: TOOL_CALL_ID,
            delta: JSON.stringify(toolCall.args),
          } as BaseEvent,
          { type: EventType.TOOL_CALL_END, toolCallId: TOOL_CALL_ID } as BaseEvent,
        ]),
      },
    },
  ]
  const events = measured.map(({ name, frames }) => ({
    name,
    frames,
    bytes: Object.fromEntries(FRAMINGS.map((f) => [f, bytes(frames[f])])) as Record<
      Framing,
      number
    >,
  }))
  const header = `x-vercel-ai-ui-message-stream: ${UI_MESSAGE_STREAM_HEADERS['x-vercel-ai-ui-message-stream']}`
  const result: FramingResult = {
    case: 'framing',
    events,
    aiSdkPerStream: { header, done: bytes('data: [DONE]\n\n') },
  }
  if (options.print ?? true) {
    console.log(
      `\nbytes on the wire per event\n${'event'.padEnd(44)}${FRAMINGS.map((f) => f.padStart(22)).join('')}`,
    )
    for (const event of events) {
      console.log(
        `${event.name.padEnd(44)}${FRAMINGS.map((f) => String(event.bytes[f]).padStart(22)).join('')}`,
      )
    }
    console.log(
      `AI SDK per stream: header ${header}, plus ${result.aiSdkPerStream.done} B of data: [DONE]`,
    )
  }
  return result
}

if (isMain(import.meta.url)) runMain(() => run())
