/**
 * Case: what runstream's protocol adapters cost per event, against the protocol's own encoder on
 * the same events: AG-UI's text deltas (`@ag-ui/encoder`'s `EventEncoder`) and the AI SDK's
 * (`ai`'s `JsonToSseTransformStream`). The protocol's encoder only turns an event into the bytes of
 * its frame; runstream's adapter also checks the event against the catalog (`@ag-ui/core`'s schema,
 * runstream's chunk schemas), gives it its envelope and id, stores it (the memory store) and
 * writes its frame (`id:`, `event:`, the event in `data:`). Both end with the frame's UTF-8 bytes.
 * Best of `rounds`, per event. Run: `npx tsx bench/adapters.ts`.
 */
import type { BaseEvent } from '@ag-ui/core'
import { EventEncoder } from '@ag-ui/encoder'
import { JsonToSseTransformStream } from 'ai'
import { agUiCatalog } from '../src/ag-ui/catalog.js'
import { uiMessageCatalog } from '../src/ai-sdk/catalog.js'
import {
  type AnyCatalog,
  createStreamManager,
  type EventRecord,
  memoryStore,
} from '../src/index.js'
import { recordFrame } from '../src/server/frames.js'
import { isMain, runMain } from './lib/processes.js'

/** Options of {@link run}. */
export interface AdaptersOptions {
  /** Events per round. @defaultValue 100_000 */
  events?: number
  /** Rounds; the best is kept. @defaultValue 5 */
  rounds?: number
  /** Print the table. @defaultValue true */
  print?: boolean
}

/** One protocol's figures, in nanoseconds per event and bytes per frame. */
export interface AdapterFigures {
  protocol: 'AG-UI' | 'AI SDK'
  /** The protocol's own encoder: the event to its frame's bytes. */
  encoderNs: number
  /**
   * The AI SDK's encoder is a `TransformStream` (`JsonToSseTransformStream`, then UTF-8); this is
   * its per-chunk work alone (`data: ${JSON.stringify(chunk)}\n\n`, encoded), without the stream.
   * For AG-UI, the encoder itself.
   */
  encoderFloorNs: number
  /** runstream's adapter, whole: check, envelope, store, frame. */
  runstreamNs: number
  /** Of which: the emit (check, envelope, store). */
  emitNs: number
  /** Of which: the frame (once per event, shared by every client). */
  frameNs: number
  /** runstream's emit without the catalog check (`validate: false`). */
  emitUncheckedNs: number
  /** Bytes of one frame: the protocol's, and runstream's (its `id:` and `event:` lines added). */
  encoderBytes: number
  runstreamBytes: number
}

/** What {@link run} returns. */
export interface AdaptersResult {
  case: 'adapters'
  events: number
  rounds: number
  protocols: AdapterFigures[]
}

const utf8 = new TextEncoder()

/** The AG-UI text delta of event `i`, as an agent yields it. */
const agUiEvent = (i: number): BaseEvent =>
  ({
    type: 'TEXT_MESSAGE_CONTENT',
    messageId: '5f0c2b9e-7a41-4c1e-9d3a-2b8f6e4c1a70',
    delta: i % 2 === 0 ? 'Hel' : 'lo ',
  }) as BaseEvent

/** The AI SDK text delta of event `i`, as `toUIMessageStream()` gives it. */
const aiSdkChunk = (i: number) => ({
  type: 'text-delta',
  id: 'text-1',
  delta: i % 2 === 0 ? 'Hel' : 'lo ',
})

