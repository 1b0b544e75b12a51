import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'
import { executionCatalog, mergeCatalogs, orchestrationCatalog } from '../../src/index.js'

const run = promisify(execFile)

it('examples/orchestrator.ts prints one valid envelope per line, ending with complete', async () => {
  const { stdout, stderr } = await run(
    process.execPath,
    ['--import', 'tsx', 'examples/orchestrator.ts'],
    {
      env: { ...process.env, ORCHESTRATOR_DELAY_MS: '1' },
      timeout: 30_000,
    },
  )
  expect(stderr).toBe('')
  const lines = stdout.trimEnd().split('\n')
  const envelopes = lines.map((line) => JSON.parse(line))
  const catalog = mergeCatalogs(executionCatalog, orchestrationCatalog)
  expect(envelopes.map((e) => e.id)).toEqual(lines.map((_, i) => String(i + 1)))
  for (const envelope of envelopes)
    expect(catalog.validate(envelope.type, envelope.data).ok).toBe(true)
  expect(envelopes.map((e) => e.type)).toContain('reflection')
  expect(envelopes.at(-1)?.type).toBe('complete')
})
