import assert from 'node:assert/strict'
import type { RunstreamError } from '../../core/errors.js'
import { createStreamManager } from '../../core/manager.js'
import type { Transport } from '../../core/transport.js'
import { contractCatalog } from './catalog.js'
import { type ContractCheck, range } from './check.js'

/**
 * What a transport under test offers the contract: the transport, and a way to read back what
 * reached its far end (stdout bytes, an HTTP collector, an SSE response, …) as envelope JSON texts.
 */
export interface TransportHarness {
  /** The transport under test. */
  transport: Transport
  /**
   * Resolves with the first `count` envelope JSON texts that reached the far end, in order.
   * It waits for them (with a bound of its own) rather than for a fixed time.
   */
  received(count: number): Promise<string[]>
  /** Releases what the harness started. Called once per check. */
  close(): Promise<void>
}

/** Creates a fresh transport and its far end for one check. */
export type TransportFactory = () => Promise<TransportHarness> | TransportHarness

/**
 * The behaviour every transport must show, through a StreamManager that sends to it: each
 * envelope once, in order, as the exact bytes of `record.json`; payloads intact; per-stream
 * order; unaffected by a failing sibling; nothing for refused events; a burst delivered whole.
 *
 * @example
 * ```ts
 * import { transportContract } from 'runstream/testing'
 *
 * describe('webhook transport', () => {
 *   for (const check of transportContract(async () => {
 *     const collector = await startCollector() // keeps the lines it receives
 *     return {
 *       transport: webhookTransport({ url: collector.url }),
 *       received: (count) => collector.lines(count),
 *       close: () => collector.close(),
 *     }
 *   })) it(check.name, check.run)
 * })
 * ```
 */
export function transportContract(create: TransportFactory): ContractCheck[] {
  const check = (
    name: string,
    body: (harness: TransportHarness, errors: RunstreamError[]) => Promise<void>,
  ): ContractCheck => ({
    name,
    async run() {
      const harness = await create()
      try {
        await body(harness, [])
      } finally {
        await harness.close()
      }
    },
  })
  const managerFor = (transports: Transport[], errors: RunstreamError[]) =>
    createStreamManager({
      catalog: contractCatalog,
      transports,
      onError: (error) => errors.push(error),
    })

  return [
    check(
      'delivers each envelope once, in order, as the exact bytes of record.json',
      async (harness, errors) => {
        const manager = managerFor([harness.transport], errors)
        const stream = manager.stream('contract:order')
        for (let n = 1; n <= 50; n++) stream.emit('note', { text: `event ${n}`, n })
        stream.emit('done', { ok: true })
        await manager.flush()
        const lines = await harness.received(51)
        const envelopes = lines.map((line) => JSON.parse(line))
        assert.deepEqual(
          envelopes.map((e) => Number(e.id)),
          range(1, 51),
        )
        assert.deepEqual(
          { ...envelopes[0], ts: undefined },
          {
            id: '1',
            type: 'note',
            stream: 'contract:order',
            ts: undefined,
            data: { text: 'event 1', n: 1 },
          },
        )
        assert.deepEqual(
          { id: envelopes[50].id, type: envelopes[50].type, data: envelopes[50].data },
          { id: '51', type: 'done', data: { ok: true } },
        )
        for (const line of lines) assert.equal(line, JSON.stringify(JSON.parse(line)))
        assert.deepEqual(errors, [])
      },
    ),

    check('keeps line breaks, unicode and quotes of payloads intact', async (harness, errors) => {
      const manager = managerFor([harness.transport], errors)
      const text = 'line1\nline2\r\nline3\rend "quoted" \u2028 é 🚀 \u0000'
      manager.stream('contract:text').emit('note', { text, n: 1 })
      await manager.flush()
      const [line] = await harness.received(1)
      assert.equal(JSON.parse(line as string).data.text, text)
    }),

    check('keeps per-stream order when streams interleave', async (harness, errors) => {
      const manager = managerFor([harness.transport], errors)
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
        assert.deepEqual(ids, range(1, 20))
      }
    }),

    check('still receives every event when a sibling transport throws', async (harness, errors) => {
      const broken: Transport = {
        name: 'broken',
        send() {
          throw new Error('boom')
        },
      }
      const manager = managerFor([broken, harness.transport], errors)
      for (let n = 1; n <= 5; n++) manager.stream('contract:sibling').emit('note', { text: 'x', n })
      await manager.flush()
      assert.equal((await harness.received(5)).length, 5)
      assert.deepEqual(
        errors.map((e) => e.code),
        Array(5).fill('transport_failed'),
      )
    }),

    check(
      'receives nothing for invalid events and nothing after the terminal event',
      async (harness, errors) => {
        const manager = managerFor([harness.transport], errors)
        const stream = manager.stream('contract:invalid')
        stream.emit('note', { text: 'bad', n: 'one' } as never)
        stream.emit('ping')
        stream.emit('done', { ok: false })
        stream.emit('note', { text: 'late', n: 2 })
        await manager.flush()
        const envelopes = (await harness.received(2)).map((line) => JSON.parse(line))
        assert.deepEqual(
          envelopes.map((e) => [e.id, e.type]),
          [
            ['1', 'ping'],
            ['2', 'done'],
          ],
        )
        assert.deepEqual(
          errors.map((e) => e.code),
          ['validation_failed', 'stream_finished'],
        )
      },
    ),

    check('delivers a burst of 2000 events complete', async (harness, errors) => {
      const manager = managerFor([harness.transport], errors)
      const stream = manager.stream('contract:burst')
      for (let n = 1; n <= 2000; n++) stream.emit('note', { text: 'x'.repeat(200), n })
      await manager.flush()
      const lines = await harness.received(2000)
      assert.equal(JSON.parse(lines[1999] as string).id, '2000')
    }),
  ]
}