/** Runs the case. */
export async function run(options: AdaptersOptions = {}): Promise<AdaptersResult> {
  const events = options.events ?? 100_000
  const rounds = options.rounds ?? 5
  const agUi = agUiEvent(0)
  const chunk = aiSdkChunk(0)

  const agUiEncoder = new EventEncoder()
  const encodeAgUi = () =>
    best(rounds, () => {
      let bytes = 0
      const started = performance.now()
      for (let i = 0; i < events; i++) bytes += utf8.encode(agUiEncoder.encode(agUiEvent(i))).length
      sink(bytes)
      return performance.now() - started
    })

  const encodeAiSdk = () =>
    best(rounds, async () => {
      const started = performance.now()
      let bytes = 0
      const source = new ReadableStream({
        start(controller) {
          for (let i = 0; i < events; i++) controller.enqueue(aiSdkChunk(i))
          controller.close()
        },
      })
      const reader = source
        .pipeThrough(new JsonToSseTransformStream())
        .pipeThrough(new TextEncoderStream())
        .getReader()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        bytes += value.length
      }
      sink(bytes)
      return performance.now() - started
    })

  const floorAiSdk = () =>
    best(rounds, () => {
      let bytes = 0
      const started = performance.now()
      for (let i = 0; i < events; i++) {
        bytes += utf8.encode(`data: ${JSON.stringify(aiSdkChunk(i))}\n\n`).length
      }
      sink(bytes)
      return performance.now() - started
    })

  const agUiEncoderNs = perEvent(await encodeAgUi(), events)
  const protocols: AdapterFigures[] = [
    {
      protocol: 'AG-UI',
      encoderNs: agUiEncoderNs,
      encoderFloorNs: agUiEncoderNs,
      ...(await runstreamFigures(agUiCatalog, events, rounds, agUiEvent)),
      encoderBytes: utf8.encode(agUiEncoder.encode(agUi)).length,
      runstreamBytes: frameBytes(agUi),
    },
    {
      protocol: 'AI SDK',
      encoderNs: perEvent(await encodeAiSdk(), events),
      encoderFloorNs: perEvent(await floorAiSdk(), events),
      ...(await runstreamFigures(uiMessageCatalog, events, rounds, aiSdkChunk)),
      encoderBytes: utf8.encode(`data: ${JSON.stringify(chunk)}\n\n`).length,
      runstreamBytes: frameBytes(chunk),
    },
  ]
  const result: AdaptersResult = { case: 'adapters', events, rounds, protocols }
  if (options.print ?? true) {
    console.log(`\nper event, best of ${rounds} rounds of ${events} events`)
    for (const p of protocols) {
      console.log(
        `${p.protocol.padEnd(8)} encoder ${p.encoderNs.toFixed(0)} ns (floor ${p.encoderFloorNs.toFixed(0)}) · runstream ${p.runstreamNs.toFixed(0)} ns (emit ${p.emitNs.toFixed(0)}, frame ${p.frameNs.toFixed(0)}; emit unchecked ${p.emitUncheckedNs.toFixed(0)}) · ${p.encoderBytes} B vs ${p.runstreamBytes} B`,
      )
    }
  }
  return result
}

/** runstream's emit and frame per event for `catalog`, checked and unchecked. */
async function runstreamFigures(
  catalog: AnyCatalog,
  events: number,
  rounds: number,
  make: (i: number) => { type: string },
): Promise<Pick<AdapterFigures, 'runstreamNs' | 'emitNs' | 'frameNs' | 'emitUncheckedNs'>> {
  let emitMs = Number.POSITIVE_INFINITY
  let frameMs = Number.POSITIVE_INFINITY
  let uncheckedMs = Number.POSITIVE_INFINITY
  for (let round = 0; round < rounds; round++) {
    for (const validate of [true, false]) {
      const store = memoryStore({
        maxEventsPerStream: events,
        maxBytes: 1_073_741_824,
        maxBytesPerStream: 1_073_741_824,
      })
      const manager = createStreamManager({ catalog, store, validate })
      const stream = manager.stream('agent:bench')
      const started = performance.now()
      for (let i = 0; i < events; i++) {
        const event = make(i)
        stream.emit(event.type as never, event as never)
      }
      await manager.flush()
      const emitted = performance.now() - started
      if (!validate) {
        uncheckedMs = Math.min(uncheckedMs, emitted)
        await manager.close()
        continue
      }
      emitMs = Math.min(emitMs, emitted)
      const records: EventRecord[] = []
      for (let lastEventId: string | undefined; ; ) {
        const page = await store.read('agent:bench', { lastEventId, limit: 10_000 })
        records.push(...page.events)
        if (!page.hasMore || page.events.length === 0) break
        lastEventId = page.events.at(-1)?.envelope.id
      }
      if (records.length !== events) throw new Error(`stored ${records.length} of ${events}`)
      const framing = performance.now()
      let bytes = 0
      for (const record of records) bytes += recordFrame(record, 'payload').length
      sink(bytes)
      frameMs = Math.min(frameMs, performance.now() - framing)
      await manager.close()
    }
  }
  const emitNs = perEvent(emitMs, events)
  const frameNs = perEvent(frameMs, events)
  return {
    runstreamNs: emitNs + frameNs,
    emitNs,
    frameNs,
    emitUncheckedNs: perEvent(uncheckedMs, events),
  }
}

/** The bytes of runstream's frame of `event` at a four-digit id. */
function frameBytes(event: { type: string }): number {
  const record: EventRecord = {
    envelope: { id: '1042', type: event.type, stream: 'agent:bench', ts: '', data: event },
    json: '',
    terminal: false,
  }
  return recordFrame(record, 'payload').length
}

async function best(rounds: number, once: () => number | Promise<number>): Promise<number> {
  let fastest = Number.POSITIVE_INFINITY
  for (let round = 0; round < rounds; round++) fastest = Math.min(fastest, await once())
  return fastest
}

const perEvent = (ms: number, events: number) => (ms * 1e6) / events

// Uses a result, so the work that made it is not optimised away.
function sink(bytes: number): void {
  if (bytes === 0) throw new Error('nothing was encoded')
}

if (isMain(import.meta.url)) runMain(() => run())
