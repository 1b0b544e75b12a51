import { describe, it } from 'vitest'
import { transportContract as checks, type TransportFactory } from '../../src/testing.js'

export type { TransportHarness } from '../../src/testing.js'
export { contractCatalog } from '../../src/testing.js'

/**
 * Runs the transport contract of `runstream/testing` as a vitest suite: the same checks a
 * transport author runs, reused here for every transport of the package.
 */
export function transportContract(name: string, create: TransportFactory): void {
  describe(`transport contract: ${name}`, () => {
    for (const check of checks(create)) it(check.name, check.run)
  })
}
