import { afterEach, describe, expect, it } from 'vitest'
import * as z from 'zod'
import * as zm from 'zod/mini'
import { connect, type RunstreamError } from '../../src/client.js'
import { createStreamManager, defineCatalog, mergeCatalogs } from '../../src/index.js'
import { createNodeHandler } from '../../src/node.js'
import { startServer, type TestServer } from '../helpers/http.js'

// The catalog describes the JSON on the wire, and both ends validate with it: a schema's output
// must be valid input again. Transforms (which would run twice) and types JSON cannot carry are
// refused where the catalog is defined; everything else round-trips.
describe('defineCatalog: what travels as JSON', () => {
  it('refuses a transform, naming the event, where it is and what to write instead', () => {
    expect(() =>
      defineCatalog({ parsed: z.object({ at: z.string().transform((s) => new Date(s)) }) }),
    ).toThrow(
      /event "parsed" has a transform .* at data\.at\. .*client would refuse every such event.*new Date\(event\.data\.at\)/,
    )
  })

  it('refuses z.preprocess and z.codec, which are transforms too, in classic and mini zod', () => {
    expect(() => defineCatalog({ p: z.preprocess((v) => String(v), z.string()) })).toThrow(
      /event "p" has a transform .* at data\./,
    )
    expect(() =>
      defineCatalog({
        c: z.object({
          n: z.codec(z.string(), z.number(), { decode: Number, encode: String }),
        }),
      }),
    ).toThrow(/event "c" has a codec .* at data\.n\./)
    expect(() =>
      defineCatalog({
        m: zm.object({ list: zm.array(zm.pipe(zm.string(), zm.transform(Number))) }),
      }),
    ).toThrow(/event "m" has a transform .* at data\.list\[\]\./)
  })

  it('refuses types that JSON cannot carry, such as z.date(), deep in a payload', () => {
    expect(() =>
      defineCatalog({
        e: z.object({ when: z.optional(z.union([z.null(), z.date()])) }),
      }),
    ).toThrow(
      /event "e" has a z\.date\(\) at data\.when, which JSON cannot carry\. .*z\.iso\.datetime\(\)/,
    )
    expect(() => defineCatalog({ b: z.bigint() })).toThrow(/z\.bigint\(\)/)
    expect(() => defineCatalog({ s: z.object({ tags: z.set(z.string()) }) })).toThrow(/z\.set\(\)/)
  })

  it('refuses them in mergeCatalogs too, and a value that is not a schema', () => {
    const ok = defineCatalog({ a: z.string() })
    const bad = {
      schemas: { b: z.string().transform(Number) },
      names: ['b'],
      terminal: [],
      has: (t: string) => t === 'b',
    }
    expect(() => mergeCatalogs(ok, bad as never)).toThrow(/event "b" has a transform/)
    expect(() => defineCatalog({ x: 'string' as never })).toThrow(/event "x" needs a zod schema/)
  })

  it('accepts checks, defaults, catch, plain pipes and recursive schemas', () => {
    interface Tree {
      name: string
      children: Tree[]
    }
    const tree: z.ZodType<Tree> = z.lazy(() =>
      z.object({ name: z.string(), children: z.array(tree) }),
    )
    expect(() =>
      defineCatalog({
        a: z.object({
          label: z.string().trim().min(1),
          tries: z.number().int().default(1),
          note: z.string().catch('n/a'),
          email: z.string().pipe(z.email()),
          at: z.iso.datetime(),
        }),
        t: tree,
      }),
    ).not.toThrow()
  })
})

describe('a catalog with defaults, overwrites and catch', () => {
  let server: TestServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('round-trips between the server and runstream client: the client gets the server output', async () => {
    const catalog = defineCatalog(
      {
        step: z.object({
          label: z.string().trim(),
          tries: z.number().default(1),
          note: z.string().catch('n/a'),
        }),
        done: z.object({ ok: z.boolean() }),
      },
      { terminal: ['done'] },
    )
    const errors: RunstreamError[] = []
    const manager = createStreamManager({ catalog, onError: (error) => errors.push(error) })
    const handler = createNodeHandler(manager, { onError: (error) => errors.push(error) })
    server = await startServer((req, res) => void handler(req, res))
    const producer = manager.stream('task:wire')
    producer.emit('step', { label: '  fetch  ', note: 42 as never })
    producer.emit('done', { ok: true })

    const received: unknown[] = []
    for await (const event of connect(`${server.url}/api/v0/executions/tasks/wire/stream`, {
      catalog,
      onError: (error) => errors.push(error),
    })) {
      received.push(event.data)
    }
    expect(received).toEqual([{ label: 'fetch', tries: 1, note: 'n/a' }, { ok: true }])
    // The in-process subscriber sees the same envelope data.
    const local: unknown[] = []
    for await (const event of manager.subscribe({ stream: 'task:wire' })) local.push(event.data)
    expect(local).toEqual(received)
    expect(errors).toEqual([])
    handler.close()
  })
})
