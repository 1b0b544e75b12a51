import { defineConfig } from 'tsup'

// One build for every entry, so shared code (errors, envelope) lives in shared chunks and exists
// once at run time. Web entries (index, server, client) must never import node:*;
// scripts/check-bundle.mjs proves it on the built files.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    server: 'src/server.ts',
    client: 'src/client.ts',
    node: 'src/node.ts',
    redis: 'src/redis.ts',
    testing: 'src/testing.ts',
    cli: 'src/cli.ts',
  },
  tsconfig: 'tsconfig.build.json',
  format: ['esm'],
  platform: 'neutral',
  target: 'es2022',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  external: [/^node:/, 'zod', 'eventsource-parser', 'mitt', 'ioredis'],
})
