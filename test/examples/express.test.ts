import { afterEach, expect, it } from 'vitest'
import { stopAll } from '../cli/spawn.js'
import { expectFakeRun, startExample, watchRun } from './servers.js'

afterEach(stopAll)

it('examples/express serves the stream routes as middleware next to its own routes', async () => {
  const { url } = await startExample('examples/express/server.ts')
  expectFakeRun(await watchRun(url))
  expect(await (await fetch(`${url}/health`)).json()).toEqual({ ok: true })
})

it('examples/express refuses a revoked token with 403 before the stream starts', async () => {
  const { url } = await startExample('examples/express/server.ts')
  const response = await fetch(`${url}/api/v0/executions/workflows/exec_1/stream`, {
    headers: { authorization: 'Bearer revoked' },
  })
  expect(response.status).toBe(403)
})
