import { afterEach, expect, it } from 'vitest'
import { stopAll } from '../cli/spawn.js'
import { expectFakeRun, startExample, watchRun } from './servers.js'

afterEach(stopAll)

it('examples/node-http serves the run it plays on the stream route', async () => {
  const { url } = await startExample('examples/node-http/server.ts')
  expectFakeRun(await watchRun(url))
})

it('examples/node-http answers a JSON 404 off the stream routes', async () => {
  const { url } = await startExample('examples/node-http/server.ts')
  const response = await fetch(`${url}/nope`)
  expect(response.status).toBe(404)
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found')
})
