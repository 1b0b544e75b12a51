/**
 * Serves the minimal browser client (index.html and main.ts, bundled with esbuild) next to the
 * stream routes, with a run to watch.
 * Run it: `npx tsx examples/sse-browser/serve.ts`, then open http://localhost:3000.
 */
import { loadPage } from '../shared/page.js'
import { servePage } from '../shared/serve-page.js'

servePage(await loadPage(new URL('main.ts', import.meta.url), false))
