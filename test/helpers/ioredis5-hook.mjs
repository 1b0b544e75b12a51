// Loads ioredis 5 (the `ioredis5` alias devDependency) wherever `ioredis` is imported, in every
// Node process that starts with it (`--import`): scripts/test-ioredis5.mjs puts it in
// NODE_OPTIONS, so that the processes the tests fork (`node --import tsx fixture.ts`) run on the
// same major as the tests, whose own imports vitest.config.ts maps.
import { register } from 'node:module'
import { isMainThread } from 'node:worker_threads'

// This file is also the hooks module, which Node loads again on its hooks thread.
if (isMainThread) register(import.meta.url)

/** Node's module resolve hook: `ioredis` and `ioredis/…` become `ioredis5` and `ioredis5/…`. */
export async function resolve(specifier, context, next) {
  const mapped = /^ioredis(\/.*)?$/.test(specifier) ? `ioredis5${specifier.slice(7)}` : specifier
  return next(mapped, context)
}
