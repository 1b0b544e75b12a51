import { describe, expectTypeOf, it } from 'vitest'
import * as z from 'zod'
import {
  type CatalogEnvelope,
  type CatalogEvent,
  createStreamManager,
  defineCatalog,
  type EventData,
  type EventInput,
  type EventName,
  executionCatalog,
} from '../../src/index.js'

const catalog = defineCatalog(
  {
    progress: z.object({ pct: z.number(), note: z.string().optional() }),
    tick: z.undefined(),
    maybe: z.object({ n: z.number() }).optional(),
    parsed: z.object({ at: z.string(), tries: z.number().default(1) }),
    done: z.object({ ok: z.boolean() }),
  },
  { terminal: ['done'] },
)
type C = typeof catalog

describe('catalog types', () => {
  it('derives the event names', () => {
    expectTypeOf<EventName<C>>().toEqualTypeOf<'progress' | 'tick' | 'maybe' | 'parsed' | 'done'>()
  })

  it('uses the schema input for emit and its output for subscribers', () => {
    expectTypeOf<EventInput<C, 'parsed'>>().toEqualTypeOf<{
      at: string
      tries?: number | undefined
    }>()
    expectTypeOf<EventData<C, 'parsed'>>().toEqualTypeOf<{ at: string; tries: number }>()
  })

  it('forms a union discriminated on type that narrows in a switch', () => {
    const handle = (event: CatalogEvent<C>) => {
      switch (event.type) {
        case 'progress':
          expectTypeOf(event.data).toEqualTypeOf<{ pct: number; note?: string | undefined }>()
          return event.data.pct
        case 'done':
          expectTypeOf(event.data).toEqualTypeOf<{ ok: boolean }>()
          return event.data.ok
        default:
          return undefined
      }
    }
    expectTypeOf(handle).parameter(0).toHaveProperty('type')
  })

  it('types envelopes with id, stream and ts', () => {
    type E = CatalogEnvelope<typeof executionCatalog>
    const read = (envelope: E) => {
      expectTypeOf(envelope.id).toBeString()
      expectTypeOf(envelope.ts).toBeString()
      if (envelope.type === 'llm_chunk')
        expectTypeOf(envelope.data).toEqualTypeOf<{ text: string }>()
    }
    expectTypeOf(read).toBeFunction()
  })
})

describe('emit types', () => {
  const stream = createStreamManager({ catalog }).stream('s')

  it('accepts each schema input', () => {
    stream.emit('progress', { pct: 1 })
    stream.emit('parsed', { at: '2026-01-01' })
    stream.emit('done', { ok: true })
  })

  it('lets data be left out only when the schema accepts undefined', () => {
    stream.emit('tick')
    stream.emit('maybe')
    stream.emit('maybe', { n: 1 })
    // @ts-expect-error progress needs data
    stream.emit('progress')
  })

  it('refuses unknown names and wrong payloads at compile time', () => {
    // @ts-expect-error not an event of the catalog
    stream.emit('progres', { pct: 1 })
    // @ts-expect-error pct must be a number
    stream.emit('progress', { pct: '1' })
    // @ts-expect-error the input of parsed is a string, not a Date
    stream.emit('parsed', { at: new Date() })
  })

  it('types the built-in execution catalog', () => {
    const exec = createStreamManager({ catalog: executionCatalog }).stream('workflow:1')
    exec.emit('llm_chunk', { text: 'hi' })
    exec.emit('complete', { status: 'SUCCESS' })
    // @ts-expect-error not a status
    exec.emit('task_status', { status: 'DONE' })
  })

  it('yields typed envelopes from subscribe', async () => {
    const manager = createStreamManager({ catalog })
    for await (const event of manager.subscribe({ stream: 's' })) {
      expectTypeOf(event).toEqualTypeOf<CatalogEnvelope<C>>()
      if (event.type === 'done') expectTypeOf(event.data.ok).toBeBoolean()
    }
    for await (const record of manager.subscribeRecords({ stream: 's' })) {
      if (record.envelope.type === 'done') expectTypeOf(record.envelope.data.ok).toBeBoolean()
      expectTypeOf(record.json).toBeString()
    }
  })
})

describe('runs types', () => {
  it('types the cancel option by the catalog’s events, and keeps terminal as declared', () => {
    const jobs = defineCatalog(
      { tick: z.object({}), done: z.object({ ok: z.boolean() }) },
      { terminal: ['done'], cancel: () => ({ type: 'done', data: { ok: false } }) },
    )
    expectTypeOf(jobs.terminal).toEqualTypeOf<readonly 'done'[]>()
    expectTypeOf(jobs.cancel).toEqualTypeOf<
      ((reason: string) => { readonly type: 'done'; readonly data: unknown }) | undefined
    >()
    defineCatalog(
      { done: z.object({}) },
      // @ts-expect-error: not an event of the catalog
      { terminal: ['done'], cancel: () => ({ type: 'nope', data: {} }) },
    )
  })

  it('types a run’s handle and signal by the manager’s catalog', async () => {
    const manager = createStreamManager({ catalog: executionCatalog })
    const run = await manager.startRun('workflow')
    expectTypeOf(run.signal).toEqualTypeOf<AbortSignal>()
    run.stream.emit('llm_chunk', { text: 'x' })
    // @ts-expect-error: not an event of the execution catalog
    run.stream.emit('tick', {})
    expectTypeOf(manager.cancelRun(run.name)).resolves.toEqualTypeOf<
      'canceled' | 'finished' | 'unknown'
    >()
  })
})
