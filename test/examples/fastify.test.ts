import { afterEach, expect, it } from 'vitest'
import { stopAll } from '../cli/spawn.js'
import { expectFakeRun, startExample, watchRun } from './servers.js'

afterEach(stopAll)

it('examples/fastify serves the stream routes through a hijacked wildcard route', async () => {
  const { url } = await startExample('examples/fastify/server.ts')
  expectFakeRun(await watchRun(url))
  expect(await (await fetch(`${url}/health`)).json()).toEqual({ ok: true })
})

it('examples/fastify answers the handler JSON errors: 403 for a revoked token, 404 off the routes', async () => {
  const { url } = await startExample('examples/fastify/server.ts')
  const refused = await fetch(`${url}/api/v0/executions/workflows/exec_1/stream`, {
    headers: { authorization: 'Bearer revoked' },
  })
  expect(refused.status).toBe(403)
  const missing = await fetch(`${url}/api/v0/executions/jobs/exec_1/stream`)
  expect(missing.status).toBe(404)
  expect((await missing.json()).error.code).toBe('not_found')
})
