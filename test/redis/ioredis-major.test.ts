import { execFileSync } from 'node:child_process'
import { Cluster, Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { redisStore } from '../../src/redis.js'
import { EXPECTED_IOREDIS_MAJOR, IOREDIS_MAJOR } from './ioredis.js'

// Each run of these suites is for one ioredis major (scripts/test-ioredis5.mjs runs them on 5):
// a mapping that did not apply would test the other major in silence.
describe('the ioredis major under test', () => {
  it('is the one this run is for, in the tests and in the store', () => {
    expect(IOREDIS_MAJOR).toBe(EXPECTED_IOREDIS_MAJOR)
    // ioredis 6 fills in `replyMapping` (default "legacy"); ioredis 5 has no such option.
    const client = new Redis({ lazyConnect: true })
    expect(client.options.replyMapping !== undefined).toBe(IOREDIS_MAJOR >= 6)
    client.disconnect()
    // The store knows a Cluster by its class: it takes the tests' one for an ioredis Cluster
    // only when both loaded the same module.
    const cluster = new Cluster([{ host: '127.0.0.1', port: 7000 }], {
      lazyConnect: true,
      retryDelayOnFailover: 0,
      redisOptions: { maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false },
    })
    const store = redisStore({ cluster, prefix: 'major' })
    void store.close()
    cluster.disconnect()
  })

  it('is the one the processes the tests fork load', () => {
    const source =
      "import p from 'ioredis/package.json' with { type: 'json' }; console.log(p.version)"
    const version = execFileSync(process.execPath, ['--input-type=module', '-e', source], {
      encoding: 'utf8',
    }).trim()
    expect(Number(version.split('.')[0])).toBe(EXPECTED_IOREDIS_MAJOR)
  })
})
