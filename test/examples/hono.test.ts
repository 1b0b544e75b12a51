import { afterEach, expect, it } from 'vitest'
import { stopAll } from '../cli/spawn.js'
import { expectFakeRun, startExample, watchRun } from './servers.js'

afterEach(stopAll)

it('examples/hono serves the stream routes through the Fetch handler', async () => {
  const { url } = await startExample('examples/hono/server.ts')
  expectFakeRun(await watchRun(url))
  expect(await (await fetch(url)).text()).toContain('/api/v0/executions/workflows/exec_1/stream')
})
