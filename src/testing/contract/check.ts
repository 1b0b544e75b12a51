/**
 * One behaviour of a contract, as a named async check: run it from any test runner.
 *
 * @example
 * ```ts
 * // vitest or jest
 * for (const check of storeContract(factory)) it(check.name, check.run)
 * // node:test
 * for (const check of storeContract(factory)) test(check.name, check.run)
 * ```
 */
export interface ContractCheck {
  /** What the check proves, written as a test name. */
  readonly name: string
  /** Runs the check. Rejects (with an `AssertionError` of `node:assert`) when it fails. */
  run(): Promise<void>
}

/** Resolves as `promise` does, or rejects once `ms` have passed: no check waits forever. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`contract: no ${what} within ${ms} ms`)), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

/** Takes `count` items of an async iterable, then ends it (`break`). */
export async function take<T>(iterable: AsyncIterable<T>, count: number): Promise<T[]> {
  const out: T[] = []
  if (count === 0) return out
  for await (const item of iterable) {
    out.push(item)
    if (out.length >= count) break
  }
  return out
}

/** `[from, …, to]`. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i)
}
