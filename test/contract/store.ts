import { describe, it } from 'vitest'
import { storeContract as checks, type StoreFactory } from '../../src/testing.js'

export type { StoreFactory, StoreHarness } from '../../src/testing.js'

/**
 * Runs the store contract of `runstream/testing` as a vitest suite: the same checks a store
 * author runs, reused here for every store of the package.
 */
export function storeContract(name: string, create: StoreFactory): void {
  describe(`store contract: ${name}`, () => {
    for (const check of checks(create)) it(check.name, check.run)
  })
}
