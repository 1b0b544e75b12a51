/**
 * Serves a React page that shows a run with `useRun` (App.tsx, bundled with esbuild) next to the
 * stream routes, with a run to watch.
 * Run it: `npx tsx examples/react-run/serve.ts`, then open http://localhost:3000.
 */
import { loadPage } from '../shared/page.js'
import { servePage } from '../shared/serve-page.js'

servePage(await loadPage(new URL('main.tsx', import.meta.url)))
