import { access, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

/** The demo page's three files, ready to serve. */
export interface PageAssets {
  readonly html: string
  readonly css: string
  /** The page script with runstream/client bundled in: one ES module, no imports. */
  readonly js: string
}

/**
 * The page as the build wrote it to dist/demo-page/ (so an installed package serves it, as
 * `npx runstream demo`), or else read from `src/demo/page/` and bundled with esbuild (installed
 * with tsup, runstream's build tool): from source, `npm run demo`. Where neither exists, the
 * error says so.
 */
export async function loadPageAssets(): Promise<PageAssets> {
  const prebuilt = await readPrebuilt()
  if (prebuilt !== undefined) return prebuilt
  const dir = await findPageDir()
  const [html, css, js] = await Promise.all([
    readFile(new URL('index.html', dir), 'utf8'),
    readFile(new URL('style.css', dir), 'utf8'),
    bundle(fileURLToPath(new URL('app.ts', dir))),
  ])
  return { html, css, js }
}

// `npm run build` writes the page, already bundled, to dist/demo-page/ (see tsup.config.ts), so an
// installed package serves it without esbuild or src/.
async function readPrebuilt(): Promise<PageAssets | undefined> {
  const dir = new URL('./demo-page/', import.meta.url)
  try {
    const [html, css, js] = await Promise.all([
      readFile(new URL('index.html', dir), 'utf8'),
      readFile(new URL('style.css', dir), 'utf8'),
      readFile(new URL('app.js', dir), 'utf8'),
    ])
    return { html, css, js }
  } catch {
    return undefined
  }
}

// From source this file is src/demo/assets.ts; bundled, it is a chunk in dist/.
const CANDIDATES = ['./page/', '../src/demo/page/']

async function findPageDir(): Promise<URL> {
  for (const candidate of CANDIDATES) {
    const dir = new URL(candidate, import.meta.url)
    try {
      await access(new URL('app.ts', dir))
      return dir
    } catch {
      // Not here; try the next place.
    }
  }
  throw new Error(
    'The demo page is built from the runstream repository (src/demo/page/), which this install does not have. Clone the repository and run `npm install && npm run demo`.',
  )
}

interface Esbuild {
  build(options: Record<string, unknown>): Promise<{ outputFiles?: { text: string }[] }>
}

async function bundle(entry: string): Promise<string> {
  // A name in a variable, so that tsup leaves this import alone instead of bundling esbuild.
  const name = 'esbuild'
  let esbuild: Esbuild
  try {
    esbuild = (await import(name)) as Esbuild
  } catch (error) {
    throw new Error(
      'The demo page is bundled with esbuild, which is not installed. Run `npm install` in the runstream repository.',
      { cause: error },
    )
  }
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
    legalComments: 'none',
  })
  const file = result.outputFiles?.[0]
  if (file === undefined) throw new Error('esbuild produced no output for the demo page.')
  return file.text
}
