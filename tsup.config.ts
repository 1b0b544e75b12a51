import { copyFile, mkdir } from 'node:fs/promises'
import { build } from 'esbuild'
import { defineConfig } from 'tsup'

// The demo page, bundled with the client, so that `runstream demo` works from an installed
// package too (src/demo/assets.ts reads it from dist/demo-page/).
async function buildDemoPage(): Promise<void> {
  await mkdir('dist/demo-page', { recursive: true })
  await build({
    entryPoints: ['src/demo/page/app.ts'],
    outfile: 'dist/demo-page/app.js',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  })
  await copyFile('src/demo/page/index.html', 'dist/demo-page/index.html')
  await copyFile('src/demo/page/style.css', 'dist/demo-page/style.css')
}

// runstream/client as ONE self-contained ES module for a page without a bundler
// (`<script type="module">`, an import map, a CDN): no import left in it, minified. It holds its
// own copy of the client's code, so it is a separate file, not a chunk of the build below.
async function buildBrowserClient(): Promise<void> {
  await build({
    entryPoints: ['src/client.ts'],
    outfile: 'dist/browser/client.js',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
  })
}

// One build for every entry, so shared code (errors, envelope) lives in shared chunks and exists
// once at run time. Web entries (index, server, client, fold, react) must never import node:*;
// scripts/check-bundle.mjs proves it on the built files.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    server: 'src/server.ts',
    client: 'src/client.ts',
    fold: 'src/fold.ts',
    react: 'src/react.ts',
    node: 'src/node.ts',
    redis: 'src/redis.ts',
    testing: 'src/testing.ts',
    'ag-ui': 'src/ag-ui.ts',
    'ai-sdk': 'src/ai-sdk.ts',
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
  // The optional peers stay imports: the app's own copy is the one its clients and schemas use.
  external: [/^node:/, 'zod', 'ioredis', 'react', /^@ag-ui\//, 'rxjs', 'ai'],
  onSuccess: async () => {
    await Promise.all([buildDemoPage(), buildBrowserClient()])
  },
})
