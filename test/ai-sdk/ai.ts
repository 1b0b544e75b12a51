// The AI SDK under test: `ai` (6) by default, `ai@7` (the `ai7` alias) when RUNSTREAM_AI=7, which
// scripts/test-ai7.sh sets to run these tests on Node 24 (ai@7 needs Node 22 or later).
import type * as AiModule from 'ai'
import type * as AiTestModule from 'ai/test'

/** The AI SDK major under test. */
export const AI_MAJOR: 6 | 7 = process.env.RUNSTREAM_AI === '7' ? 7 : 6

/** `ai`, of the major under test (v7's API is v6's for what these tests use). */
export const ai: typeof AiModule = (AI_MAJOR === 7
  ? await import('ai7')
  : await import('ai')) as unknown as typeof AiModule

const aiTest: typeof AiTestModule = (AI_MAJOR === 7
  ? await import('ai7/test')
  : await import('ai/test')) as unknown as typeof AiTestModule

const usage = {
  inputTokens: { total: 3, noCache: 3, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 2, text: 2, reasoning: 0 },
}

/**
 * A real `streamText` on a mock model (no network) that writes `deltas` as one text part, one
 * delta every `delayMs` (a pace, not a synchronisation: tests wait on what arrives).
 */
export function mockModel(deltas: readonly string[], delayMs = 0) {
  return new aiTest.MockLanguageModelV3({
    doStream: async () => ({
      stream: aiTest.simulateReadableStream({
        chunkDelayInMs: delayMs,
        chunks: [
          { type: 'stream-start', warnings: [] },
          { type: 'text-start', id: 't1' },
          ...deltas.map((delta) => ({ type: 'text-delta' as const, id: 't1', delta })),
          { type: 'text-end', id: 't1' },
          { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage },
        ],
      }),
    }),
  })
}

/** The words of a reply long enough to drop the connection three times in it. */
export function words(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `w${i} `)
}
