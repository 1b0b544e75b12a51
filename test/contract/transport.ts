import { describe, expect, it } from 'vitest'
import * as z from 'zod'
import {
  createStreamManager,
  defineCatalog,
  type RunstreamError,
  type Transport,
} from '../../src/index.js'

/**
 * What a transport under test offers the contract: the transport, and a way to read back what
 * reached its far end (stdout bytes, an SSE response, …) as envelope JSON lines.
 */
export interface TransportHarness {
  transport: Transport
  /** Resolves with the first `count` envelope JSON texts that reached the far end, in order. */
  received(count: number): Promise<string[]>
  /** Releases what the harness started. */
  close(): Promise<void>
}

export const contractCatalog = defineCatalog(
  {
    note: z.object({ text: z.string(), n: z.number() }),
    ping: z.optional(z.object({ at: z.number() })),
    done: z.object({ ok: z.boolean() }),
  },
  { terminal: ['done'] },
)

/**
 * The behaviour every transport must show. Run it from a test file:
 * `transportContract('stdout', async () => ({ transport, received, close }))`.
 */
export function transportContract(
  name: string,
  create: () => Promise<TransportHarness> | TransportHarness,
): void {
  describe(`transport contract: ${name}`, () => {
    async function withHarness(
      run: (harness: TransportHarness, errors: RunstreamError[]) => Promise<void>,
    ) {
      const harness = await create()
      const errors: RunstreamError[] = []
      try {
        await run(harness, errors)
      } finally {
        await harness.close()
      }
    }

    it('delivers each envelope once, in order, as the exact bytes of record.json', async () => {
      await withHarness(async (harness, errors) => {
        const manager = createStreamManager({
          catalog: contractCatalog,
          transports: [harness.transport],
          onError: (e) => errors.push(e),
        })
        const stream = manager.stream('contract:order')
        for (let n = 1; n <= 50; n++) stream.emit('note', { text: `event ${n}`, n })
        stream.emit('done', { ok: true })
        await manager.flush()
        const lines = await harness.received(51)
        const envelopes = lines.map((line) => JSON.parse(line))
        expect(envelopes.map((e) => e.id)).toEqual(
          Array.from({ length: 51 }, (_, i) => String(i + 1)),
        )
        expect(envelopes[0]).toMatchObject({
          type: 'note',
          stream: 'contract:order',
          data: { text: 'event 1', n: 1 },
        })
        expect(envelopes[50]).toMatchObject({ id: '51', type: 'done', data: { ok: true } })
        for (const line of lines) expect(line).toBe(JSON.stringify(JSON.parse(line)))
        expect(errors).toEqual([])
      })
    })

    it('keeps line breaks, unicode and quotes of payloads intact', async () => {
      await withHarness(async (harness) => {
        const manager = createStreamManager({
          catalog: contractCatalog,
          transports: [harness.transport],
        })
        const text = 'line1\nline2\r\nline3\rend "quoted" \u2028 é 🚀 \u0000'
        manager.stream('contract:text').emit('note', { text, n: 1 })
        await manager.flush()
        const [line] = await harness.received(1)
        expect(JSON.parse(line as string).data.text).toBe(text)
      })
    })

    it('keeps per-stream order when streams interleave', async () => {
      await withHarness(async (harness) => {
        const manager = createStreamManager({
          catalog: contractCatalog,
          transports: [harness.transport],
        })
        const a = manager.stream('contract:a')
        const b = manager.stream('contract:b')
        for (let n = 1; n <= 20; n++) {
          a.emit('note', { text: 'a', n })
          b.emit('note', { text: 'b', n })
        }
        await manager.flush()
        const envelopes = (await harness.received(40)).map((line) => JSON.parse(line))
        for (const name of ['contract:a', 'contract:b']) {
          const ids = envelopes.filter((e) => e.stream === name).map((e) => Number(e.id))
          expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
        }
      })
    })

    it('still receives every event when a sibling transport throws', async () => {
      await withHarness(async (harness, errors) => {
        const broken: Transport = {
          name: 'broken',
          send() {
            throw new Error('boom')
          },
        }
        const manager = createStreamManager({
          catalog: contractCatalog,
          transports: [broken, harness.transport],
          onError: (e) => errors.push(e),
        })
        for (let n = 1; n <= 5; n++)
          manager.stream('contract:sibling').emit('note', { text: 'x', n })
        await manager.flush()
        expect((await harness.received(5)).length).toBe(5)
        expect(errors.map((e) => e.code)).toEqual(Array(5).fill('transport_failed'))
      })
    })

    it('receives nothing for invalid events and nothing after the terminal event', async () => {
      await withHarness(async (harness, errors) => {
        const manager = createStreamManager({
          catalog: contractCatalog,
          transports: [harness.transport],
          onError: (e) => errors.push(e),
        })
        const stream = manager.stream('contract:invalid')
        // @ts-expect-error n must be a number
        stream.emit('note', { text: 'bad', n: 'one' })
        stream.emit('ping')
        stream.emit('done', { ok: false })
        stream.emit('note', { text: 'late', n: 2 })
        await manager.flush()
        const envelopes = (await harness.received(2)).map((line) => JSON.parse(line))
        expect(envelopes.map((e) => [e.id, e.type])).toEqual([
          ['1', 'ping'],
          ['2', 'done'],
        ])
        expect(errors.map((e) => e.code)).toEqual(['validation_failed', 'stream_finished'])
      })
    })

    it('delivers a burst of 2000 events complete', async () => {
      await withHarness(async (harness) => {
        const manager = createStreamManager({
          catalog: contractCatalog,
          transports: [harness.transport],
        })
        const stream = manager.stream('contract:burst')
        for (let n = 1; n <= 2000; n++) stream.emit('note', { text: 'x'.repeat(200), n })
        await manager.flush()
        const lines = await harness.received(2000)
        expect(JSON.parse(lines[1999] as string).id).toBe('2000')
      })
    })
  })
}
