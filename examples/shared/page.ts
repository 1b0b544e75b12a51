/**
 * An example's page, ready to serve without a build step: its `index.html`, and its script
 * bundled in memory with esbuild.
 */
import { readFile } from 'node:fs/promises'
import { build } from 'esbuild'

/** What a page example serves: the HTML at `/`, the script it loads. */
export interface ExamplePage {
  readonly html: string
  readonly script: string
}

/**
 * Reads `index.html` next to `entry` and bundles `entry` into one ES module, with React's
 * automatic JSX in production mode (so a `.tsx` entry works as it is).
 * @param entry - the page's script, such as `new URL('main.tsx', import.meta.url)`
 * @param minify - false keeps the script readable in the browser's source view
 */
export async function loadPage(entry: URL, minify = true): Promise<ExamplePage> {
  const html = await readFile(new URL('index.html', entry), 'utf8')
  const bundle = await build({
    entryPoints: [entry.pathname],
    bundle: true,
    write: false,
    format: 'esm',
    jsx: 'automatic',
    minify,
    define: { 'process.env.NODE_ENV': '"production"' },
  })
  return { html, script: bundle.outputFiles[0]?.text ?? '' }
}
