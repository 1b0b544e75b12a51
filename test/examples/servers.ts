import { expect } from 'vitest'
import { connect } from '../../src/client.js'
import { executionCatalog } from '../../src/index.js'
import { type Started, start } from '../cli/spawn.js'

/**
 * Starts a server example on a free port with fast events (or `env`'s), and returns it with its
 * URL.
 */
export async function startExample(
  file: string,
  env: Record<string, string> = {},
): Promise<{ example: Started; url: string }> {
  const example = start(file, [], { PORT: '0', EXAMPLE_DELAY_MS: '5', ...env })
  const [, url] = (await example.waitFor(/(http:\/\/localhost:\d+)/)) as RegExpMatchArray
  return { example, url: url as string }
}

/** Watches `exec_1`, the run every server example plays, to its end. */
export async function watchRun(
  baseUrl: string,
): Promise<{ id: string; type: string; data: unknown }[]> {
  const events: { id: string; type: string; data: unknown }[] = []
  const url = `${baseUrl}/api/v0/executions/workflows/exec_1/stream`
  for await (const event of connect(url, { catalog: executionCatalog, reconnect: false })) {
    events.push({ id: event.id, type: event.type, data: event.data })
  }
  return events
}

/** What every server example's run holds: ids 1..n, text deltas, one tool call, then complete. */
export function expectFakeRun(events: { id: string; type: string; data: unknown }[]): void {
  expect(events.map((e) => e.id)).toEqual(events.map((_, i) => String(i + 1)))
  const types = events.map((e) => e.type)
  expect(types[0]).toBe('workflow_start')
  expect(types).toContain('tool_call')
  expect(types.filter((t) => t === 'llm_chunk').length).toBeGreaterThan(10)
  expect(events.at(-1)).toMatchObject({ type: 'complete', data: { status: 'SUCCESS' } })
}
